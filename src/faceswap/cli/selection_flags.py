"""The face order and face filter flags of ``faceswap swap``, gathered into an order and FaceFilters.

:func:`selection_options` adds ``--face-order``, ``--face-gender``, ``--face-age`` and ``--face-race`` to
a command and hands it ``face_order`` (a :data:`~faceswap.choices.FaceOrder` or None) and
``face_filters`` (a :class:`~faceswap.engine.face_filters.FaceFilters`) instead of the raw values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from faceswap.choices import FaceGender, FaceOrder, FaceRace, choices
from faceswap.engine.face_filters import FaceFilters, parse_age_range

F = TypeVar("F", bound=Callable[..., Any])

FLAGS = ("face_order", "face_gender", "face_age", "face_race")


def build_face_filters(gender: str | None, age: str | None, race: str | None) -> FaceFilters:
    """FaceFilters from the flags' raw values (None: no filter); ``bad_option`` for a bad age range."""
    return FaceFilters(
        gender=cast(FaceGender | None, gender),
        age=parse_age_range(age) if age is not None else None,
        race=cast(FaceRace | None, race),
    )


def selection_options(command: F) -> F:
    """Adds the face order and filter flags to ``command``, which receives ``face_order`` and
    ``face_filters``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name) for name in FLAGS}
        filters = build_face_filters(flags["face_gender"], flags["face_age"], flags["face_race"])
        return command(*args, face_order=flags["face_order"], face_filters=filters, **kwargs)

    decorators = [
        click.option(
            "--face-order",
            type=click.Choice(choices(FaceOrder)),
            help="order of the target's faces: --faces one takes the first, --map counts them from 0 "
            "(default: the largest face for one, left to right otherwise)",
        ),
        click.option(
            "--face-gender",
            type=click.Choice(choices(FaceGender)),
            help="swap only faces of this gender (needs the fairface model)",
        ),
        click.option(
            "--face-age",
            metavar="START-END",
            help="swap only faces whose age bucket meets START <= age < END, e.g. 20-30 (fairface)",
        ),
        click.option(
            "--face-race",
            type=click.Choice(choices(FaceRace)),
            help="swap only faces of this race (needs the fairface model)",
        ),
    ]
    decorated: Callable[..., Any] = wrapper
    for decorator in reversed(decorators):
        decorated = decorator(decorated)
    return cast(F, decorated)
