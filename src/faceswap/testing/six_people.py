"""A group photo of six people for detector recall tests, built from the two shared public-domain photos.

Six head-and-shoulders crops (the astronaut and Grace Hopper in turn, some mirrored, darker or brighter,
one turned 10 degrees) stand in a row on a blurred, noisy background, alternately higher and lower, as
people do in a group photo. At the default width of 1200 pixels their faces are 60 to 85 pixels wide: 5 to
7 % of the photo's width, what six people standing side by side give. :func:`person_boxes` says where each
face is, for tests that check each one is found.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from faceswap.engine.types import ImageBGR
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER, PhotoFace

WIDTH = 1200
HEIGHT_SHARE = 0.6
"""The photo's height as a share of its width."""
FACE_SHARE = 0.05
"""A face's width as a share of the photo's width, before each person's own ``size``."""


@dataclass(frozen=True)
class Person:
    photo: PhotoFace
    mirrored: bool
    turn: float
    """Degrees, counter-clockwise."""
    gain: float
    """Brightness factor."""
    size: float
    """Face width relative to ``FACE_SHARE``."""


PEOPLE = (
    Person(ASTRONAUT, mirrored=False, turn=0.0, gain=1.0, size=1.0),
    Person(GRACE_HOPPER, mirrored=False, turn=8.0, gain=0.8, size=1.1),
    Person(ASTRONAUT, mirrored=True, turn=-10.0, gain=0.7, size=0.9),
    Person(GRACE_HOPPER, mirrored=True, turn=0.0, gain=1.1, size=1.0),
    Person(ASTRONAUT, mirrored=False, turn=10.0, gain=0.9, size=1.2),
    Person(GRACE_HOPPER, mirrored=False, turn=-10.0, gain=0.6, size=0.85),
)


def _portrait(image: ImageBGR, face: PhotoFace, width: int) -> tuple[ImageBGR, tuple[float, ...]]:
    """The head and shoulders around ``face`` (three face widths across) scaled so the face is ``width``
    pixels wide, and the face's box in it."""
    x1, y1, x2, y2 = face.box
    side = 3.0 * max(x2 - x1, y2 - y1)
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    x0, y0 = max(0, round(cx - side / 2)), max(0, round(cy - side / 2))
    x3, y3 = min(image.shape[1], round(cx + side / 2)), min(image.shape[0], round(cy + side / 2))
    scale = width / (x2 - x1)
    crop = cv2.resize(image[y0:y3, x0:x3], None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    box = ((x1 - x0) * scale, (y1 - y0) * scale, (x2 - x0) * scale, (y2 - y0) * scale)
    return np.asarray(crop, dtype=np.uint8), box


def _changed(
    portrait: ImageBGR, box: tuple[float, ...], person: Person
) -> tuple[ImageBGR, tuple[float, ...]]:
    height, width = portrait.shape[:2]
    x1, y1, x2, y2 = box
    if person.mirrored:
        portrait = np.ascontiguousarray(portrait[:, ::-1])
        x1, x2 = width - x2, width - x1
    if person.turn:
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), person.turn, 1.0)
        portrait = np.asarray(
            cv2.warpAffine(portrait, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101), np.uint8
        )
        corners = np.array([[x1, y1, 1], [x2, y1, 1], [x2, y2, 1], [x1, y2, 1]], np.float64) @ matrix.T
        x1, y1 = corners.min(axis=0)
        x2, y2 = corners.max(axis=0)
    bright = np.clip(portrait.astype(np.float32) * person.gain, 0, 255).astype(np.uint8)
    return bright, (float(x1), float(y1), float(x2), float(y2))


def six_people(faces_dir: Path, width: int = WIDTH) -> tuple[ImageBGR, list[tuple[float, ...]]]:
    """The group photo ``width`` pixels wide and each person's face box in it, left to right."""
    height = round(width * HEIGHT_SHARE)
    noise = np.random.default_rng(17).integers(60, 160, (height, width, 3)).astype(np.uint8)
    canvas = np.asarray(cv2.GaussianBlur(noise, (0, 0), 8), dtype=np.uint8)
    boxes: list[tuple[float, ...]] = []
    step = width / len(PEOPLE)
    for index, person in enumerate(PEOPLE):
        image = cv2.imread(str(faces_dir / person.photo.file), cv2.IMREAD_COLOR)
        if image is None:
            raise FileNotFoundError(faces_dir / person.photo.file)
        portrait, box = _portrait(
            np.asarray(image, np.uint8), person.photo, round(width * FACE_SHARE * person.size)
        )
        portrait, box = _changed(portrait, box, person)
        cx, cy = round(step * (index + 0.5)), round(height * (0.4 if index % 2 == 0 else 0.55))
        x0, y0 = max(0, cx - portrait.shape[1] // 2), max(0, cy - portrait.shape[0] // 2)
        part = portrait[: height - y0, : width - x0]
        canvas[y0 : y0 + part.shape[0], x0 : x0 + part.shape[1]] = part
        boxes.append((box[0] + x0, box[1] + y0, box[2] + x0, box[3] + y0))
    return canvas, boxes


def person_boxes(faces_dir: Path, width: int = WIDTH) -> list[tuple[float, ...]]:
    """Where each person's face is in :func:`six_people`'s photo, left to right."""
    return six_people(faces_dir, width)[1]
