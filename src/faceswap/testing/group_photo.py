"""A group photo for face order and filter tests, and stand-in models that find its three faces.

Three copies of the astronaut side by side; the middle one has 40 % less red, so the ``redness`` fairface
stand-in (:mod:`faceswap.testing.classifier_standins`) reads the outer two as female and the middle one
as male. The detector stand-ins report the three faces with scores 0.9, 0.7 and 0.8 from left to right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from faceswap.engine.types import ImageBGR
from faceswap.models.verify import crc32_file, write_sidecar
from faceswap.testing.classifier_standins import write_fairface_standin
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models

GAP = 32
SIDE = 512
SCORES = (0.9, 0.7, 0.8)
COOL = 1
"""The index (left to right) of the face with less red: fairface's redness stand-in calls it male."""


def group_offsets() -> list[int]:
    """Where each copy of the astronaut starts, in pixels from the left."""
    return [index * (SIDE + GAP) for index in range(len(SCORES))]


def group_faces() -> list[StandinFace]:
    """The three faces in image pixels, left to right."""
    return [
        StandinFace(
            box=(ASTRONAUT.box[0] + dx, ASTRONAUT.box[1], ASTRONAUT.box[2] + dx, ASTRONAUT.box[3]),
            kps=[(x + dx, y) for x, y in ASTRONAUT.kps],
            score=score,
        )
        for dx, score in zip(group_offsets(), SCORES, strict=True)
    ]


def group_photo(faces_dir: Path) -> ImageBGR:
    """The group photo built from ``faces_dir/astronaut.png`` (see the module docstring)."""
    astronaut = cv2.imread(str(faces_dir / ASTRONAUT.file))
    if astronaut is None:
        raise FileNotFoundError(faces_dir / ASTRONAUT.file)
    canvas = np.full((SIDE, len(SCORES) * SIDE + (len(SCORES) - 1) * GAP, 3), 128, np.uint8)
    for index, dx in enumerate(group_offsets()):
        copy = astronaut.copy()
        if index == COOL:
            copy[..., 2] = (copy[..., 2] * 0.6).astype(np.uint8)
        canvas[:, dx : dx + SIDE] = copy
    return canvas


def install_group_standins(
    models_dir: Path, image: ImageBGR, swapper: Literal["identity", "constant", "pattern"] = "constant"
) -> None:
    """Every catalog model as a stand-in (with its sidecar) whose detectors find the group's faces and
    whose fairface is the ``redness`` stand-in."""
    models_dir.mkdir(parents=True, exist_ok=True)
    faces = letterboxed(group_faces(), image.shape)
    paths = write_standin_models(models_dir, faces, swapper)
    paths["fairface"] = write_fairface_standin(models_dir / "fairface.onnx", "redness")
    for path in paths.values():
        write_sidecar(path.with_suffix(".hash"), crc32_file(path))
