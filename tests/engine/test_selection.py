"""Face selection: modes, mappings, reference matching and identity averaging on synthetic faces."""

from __future__ import annotations

import numpy as np
import pytest

from faceswap.engine.selection import (
    Selection,
    assign,
    average_embedding,
    face_distance,
    make_identity,
    parse_mapping,
    sort_left_to_right,
)
from faceswap.engine.types import Face, SourceFace
from faceswap.errors import BadOptionError, NoFaceInTargetError, NoMatchingFaceError


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def face(x: float, size: float, embedding: np.ndarray | None = None) -> Face:
    box = np.array([x, 10, x + size, 10 + size], dtype=np.float32)
    kps = np.zeros((5, 2), dtype=np.float32)
    return Face(box=box, kps=kps, score=0.9, embedding=embedding)


def identity(*values: float):
    image = np.zeros((4, 4, 3), dtype=np.uint8)
    return make_identity([SourceFace(image=image, face=face(0, 10, unit(*values)))])


def test_parse_mapping_reads_pairs() -> None:
    assert parse_mapping("0=1, 1=0") == {0: 1, 1: 0}
    assert parse_mapping("2=0") == {2: 0}


@pytest.mark.parametrize("text", ["", "0", "a=1", "0=1,0=2", "0=1,1=1", "0=-1"])
def test_parse_mapping_rejects_bad_text(text: str) -> None:
    with pytest.raises(BadOptionError):
        parse_mapping(text)


def test_one_picks_the_largest_face() -> None:
    faces = sort_left_to_right([face(300, 40), face(0, 80), face(150, 20)])
    pairs = assign(faces, [identity(1, 0)], Selection(mode="one"))
    assert len(pairs) == 1
    assert pairs[0][0].area == 80 * 80


def test_many_takes_every_face_left_to_right() -> None:
    faces = sort_left_to_right([face(300, 40), face(0, 80), face(150, 20)])
    pairs = assign(faces, [identity(1, 0)], Selection(mode="many"))
    assert [p[0].box[0] for p in pairs] == [0, 150, 300]


def test_mapping_sends_each_source_to_its_face() -> None:
    faces = sort_left_to_right([face(200, 50), face(0, 50)])
    first, second = identity(1, 0), identity(0, 1)
    pairs = assign(faces, [first, second], Selection(mapping={0: 1, 1: 0}))
    assert [(float(f.box[0]), i is first) for f, i in pairs] == [(200.0, True), (0.0, False)]


def test_mapping_out_of_range_is_a_bad_option() -> None:
    faces = [face(0, 50)]
    with pytest.raises(BadOptionError, match="face 3"):
        assign(faces, [identity(1, 0)], Selection(mapping={0: 3}))
    with pytest.raises(BadOptionError, match="source 1"):
        assign(faces, [identity(1, 0)], Selection(mapping={1: 0}))


def test_reference_keeps_only_matching_faces() -> None:
    alice, bob = unit(1, 0.1, 0), unit(0, 1, 0.1)
    faces = [face(0, 50, alice), face(100, 50, bob), face(200, 50, unit(0.95, 0.2, 0.05))]
    pairs = assign(faces, [identity(0, 0, 1)], Selection(mode="reference", reference=alice, threshold=0.1))
    assert [float(f.box[0]) for f, _ in pairs] == [0.0, 200.0]


def test_reference_without_match_says_so() -> None:
    faces = [face(0, 50, unit(0, 1))]
    with pytest.raises(NoMatchingFaceError):
        assign(faces, [identity(1, 0)], Selection(mode="reference", reference=unit(1, 0), threshold=0.3))


def test_no_face_in_target() -> None:
    with pytest.raises(NoFaceInTargetError):
        assign([], [identity(1, 0)], Selection(mode="many"))


def test_face_distance_and_average() -> None:
    a, b = unit(1, 0), unit(0, 1)
    assert face_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    assert face_distance(a, b) == pytest.approx(1.0, abs=1e-6)
    mean = average_embedding([a, b])
    assert np.linalg.norm(mean) == pytest.approx(1.0, abs=1e-6)
    assert face_distance(mean, a) == pytest.approx(face_distance(mean, b), abs=1e-6)
