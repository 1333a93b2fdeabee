"""Faces added by hand: box checks, the template fallback, numbering after the detected faces, and the
neural analyser's search inside a box (stand-in detector and ArcFace)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import Settings
from faceswap.engine.extra_faces import (
    MAX_BOXES,
    MIN_BOX_SIDE,
    best_inside,
    check_boxes,
    check_boxes_in_image,
    find_extra_faces,
    kps_from_box,
    parse_box,
    scale_boxes,
    search_region,
)
from faceswap.engine.face_filters import FaceFilters
from faceswap.engine.onnx.analyser import NeuralAnalyser
from faceswap.engine.onnx.detector import BOX_SCORE, SCRFD_SCORE, ScrfdDetector
from faceswap.engine.onnx.engine import build_analyser
from faceswap.engine.rotation import RotatingAnalyser
from faceswap.engine.selection import Selection, assign, candidates
from faceswap.engine.types import Face, FaceTraits, Identity, ImageBGR, SourceFace
from faceswap.errors import BadOptionError, NoFaceInTargetError, NoMatchingFaceError
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER
from faceswap.testing.standins import StandinFace, write_arcface_standin, write_scrfd_standin

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
DETECTOR_SIDE = 640


def face_at(x1: float, y1: float, x2: float, y2: float, score: float = 0.9) -> Face:
    box = (x1, y1, x2, y2)
    return Face(box=np.array(box, np.float32), kps=kps_from_box(box), score=score)


# --- box checks ---------------------------------------------------------------------------------------


def test_a_box_is_read_from_text() -> None:
    assert parse_box("40,60, 140.5,180") == (40.0, 60.0, 140.5, 180.0)
    for text in ("40,60,140", "a,b,c,d", "1,2,3,4,5", "1..2,3,4,5"):
        with pytest.raises(BadOptionError):
            parse_box(text)


@pytest.mark.parametrize(
    "box",
    [
        (10.0, 10.0, 10.0 + MIN_BOX_SIDE - 1, 60.0),  # too narrow
        (10.0, 10.0, 60.0, 10.0 + MIN_BOX_SIDE - 1),  # too low
        (60.0, 10.0, 10.0, 60.0),  # corners swapped
        (-1.0, 10.0, 60.0, 60.0),  # starts left of the image
        (10.0, 10.0, 60.0, float("nan")),
    ],
)
def test_a_malformed_or_small_box_is_a_bad_option(box: tuple[float, ...]) -> None:
    with pytest.raises(BadOptionError, match="added face 1"):
        check_boxes([(0.0, 0.0, 50.0, 50.0), box])


def test_a_box_must_be_four_numbers_and_there_is_a_limit() -> None:
    with pytest.raises(BadOptionError, match="four numbers"):
        check_boxes([[1.0, 2.0, 30.0]])
    with pytest.raises(BadOptionError, match=f"at most {MAX_BOXES}"):
        check_boxes([(0.0, 0.0, 20.0, 20.0)] * (MAX_BOXES + 1))
    assert check_boxes([[0, 0, MIN_BOX_SIDE, MIN_BOX_SIDE]]) == ((0.0, 0.0, 16.0, 16.0),)


def test_a_box_must_lie_inside_the_image() -> None:
    assert check_boxes_in_image([(0, 0, 100, 80)], 100, 80) == ((0.0, 0.0, 100.0, 80.0),)
    with pytest.raises(BadOptionError, match="outside the 100x80 image"):
        check_boxes_in_image([(0, 0, 101, 80)], 100, 80)
    with pytest.raises(BadOptionError, match="outside the 100x80 image"):
        check_boxes_in_image([(0, 0, 100, 81)], 100, 80)


def test_boxes_follow_a_resize_and_stay_large_enough_inside_the_image() -> None:
    [half] = scale_boxes([(100.0, 50.0, 200.0, 250.0)], 0.5, 500, 400)
    assert half == pytest.approx((50.0, 25.0, 100.0, 125.0))
    [small] = scale_boxes([(0.0, 190.0, 20.0, 200.0)], 0.5, 100, 100)  # 10 x 5 once halved, at an edge
    assert small[0] == 0.0
    assert small[2] == pytest.approx(MIN_BOX_SIDE)
    assert small[3] <= 100.0
    assert small[3] - small[1] == pytest.approx(MIN_BOX_SIDE)
    check_boxes_in_image([small], 100, 100)


def test_the_search_region_grows_the_box_and_stays_in_the_image() -> None:
    assert search_region((100.0, 100.0, 200.0, 160.0), 1000, 1000) == (50, 50, 250, 210)
    assert search_region((10.0, 10.0, 110.0, 110.0), 150, 120) == (0, 0, 150, 120)


# --- the template fallback ------------------------------------------------------------------------------


@pytest.mark.parametrize("photo", [ASTRONAUT, GRACE_HOPPER], ids=["astronaut", "grace"])
def test_key_points_from_a_face_box_land_on_the_eyes_nose_and_mouth(photo: object) -> None:
    box, kps = photo.box, np.array(photo.kps, np.float32)  # type: ignore[attr-defined]
    estimate = kps_from_box(box)
    width = box[2] - box[0]
    assert np.abs(estimate - kps).max() < 0.08 * width  # under 7 % of the face box: a few pixels
    left_eye, right_eye, nose, mouth_left, mouth_right = estimate
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


def test_the_best_face_is_the_highest_score_centred_in_the_box() -> None:
    outside = face_at(0, 0, 40, 40, 0.99)
    weak, strong = face_at(100, 100, 150, 150, 0.3), face_at(110, 100, 160, 150, 0.6)
    assert best_inside([outside, weak, strong], (90.0, 90.0, 170.0, 170.0)) is strong
    assert best_inside([outside], (90.0, 90.0, 170.0, 170.0)) is None


# --- numbering ------------------------------------------------------------------------------------------


def identity() -> Identity:
    source = face_at(0, 0, 50, 50)
    vector = np.ones(4, np.float32) / 2.0
    return Identity(faces=(SourceFace(np.zeros((60, 60, 3), np.uint8), source),), embedding=vector)


def test_added_faces_are_numbered_after_the_detected_ones_in_their_own_order() -> None:
    left, right = face_at(0, 0, 50, 50), face_at(300, 0, 350, 50)
    far_left_added, middle_added = face_at(-100, 0, -50, 50), face_at(150, 0, 200, 50)
    for order in ("left-right", "right-left", "large-small"):
        selection = Selection(mode="many", order=order)  # type: ignore[arg-type]
        numbered = candidates([right, left], selection, [middle_added, far_left_added])
        assert numbered[2:] == [middle_added, far_left_added]
    mapped = Selection(mode="many", mapping={0: 3})
    [(chosen, _)] = assign([right, left], [identity()], mapped, [middle_added, far_left_added])
    assert chosen is far_left_added
    with pytest.raises(BadOptionError, match="4 face"):
        assign([right, left], [identity()], Selection(mapping={0: 4}), [middle_added, far_left_added])


def test_an_added_face_is_enough_when_none_was_detected_or_the_filters_keep_none() -> None:
    added = face_at(10, 10, 60, 60)
    with pytest.raises(NoFaceInTargetError):
        assign([], [identity()], Selection())
    [(chosen, _)] = assign([], [identity()], Selection(mode="one"), [added])
    assert chosen is added
    man = Face(
        box=np.array((0, 0, 50, 50), np.float32),
        kps=kps_from_box((0, 0, 50, 50)),
        score=0.9,
        traits=FaceTraits("male", (30, 39), "white"),
    )
    women = Selection(mode="many", filters=FaceFilters(gender="female"))
    with pytest.raises(NoMatchingFaceError):
        candidates([man], women)
    assert candidates([man], women, [added]) == [added]


# --- the neural analyser inside a box (stand-ins) -------------------------------------------------------

WEAK = 0.3
"""The stand-in face's score: under the detector's threshold, over the one used inside a drawn box."""
BOX = (150.0, 50.0, 300.0, 210.0)
FACE = (172.0, 70.0, 275.0, 182.0)
"""Where the stand-in detector's weak face lands when it runs on ``BOX``'s search region."""


def in_crop_detector_pixels(face: tuple[float, ...], region: tuple[int, int, int, int]) -> StandinFace:
    """``face`` (image pixels) as the detector reports it on the letterboxed crop of ``region``."""
    x0, y0, x1, y1 = region
    scale = min(DETECTOR_SIDE / (x1 - x0), DETECTOR_SIDE / (y1 - y0))
    box = ((face[0] - x0) * scale, (face[1] - y0) * scale, (face[2] - x0) * scale, (face[3] - y0) * scale)
    kps = [((x - x0) * scale, (y - y0) * scale) for x, y in kps_from_box(face)]  # type: ignore[arg-type]
    return StandinFace(box=box, kps=kps, score=WEAK)


@pytest.fixture(scope="module")
def astronaut() -> ImageBGR:
    image = cv2.imread(str(FACES / ASTRONAUT.file), cv2.IMREAD_COLOR)
    assert image is not None
    return np.asarray(image, np.uint8)


def standin_analyser(folder: Path, faces: list[StandinFace]) -> NeuralAnalyser:
    paths = {
        "scrfd_2.5g": write_scrfd_standin(folder / "scrfd.onnx", faces),
        "arcface_w600k_r50": write_arcface_standin(folder / "arcface.onnx"),
    }
    settings = Settings(data_dir=folder / "data")
    return build_analyser(settings, "scrfd_2.5g", paths.__getitem__)  # type: ignore[index]


@pytest.fixture(scope="module")
def analyser(tmp_path_factory: pytest.TempPathFactory, astronaut: ImageBGR) -> NeuralAnalyser:
    """Its detector reports one weak face, which lands on ``FACE`` when it runs on ``BOX``'s region."""
    region = search_region(BOX, astronaut.shape[1], astronaut.shape[0])
    return standin_analyser(tmp_path_factory.mktemp("models"), [in_crop_detector_pixels(FACE, region)])


