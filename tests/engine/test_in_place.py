"""Faces written into the frames themselves (``in_place``, ``FrameSwapper.overwrite``) give the pixels
written into copies give, and frames that are not ours to change are never changed."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import EngineSettings, Settings
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.onnx import uploads
from faceswap.engine.onnx.engine import build_enhancer, build_neural_engine
from faceswap.engine.onnx.enhancer import OnnxEnhancer
from faceswap.engine.onnx.swapper import OnnxSwapper
from faceswap.engine.pipeline import EnhancerStep
from faceswap.engine.protocols import Engine
from faceswap.engine.selection import Selection
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
SHIFT = 60
"""The second face: the astronaut's, moved right and down (the stand-in detector reports both)."""


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    return cv2.imread(str(FACES / ASTRONAUT.file))


def two_faces() -> list[Face]:
    kps = np.array(ASTRONAUT.kps, np.float32)
    box = np.array(ASTRONAUT.box, np.float32)
    return [Face(box=box, kps=kps, score=0.9), Face(box=box + SHIFT, kps=kps + SHIFT, score=0.9)]


def built(tmp_path: Path, photo: np.ndarray, geometry: str) -> tuple[Engine, OnnxEnhancer]:
    standin_faces = [StandinFace(tuple(f.box), [tuple(p) for p in f.kps]) for f in two_faces()]  # type: ignore[arg-type]
    paths = write_standin_models(tmp_path, letterboxed(standin_faces, photo.shape), "constant")
    settings = Settings(data_dir=tmp_path, engine=EngineSettings(gpu_geometry=geometry))  # type: ignore[arg-type]
    engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    return engine, build_enhancer(settings, "gfpgan_1.4", paths.__getitem__)


def identity(photo: np.ndarray) -> Identity:
    vector = np.random.default_rng(2).standard_normal(512).astype(np.float32)
    return Identity((SourceFace(photo, two_faces()[0]),), vector / np.linalg.norm(vector))


@pytest.mark.parametrize("geometry", ["on", "off"])
def test_swap_and_enhance_in_place_equal_their_copies(
    tmp_path: Path, photo: np.ndarray, geometry: str
) -> None:
    engine, enhancer = built(tmp_path, photo, geometry)
    swapper = engine.swapper
    assert isinstance(swapper, OnnxSwapper)
    assert (swapper.geometry is not None) is (geometry == "on")
    shifted = np.ascontiguousarray(np.roll(photo, 17, axis=1))
    faces, person = two_faces(), identity(photo)
    steps = [
        lambda frames, in_place: swapper.swap_batch(frames, faces, [person] * 2, in_place=in_place),
        lambda frames, in_place: enhancer.enhance_batch(frames, faces, 0.8, in_place=in_place),
    ]
    for step in steps:
        frames = [photo.copy(), shifted.copy()]
        copies = step(frames, False)
        assert all(np.array_equal(f, o) for f, o in zip(frames, (photo, shifted), strict=True))  # untouched
        assert not np.array_equal(copies[0], photo)
        written = step(frames, True)
        for got, frame, want in zip(written, frames, copies, strict=True):
            assert got is frame
            np.testing.assert_array_equal(got, want)
        locked = photo.copy()
        locked.flags.writeable = False
        from_locked = step([locked, shifted.copy()], True)[0]
        assert from_locked is not locked
        np.testing.assert_array_equal(locked, photo)
        np.testing.assert_array_equal(from_locked, copies[0])


@pytest.mark.parametrize("geometry", ["on", "off"])
def test_frame_swapper_overwrite_equals_copies_and_leaves_callers_frames_alone(
    tmp_path: Path, photo: np.ndarray, geometry: str
) -> None:
    """Two faces per frame (a second swap into the first's result) and the enhancer after them."""
    engine, enhancer = built(tmp_path, photo, geometry)
    step = EnhancerStep("gfpgan_1.4", enhancer, 0.7)
    frames = [photo, np.ascontiguousarray(np.roll(photo, 9, axis=0)), photo.copy()]
    originals = [frame.copy() for frame in frames]
    person = identity(photo)
    kept = FrameSwapper(engine, [person], Selection(mode="many"), step, smoothing=0.0)(frames)
    for frame, original in zip(frames, originals, strict=True):
        np.testing.assert_array_equal(frame, original)
    owned = [frame.copy() for frame in frames]
    overwriting = FrameSwapper(engine, [person], Selection(mode="many"), step, smoothing=0.0, overwrite=True)
    written = overwriting(owned)
    assert overwriting.stats.faces_swapped == 2 * len(frames)
    for got, frame, want, original in zip(written, owned, kept, originals, strict=True):
        assert got is frame
        np.testing.assert_array_equal(got, want)
        assert not np.array_equal(got, original)


def test_a_batch_goes_up_once_for_the_detector_and_the_first_swaps(
    tmp_path: Path, photo: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In FrameSwapper's batch scope the warp reuses the letterbox's upload while the frames are
    unchanged; the second faces' swaps read frames changed by the first, so they go up again."""
    engine, _ = built(tmp_path, photo, "on")
    sizes: list[int] = []
    real = uploads.upload_frames
    monkeypatch.setattr(
        uploads, "upload_frames", lambda frames, *rest: sizes.append(len(frames)) or real(frames, *rest)
    )
    person = identity(photo)
    for overwrite in (False, True):
        sizes.clear()
        frames = [photo.copy(), np.ascontiguousarray(np.roll(photo, 9, axis=0))]
        FrameSwapper(engine, [person], Selection(mode="many"), overwrite=overwrite)(frames)
        assert sizes == [2, 2]
    sizes.clear()
    found = engine.analyser.analyse(photo)  # outside a scope nothing is kept
    engine.swapper.swap(photo, found[0], person)
    assert sizes == [1, 1]


def test_frame_swapper_on_the_device_equals_the_host_path(tmp_path: Path, photo: np.ndarray) -> None:
    """Letterbox, shared upload, two swaps into one frame, enhancer: within the geometry tests' levels."""
    person, results = identity(photo), []
    for geometry in ("on", "off"):
        engine, enhancer = built(tmp_path / geometry, photo, geometry)
        step = EnhancerStep("gfpgan_1.4", enhancer, 0.7)
        frames = [photo.copy(), np.ascontiguousarray(np.roll(photo, 9, axis=0))]
        results.append(FrameSwapper(engine, [person], Selection(mode="many"), step, overwrite=True)(frames))
    for on, off in zip(*results, strict=True):
        levels = np.abs(on.astype(np.int32) - off.astype(np.int32))
        assert levels.mean() < 1.0
        assert levels.max() <= 3
