"""The classic swap on the shared photos: the face changes, the rest stays bit-identical."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from faceswap.engine.classic import CLASSIC_MODELS
from faceswap.engine.classic.blend import hull_mask
from faceswap.engine.classic.swapper import BlendOptions, swap_face
from faceswap.engine.protocols import Engine
from faceswap.engine.types import Face, Identity, ImageBGR, SourceFace
from faceswap.errors import NoFaceInSourceError


def identity_of(image: ImageBGR, face: Face) -> Identity:
    assert face.embedding is not None
    return Identity(faces=(SourceFace(image=image, face=face),), embedding=face.embedding)


def distance(a: np.ndarray | None, b: np.ndarray | None) -> float:
    assert a is not None
    assert b is not None
    return 1.0 - float(np.dot(a, b))


def only_face(engine: Engine, image: ImageBGR) -> Face:
    faces = engine.analyser.analyse(image)
    assert len(faces) == 1
    return faces[0]


def grown_box_mask(face: Face, shape: tuple[int, ...], margin: float) -> np.ndarray:
    """True inside the face's box grown by ``margin`` times its size on every side."""
    x1, y1, x2, y2 = (float(v) for v in face.box)
    pad_x, pad_y = margin * (x2 - x1), margin * (y2 - y1)
    mask = np.zeros(shape[:2], bool)
    top, left = max(0, int(y1 - pad_y)), max(0, int(x1 - pad_x))
    mask[top : int(y2 + pad_y) + 1, left : int(x2 + pad_x) + 1] = True
    return mask


def check_swap(
    engine: Engine, frame: ImageBGR, target: Face, source_image: ImageBGR, source: Face
) -> ImageBGR:
    """Swaps and checks what every swap must hold; returns the result."""
    before = frame.copy()
    out = engine.swapper.swap(frame, target, identity_of(source_image, source))
    assert np.array_equal(frame, before)  # the input is not modified
    assert out.shape == frame.shape
    assert out.dtype == np.uint8
    # Nothing changes outside the box grown by a quarter, nor outside the landmarks' hull.
    assert np.array_equal(
        out[~grown_box_mask(target, frame.shape, 0.25)], frame[~grown_box_mask(target, frame.shape, 0.25)]
    )
    assert target.landmarks is not None
    hull = hull_mask(target.landmarks, frame.shape[:2]) > 0
    assert np.array_equal(out[~hull], frame[~hull])
    assert np.array_equal(out[:16, :16], frame[:16, :16])
    assert np.array_equal(out[-16:, -16:], frame[-16:, -16:])
    # The inner face changes a lot.
    inner = cv2.erode(hull.astype(np.uint8), np.ones((9, 9), np.uint8)) > 0
    change = np.abs(out.astype(np.int16) - frame.astype(np.int16))[inner].mean()
    assert change > 12.0
    return out


def test_engine_names_what_runs(classic_engine: Engine) -> None:
    assert classic_engine.name == "classic"
    assert classic_engine.models == CLASSIC_MODELS
    assert "dlib_hog" in classic_engine.models


@pytest.mark.parametrize(("target_name", "source_name"), [("astronaut", "grace"), ("grace", "astronaut")])
def test_swap_moves_the_face_towards_the_source(
    request: pytest.FixtureRequest, classic_engine: Engine, target_name: str, source_name: str
) -> None:
    frame, target = request.getfixturevalue(target_name), request.getfixturevalue(f"{target_name}_face")
    source_image, source = (
        request.getfixturevalue(source_name),
        request.getfixturevalue(f"{source_name}_face"),
    )
    out = check_swap(classic_engine, frame, target, source_image, source)
    swapped = only_face(classic_engine, out)
    assert distance(swapped.embedding, source.embedding) < distance(target.embedding, source.embedding)


def test_swap_is_well_under_a_second(
    classic_engine: Engine, astronaut: ImageBGR, astronaut_face: Face, grace: ImageBGR, grace_face: Face
) -> None:
    identity = identity_of(grace, grace_face)
    classic_engine.swapper.swap(astronaut, astronaut_face, identity)  # first call warms OpenCV up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        classic_engine.swapper.swap(astronaut, astronaut_face, identity)
        times.append(time.perf_counter() - start)
    assert sorted(times)[1] < 0.3  # measured about 10 to 25 ms on 512 px photos