@pytest.fixture(scope="module")
def blind(tmp_path_factory: pytest.TempPathFactory) -> NeuralAnalyser:
    """Its detector finds no face anywhere."""
    return standin_analyser(tmp_path_factory.mktemp("blind"), [])


def test_the_weak_face_is_not_detected_in_the_whole_photo(
    analyser: NeuralAnalyser, astronaut: ImageBGR
) -> None:
    assert BOX_SCORE < WEAK < SCRFD_SCORE
    assert analyser.analyse(astronaut) == []


def test_the_face_inside_a_drawn_box_is_found_with_the_lower_threshold(
    analyser: NeuralAnalyser, astronaut: ImageBGR
) -> None:
    face = analyser.analyse_box(astronaut, BOX)
    assert face.score == pytest.approx(WEAK, abs=1e-3)
    np.testing.assert_allclose(face.box, FACE, atol=1.0)
    np.testing.assert_allclose(face.kps, kps_from_box(FACE), atol=1.0)
    assert face.embedding is not None
    assert face.embedding.shape == (512,)
    assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-4
    assert isinstance(analyser.detector, ScrfdDetector)
    assert analyser.detector.score_threshold == SCRFD_SCORE  # loosened for the box only


def test_a_box_with_no_face_found_gets_the_template_key_points(
    blind: NeuralAnalyser, astronaut: ImageBGR
) -> None:
    face = blind.analyse_box(astronaut, BOX)
    assert face.score == 0.0
    np.testing.assert_allclose(face.box, BOX)
    np.testing.assert_allclose(face.kps, kps_from_box(BOX), atol=1e-4)
    assert face.embedding is not None
    assert face.embedding.shape == (512,)


def test_wrapped_analysers_find_the_same_face_and_boxes_are_checked_first(
    analyser: NeuralAnalyser, astronaut: ImageBGR
) -> None:
    [face] = find_extra_faces(RotatingAnalyser(analyser, (0, 90)), astronaut, [BOX])
    np.testing.assert_allclose(face.box, FACE, atol=1.0)
    with pytest.raises(BadOptionError, match="outside the 512x512 image"):
        find_extra_faces(analyser, astronaut, [(400.0, 400.0, 520.0, 500.0)])
