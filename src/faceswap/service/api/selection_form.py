"""The face order and face filters as form fields of the multipart job routes (``/api/*-swap``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form

from faceswap.choices import FaceGender, FaceOrder, FaceRace
from faceswap.engine.face_filters import parse_age_range


async def selection_form(
    face_order: Annotated[
        FaceOrder | None,
        Form(description="order of the target's faces (one takes the first, mapping counts)"),
    ] = None,
    face_gender: Annotated[FaceGender | None, Form(description="swap only faces of this gender")] = None,
    face_age: Annotated[str | None, Form(description="START-END: only faces with START <= age < END")] = None,
    face_race: Annotated[FaceRace | None, Form(description="swap only faces of this race")] = None,
) -> dict[str, Any]:
    """The ``wf_json`` fields given (``face_age`` as ``[start, end]``); ``bad_option`` for a bad age range,
    before any file is stored."""
    given: dict[str, Any] = {"face_order": face_order, "face_gender": face_gender, "face_race": face_race}
    if face_age is not None:
        given["face_age"] = list(parse_age_range(face_age))
    return {name: value for name, value in given.items() if value is not None}
