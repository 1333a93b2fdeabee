"""Faces on their side or upside down: found in a turned copy, mapped back, swapped upright.

The detector stand-in here finds its face only in the very picture it was made for, upright (its score is
gated by the input's correlation with that picture: :mod:`faceswap.testing.upright_probe`). A real photo
turned by 90, 180 or 270 degrees must then be found through the copy turned back, and its box and key
points must land where the turn took the photo's own (computed here from ``numpy.rot90``'s definition).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import Settings
from faceswap.engine.analysis import with_analysis
from faceswap.engine.geometry import paste_box, warp_face
from faceswap.engine.onnx.detector import detector_input_size, prepare_scrfd_frame
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.onnx.signature import SCRFD_OUTPUTS
from faceswap.engine.protocols import Engine
from faceswap.engine.rotation import merge_angles, rotate_image, rotation_matrix, unrotation_matrix
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.errors import BadOptionError
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER, PhotoFace
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models
from faceswap.testing.upright_probe import gate_by_template

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
PHOTOS = {"hopper": GRACE_HOPPER, "astronaut": ASTRONAUT}
ALL_ANGLES = (0, 90, 180, 270)


def turned_point(x: float, y: float, angle: int, width: int, height: int) -> tuple[float, float]:
    """Where pixel (x, y) of a ``width`` x ``height`` picture is once the picture is turned ``angle``
    degrees clockwise (numpy.rot90(k=-1) turns clockwise: row i of the result is column i read upwards)."""
    if angle == 90:
        return height - 1 - y, x
    if angle == 180:
        return width - 1 - x, height - 1 - y
    if angle == 270:
        return y, width - 1 - x
    return x, y


def turned_points(points: np.ndarray, angle: int, shape: tuple[int, ...]) -> np.ndarray:
    height, width = shape[:2]
    return np.array([turned_point(x, y, angle, width, height) for x, y in points], np.float32)


@pytest.mark.parametrize("angle", ALL_ANGLES)
def test_rotation_matrices_follow_the_pixels(angle: int) -> None:
    image = np.zeros((7, 5, 3), np.uint8)  # 5 wide, 7 high
    image[2, 1] = 255  # x = 1, y = 2
    turned = rotate_image(image, angle)
    assert np.array_equal(turned, np.rot90(image, k=-angle // 90))
    y, x = np.argwhere(turned[:, :, 0] == 255)[0]
    matrix = rotation_matrix(angle, image.shape)
    assert tuple(matrix[:, :2] @ [1, 2] + matrix[:, 2]) == (x, y) == turned_point(1, 2, angle, 5, 7)
    back = unrotation_matrix(angle, image.shape)
    assert tuple(back[:, :2] @ [x, y] + back[:, 2]) == (1, 2)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"))


def upright_engine(settings: Settings, directory: Path, photo: PhotoFace, image: np.ndarray) -> Engine:
    """The neural engine on stand-ins whose detector finds ``photo``'s face only in ``image`` upright;
    the swapper pastes :func:`~faceswap.testing.swapper_standins.oriented_pattern`."""
    faces = letterboxed([StandinFace(photo.box, photo.kps)], image.shape)
    paths = write_standin_models(directory, faces, "pattern")
    template, _ = prepare_scrfd_frame(image, (640, 640))
    gate_by_template(paths["scrfd_2.5g"], template, SCRFD_OUTPUTS[:3])
    engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    assert detector_input_size(engine.analyser.detector.model) == (640, 640)  # type: ignore[attr-defined]
    return engine


@pytest.fixture(scope="module", params=sorted(PHOTOS))
def case(
    request: pytest.FixtureRequest, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[PhotoFace, np.ndarray, Engine]:
    photo = PHOTOS[request.param]
    image = cv2.imread(str(FACES / photo.file))
    return photo, image, upright_engine(settings, tmp_path_factory.mktemp(request.param), photo, image)


def test_the_stand_in_finds_the_face_only_upright(case: tuple[PhotoFace, np.ndarray, Engine]) -> None:
    photo, image, engine = case
    [face] = engine.analyser.analyse(image)
    np.testing.assert_allclose(face.kps, photo.kps, atol=1e-3)
    for angle in (90, 180, 270):
        assert engine.analyser.analyse(rotate_image(image, angle)) == []


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_face_is_found_where_the_turn_took_it(
    case: tuple[PhotoFace, np.ndarray, Engine], turn: int
) -> None:
    photo, image, engine = case
    target = rotate_image(image, turn)
    faces = with_analysis(engine, None, ALL_ANGLES).analyser.analyse(target)
    assert len(faces) == 1
    face = faces[0]
    np.testing.assert_allclose(face.kps, turned_points(np.array(photo.kps), turn, image.shape), atol=1e-3)
    x1, y1, x2, y2 = photo.box
    corners = turned_points(np.array([[x1, y1], [x2, y2]]), turn, image.shape)
    np.testing.assert_allclose(face.box[:2], corners.min(axis=0), atol=1e-3)
    np.testing.assert_allclose(face.box[2:], corners.max(axis=0), atol=1e-3)
    assert face.embedding is not None
    assert 0.0 <= face.box[0] < face.box[2] <= target.shape[1]
    assert 0.0 <= face.box[1] < face.box[3] <= target.shape[0]


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_face_is_swapped_upright(case: tuple[PhotoFace, np.ndarray, Engine], turn: int) -> None:
    """The swap of the turned photo is the turned swap of the upright photo: the pasted pattern (red
    grows down the face, green to its right) turns with the face."""
    _, image, engine = case
    identity_embedding = np.ones(512, np.float32) / np.sqrt(512)
    [upright_face] = engine.analyser.analyse(image)
    source = Identity((SourceFace(image, upright_face),), identity_embedding)
    upright = engine.swapper.swap(image, upright_face, source)
    target = rotate_image(image, turn)
    [face] = with_analysis(engine, None, ALL_ANGLES).analyser.analyse(target)
    swapped = engine.swapper.swap(target, face, source)
    expected = rotate_image(upright, turn)
    _, matrix = warp_face(target, face.kps, "arcface_128", 128)
    x0, y0, x1, y1 = paste_box((128, 128), matrix, target.shape[:2])
    region = (slice(y0, y1), slice(x0, x1))
    assert np.abs(swapped[region].astype(int) - target[region]).mean() > 20  # the pattern is there
    assert np.abs(swapped[region].astype(int) - expected[region]).mean() < 3.0
    # and the crop the swapper saw was the upright face's
    crop_turned, _ = warp_face(target, face.kps, "arcface_128", 128)
    crop_upright, _ = warp_face(image, upright_face.kps, "arcface_128", 128)
    assert np.abs(crop_turned.astype(int) - crop_upright).mean() < 3.0


def test_faces_found_at_two_angles_are_one_face() -> None:
    def face(x: float, score: float) -> Face:
        box = np.array([x, 10, x + 100, 110], np.float32)
        return Face(box=box, kps=np.zeros((5, 2), np.float32), score=score)

    same_angle = [face(0, 0.9), face(70, 0.8)]  # IoU 0.18: the detector kept both, so do we
    merged = merge_angles([same_angle, [face(300, 0.95)]], iou=0.1)
    assert [(float(f.box[0]), f.score) for f in merged] == [(0.0, 0.9), (70.0, 0.8), (300.0, 0.95)]
    # a better face of another angle over them: both go (IoU 0.82 and 0.25)
    merged = merge_angles([same_angle, [face(10, 0.95)]], iou=0.1)
    assert [(float(f.box[0]), f.score) for f in merged] == [(10.0, 0.95)]


def test_bad_angles_are_refused(case: tuple[PhotoFace, np.ndarray, Engine]) -> None:
    _, _, engine = case
    with pytest.raises(BadOptionError, match="0, 90, 180, 270"):
        with_analysis(engine, None, (0, 45))
