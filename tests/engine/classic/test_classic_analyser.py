"""The dlib analyser on the shared photos: one face each, landmarks, key points, embeddings."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import EngineSettings, Settings
from faceswap.engine.classic import build_classic_engine
from faceswap.engine.classic.analyser import (
    DEFAULT_REFERENCE_THRESHOLD,
    AnalyserOptions,
    detection_scale,
    kps_from_landmarks,
)
from faceswap.engine.protocols import Engine
from faceswap.engine.types import Embedding, Face, ImageBGR
from faceswap.errors import InputError

# Where the faces are, from dlib's HOG detector run by hand on the photos (x1, y1, x2, y2).
ASTRONAUT_BOX = (175, 76, 265, 166)
GRACE_BOX = (180, 139, 366, 325)


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union


def distance(a: Embedding | None, b: Embedding | None) -> float:
    assert a is not None
    assert b is not None
    return 1.0 - float(np.dot(a, b))


def rotate(image: ImageBGR, degrees: float) -> ImageBGR:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), degrees, 1.0)
    return np.asarray(cv2.warpAffine(image, matrix, (width, height), borderMode=cv2.BORDER_REFLECT_101))


@pytest.mark.parametrize(("which", "expected_box"), [("astronaut", ASTRONAUT_BOX), ("grace", GRACE_BOX)])
def test_each_photo_has_exactly_its_one_face(
    request: pytest.FixtureRequest, classic_engine: Engine, which: str, expected_box: tuple[int, ...]
) -> None:
    image = request.getfixturevalue(which)
    faces = classic_engine.analyser.analyse(image)
    assert len(faces) == 1
    face = faces[0]
    assert iou(tuple(float(v) for v in face.box), tuple(float(v) for v in expected_box)) > 0.5
    assert face.landmarks is not None
    assert face.landmarks.shape == (68, 2)
    assert face.landmarks.dtype == np.float32
    x1, y1, x2, y2 = face.box
    assert (face.landmarks[:, 0] >= x1).all()
    assert (face.landmarks[:, 0] <= x2).all()
    assert (face.landmarks[:, 1] >= y1).all()
    assert (face.landmarks[:, 1] <= y2).all()
    assert face.score >= AnalyserOptions().verify_threshold


def test_key_points_are_eyes_nose_mouth_as_seen(astronaut_face: Face) -> None:
    kps = astronaut_face.kps
    assert kps.shape == (5, 2)
    assert kps.dtype == np.float32
    left_eye, right_eye, nose, mouth_left, mouth_right = kps
    assert left_eye[0] < nose[0] < right_eye[0]
    assert mouth_left[0] < nose[0] < mouth_right[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])
    # The astronaut's eyes are about 43 px apart and level.
    assert 35 < right_eye[0] - left_eye[0] < 55
    assert abs(right_eye[1] - left_eye[1]) < 6


def test_key_points_of_synthetic_landmarks() -> None:
    landmarks = np.zeros((68, 2), dtype=np.float32)
    landmarks[36:42] = [[10, 20], [12, 18], [14, 18], [16, 20], [14, 22], [12, 22]]
    landmarks[42:48] = landmarks[36:42] + np.float32([30, 2])
    landmarks[30] = [28, 40]
    landmarks[48] = [18, 55]
    landmarks[54] = [40, 56]
    kps = kps_from_landmarks(landmarks)
    np.testing.assert_allclose(kps, [[13, 20], [43, 22], [28, 40], [18, 55], [40, 56]], atol=1e-5)
    with pytest.raises(InputError):
        kps_from_landmarks(landmarks[:5])


def test_embeddings_are_unit_128d(astronaut_face: Face, grace_face: Face) -> None:
    for face in (astronaut_face, grace_face):
        assert face.embedding is not None
        assert face.embedding.shape == (128,)
        assert face.embedding.dtype == np.float32
        assert abs(float(np.linalg.norm(face.embedding)) - 1.0) < 1e-5


def test_the_two_people_do_not_match(classic_engine: Engine, astronaut_face: Face, grace_face: Face) -> None:
    assert distance(astronaut_face.embedding, grace_face.embedding) > (
        classic_engine.analyser.default_reference_threshold
    )


@pytest.mark.parametrize("variant", ["flip", "half", "x1.5", "rotate12"])
@pytest.mark.parametrize("which", ["astronaut", "grace"])
def test_a_person_matches_a_changed_copy_of_their_photo(
    request: pytest.FixtureRequest, classic_engine: Engine, which: str, variant: str
) -> None:
    image = request.getfixturevalue(which)
    own = request.getfixturevalue(f"{which}_face")
    other = request.getfixturevalue("grace_face" if which == "astronaut" else "astronaut_face")
    changed = {
        "flip": lambda: np.ascontiguousarray(image[:, ::-1]),
        "half": lambda: cv2.resize(image, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA),
        "x1.5": lambda: cv2.resize(image, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC),
        "rotate12": lambda: rotate(image, 12.0),
    }[variant]()
    faces = classic_engine.analyser.analyse(np.asarray(changed, dtype=np.uint8))
    assert len(faces) == 1
    threshold = classic_engine.analyser.default_reference_threshold
    assert distance(faces[0].embedding, own.embedding) < threshold
    assert distance(faces[0].embedding, other.embedding) > threshold


def test_faces_are_sorted_left_to_right(
    classic_engine: Engine, astronaut: ImageBGR, grace: ImageBGR, astronaut_face: Face, grace_face: Face
) -> None:
    group = np.hstack([grace[:512], astronaut])  # Grace on the left, the astronaut on the right
    faces = classic_engine.analyser.analyse(group)
    assert len(faces) == 2
    assert faces[0].center_x < faces[1].center_x
    threshold = classic_engine.analyser.default_reference_threshold
    assert distance(faces[0].embedding, grace_face.embedding) < threshold
    assert distance(faces[1].embedding, astronaut_face.embedding) < threshold
    assert faces[1].box[0] >= grace.shape[1]


def test_no_face_gives_an_empty_list(classic_engine: Engine, astronaut: ImageBGR) -> None:
    # The suit and helmet below the astronaut's face hold HOG false positives that verification rejects.
    assert classic_engine.analyser.analyse(np.ascontiguousarray(astronaut[300:])) == []
    assert classic_engine.analyser.analyse(np.full((240, 320, 3), 127, dtype=np.uint8)) == []
    noise = np.random.default_rng(0).integers(0, 256, (200, 200, 3), dtype=np.uint8)
    assert classic_engine.analyser.analyse(noise) == []


def test_a_strip_one_pixel_thin_has_no_face_rather_than_an_opencv_error(classic_engine: Engine) -> None:
    for shape in ((3000, 1, 3), (1, 3000, 3)):  # shrunk by half for detection: under a pixel
        assert classic_engine.analyser.analyse(np.full(shape, 127, dtype=np.uint8)) == []


def test_rejects_images_that_are_not_bgr_uint8(classic_engine: Engine) -> None:
    with pytest.raises(InputError):
        classic_engine.analyser.analyse(np.zeros((64, 64), dtype=np.uint8))
    with pytest.raises(InputError):
        classic_engine.analyser.analyse(np.zeros((64, 64, 3), dtype=np.float32))  # type: ignore[arg-type]


def test_detection_scale_upscales_small_and_shrinks_large_images() -> None:
    options = AnalyserOptions()
    assert options.detect_long_side == 2048
    assert detection_scale(512, 512, options) == pytest.approx(2.0)  # upscaled at most 2x towards 2048
    assert detection_scale(300, 200, options) == pytest.approx(1024 / 300)  # but at least to 1024
    assert detection_scale(600, 1024, options) == pytest.approx(2.0)
    assert detection_scale(1152, 2048, options) == pytest.approx(1.0)
    assert detection_scale(100, 80, options) == pytest.approx(options.max_detect_scale)
    assert detection_scale(4500, 6000, options) == pytest.approx(options.min_detect_scale)


def test_settings_override_the_reference_threshold(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, engine=EngineSettings(reference_threshold=0.2))
    engine = build_classic_engine(settings)
    assert engine.analyser.default_reference_threshold == pytest.approx(0.2)
    assert AnalyserOptions().reference_threshold == pytest.approx(DEFAULT_REFERENCE_THRESHOLD)