def test_sources_and_targets_of_very_different_sizes(
    classic_engine: Engine, astronaut: ImageBGR, grace: ImageBGR, grace_face: Face
) -> None:
    small_source = np.asarray(cv2.resize(grace, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA))
    large_target = np.asarray(cv2.resize(astronaut, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC))
    target = only_face(classic_engine, large_target)
    out = check_swap(
        classic_engine, large_target, target, small_source, only_face(classic_engine, small_source)
    )
    assert distance(only_face(classic_engine, out).embedding, grace_face.embedding) < distance(
        target.embedding, grace_face.embedding
    )

    large_source = np.asarray(cv2.resize(grace, None, fx=2.5, fy=2.5, interpolation=cv2.INTER_CUBIC))
    small_target = np.asarray(cv2.resize(astronaut, None, fx=0.6, fy=0.6, interpolation=cv2.INTER_AREA))
    target = only_face(classic_engine, small_target)
    check_swap(classic_engine, small_target, target, large_source, only_face(classic_engine, large_source))


def test_rotated_target(
    classic_engine: Engine, astronaut: ImageBGR, grace: ImageBGR, grace_face: Face
) -> None:
    matrix = cv2.getRotationMatrix2D((256, 256), 15, 1.0)
    rotated = np.asarray(cv2.warpAffine(astronaut, matrix, (512, 512), borderMode=cv2.BORDER_REFLECT_101))
    target = only_face(classic_engine, rotated)
    out = check_swap(classic_engine, rotated, target, grace, grace_face)
    assert distance(only_face(classic_engine, out).embedding, grace_face.embedding) < distance(
        target.embedding, grace_face.embedding
    )


def test_face_cut_by_the_frame_border_is_alpha_blended(
    classic_engine: Engine, astronaut: ImageBGR, astronaut_face: Face, grace: ImageBGR, grace_face: Face
) -> None:
    frame = np.ascontiguousarray(astronaut[60:, 200:])  # the face's left third is cut off
    assert astronaut_face.landmarks is not None
    shift = np.float32([200, 60])
    landmarks = astronaut_face.landmarks - shift
    assert (landmarks[:, 0] < 0).any()
    target = Face(
        box=astronaut_face.box - np.float32([200, 60, 200, 60]),
        kps=astronaut_face.kps - shift,
        score=astronaut_face.score,
        embedding=astronaut_face.embedding,
        landmarks=landmarks,
    )
    out = check_swap(classic_engine, frame, target, grace, grace_face)
    assert not np.array_equal(out[:, :5], frame[:, :5])  # the face is swapped right up to the border


def test_target_without_landmarks_gets_them_from_its_box(
    classic_engine: Engine, astronaut: ImageBGR, astronaut_face: Face, grace: ImageBGR, grace_face: Face
) -> None:
    bare = Face(box=astronaut_face.box, kps=astronaut_face.kps, score=astronaut_face.score)
    identity = identity_of(grace, grace_face)
    out = classic_engine.swapper.swap(astronaut, bare, identity)
    reference = classic_engine.swapper.swap(astronaut, astronaut_face, identity)
    region = grown_box_mask(astronaut_face, astronaut.shape, 0.0)
    change = np.abs(out.astype(np.int16) - astronaut.astype(np.int16))[region].mean()
    gap = np.abs(out.astype(np.int16) - reference.astype(np.int16))[region].mean()
    assert gap < change / 3


def test_alpha_only_blend_without_seamless_cloning(
    astronaut: ImageBGR, astronaut_face: Face, grace: ImageBGR, grace_face: Face
) -> None:
    assert astronaut_face.landmarks is not None
    assert grace_face.landmarks is not None
    options = BlendOptions(seamless=False)
    out = swap_face(grace, grace_face.landmarks, astronaut, astronaut_face.landmarks, options)
    hull = hull_mask(astronaut_face.landmarks, astronaut.shape[:2]) > 0
    assert np.array_equal(out[~hull], astronaut[~hull])
    assert np.abs(out.astype(np.int16) - astronaut.astype(np.int16))[hull].mean() > 8.0


def test_an_identity_without_photos_is_refused(
    classic_engine: Engine, astronaut: ImageBGR, astronaut_face: Face, grace_face: Face
) -> None:
    assert grace_face.embedding is not None
    empty = Identity(faces=(), embedding=grace_face.embedding)
    with pytest.raises(NoFaceInSourceError):
        classic_engine.swapper.swap(astronaut, astronaut_face, empty)
