"""The classic detector on group photos: six people found, the astronaut's suit still not a face, and a
face the detector missed found inside a box drawn around it."""

from __future__ import annotations

import numpy as np
import pytest
from tests.engine.classic.conftest import FACES

from faceswap.engine.classic.analyser import AnalyserOptions, ClassicAnalyser
from faceswap.engine.extra_faces import inside
from faceswap.engine.pipeline import SwapRequest, swap_image
from faceswap.engine.protocols import Engine
from faceswap.engine.types import Face, ImageBGR
from faceswap.testing.six_people import six_people

MISSED_AT_700 = 2
"""The person the detector misses in the 700 px photo (faces 30 to 42 px there): the darker, mirrored
astronaut, turned 10 degrees."""


def people_found(faces: list[Face], boxes: list[tuple[float, ...]]) -> list[int]:
    """Which people (by their face box) hold the centre of a face found, each face counted once."""
    return sorted(i for face in faces for i, box in enumerate(boxes) if inside(face, box))  # type: ignore[arg-type]


@pytest.mark.parametrize("width", [1200, 2400])
def test_six_people_are_six_faces(classic_engine: Engine, width: int) -> None:
    image, boxes = six_people(FACES, width)
    faces = classic_engine.analyser.analyse(image)
    assert people_found(faces, boxes) == [0, 1, 2, 3, 4, 5]
    assert len(faces) == 6


def test_the_group_photo_loses_people_when_detection_runs_at_1024_px(classic_engine: Engine) -> None:
    """At 1024 px HOG's 80 px window misses the faces of 60 px: 4 of 6 (why detection runs at 2048)."""
    image, boxes = six_people(FACES, 1200)
    models = classic_engine.analyser.models  # type: ignore[attr-defined]
    former = ClassicAnalyser(models, AnalyserOptions(detect_long_side=1024))
    assert len(people_found(former.analyse(image), boxes)) == 4


def test_the_suit_is_not_a_face_at_the_new_size(classic_engine: Engine, astronaut: ImageBGR) -> None:
    [face] = classic_engine.analyser.analyse(astronaut)
    assert face.box[3] < 200  # the face, not the suit below it (rows 300 and down)
    suit = np.ascontiguousarray(astronaut[300:])
    assert classic_engine.analyser.analyse(suit) == []
    doubled = np.ascontiguousarray(np.repeat(np.repeat(suit, 2, axis=0), 2, axis=1))
    assert classic_engine.analyser.analyse(doubled) == []


def test_a_missed_face_is_found_inside_a_box_drawn_around_it(classic_engine: Engine) -> None:
    image, boxes = six_people(FACES, 700)
    faces = classic_engine.analyser.analyse(image)
    assert MISSED_AT_700 not in people_found(faces, boxes)
    x1, y1, x2, y2 = boxes[MISSED_AT_700]
    loose = (x1 - 8, y1 - 6, x2 + 6, y2 + 10)  # drawn by hand: a little too large
    face = classic_engine.analyser.analyse_box(image, loose)  # type: ignore[attr-defined]
    assert face.score >= AnalyserOptions().box_verify_threshold  # found by the detector, verified
    assert inside(face, boxes[MISSED_AT_700])  # type: ignore[arg-type]
    assert face.landmarks is not None
    assert face.landmarks.shape == (68, 2)
    assert face.embedding is not None
    assert face.embedding.shape == (128,)


def test_a_box_without_a_face_places_the_landmarks_in_the_box(classic_engine: Engine) -> None:
    image, _ = six_people(FACES, 700)
    box = (10.0, 330.0, 70.0, 400.0)  # background only
    face = classic_engine.analyser.analyse_box(image, box)  # type: ignore[attr-defined]
    assert face.score == 0.0
    assert face.landmarks is not None
    centre = face.landmarks.mean(axis=0)
    assert box[0] < centre[0] < box[2]
    assert box[1] < centre[1] < box[3]


def test_a_swap_reaches_the_added_face_numbered_after_the_detected_ones(
    classic_engine: Engine, grace: ImageBGR
) -> None:
    image, boxes = six_people(FACES, 700)
    x1, y1, x2, y2 = boxes[MISSED_AT_700]
    request = SwapRequest(sources=[[grace]], mapping={0: 5}, extra_faces=[(x1, y1, x2, y2)])
    outcome = swap_image(classic_engine, image, request)
    assert (outcome.faces_found, outcome.faces_swapped) == (6, 1)
    changed = np.argwhere(np.any(outcome.image != image, axis=2))
    (top, left), (bottom, right) = changed.min(axis=0), changed.max(axis=0)
    assert x1 - 20 <= left
    assert right <= x2 + 20
    assert y1 - 20 <= top
    assert bottom <= y2 + 20
