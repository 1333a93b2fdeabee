"""Analysing several frames at once gives what analysing them one by one gives, with fewer model calls."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest

from faceswap.config import EngineSettings
from faceswap.engine.frames import BatchAnalyser, FrameSwapper
from faceswap.engine.onnx.analyser import NeuralAnalyser
from faceswap.engine.onnx.decode import split_batch
from faceswap.engine.onnx.detector import ScrfdDetector, YunetDetector
from faceswap.engine.onnx.recognizer import ArcFaceRecognizer
from faceswap.engine.onnx.session import ModelSession, open_session
from faceswap.engine.onnx.swapper import load_swapper
from faceswap.engine.protocols import Engine
from faceswap.engine.selection import Selection
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.errors import ModelSignatureError
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.moving import write_moving_scrfd_standin
from faceswap.testing.standins import (
    StandinFace,
    write_arcface_standin,
    write_inswapper_standin,
    write_yunet_standin,
)

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
SIZE = (320, 180)  # letterboxed x2 into the detector's 640 square
SIDE = 120
TOP = (SIZE[1] - SIDE) // 2


class CountingSession:
    """The ONNX Runtime session below a ModelSession, counting its ``run`` calls."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.runs = 0

    def run(self, names: Any, feeds: Mapping[str, Any]) -> Any:
        self.runs += 1
        return self.session.run(names, feeds)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def counted(model: ModelSession) -> tuple[ModelSession, CountingSession]:
    counter = CountingSession(model.session)
    return ModelSession(model.name, model.path, counter), counter


def frames_with_moving_face(xs: list[int | None]) -> list[np.ndarray]:
    photo = cv2.imread(str(FACES / "astronaut.png"))
    face = cv2.resize(photo, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    frames = []
    for x in xs:
        frame = np.full((SIZE[1], SIZE[0], 3), 96, np.uint8)
        if x is not None:
            frame[TOP : TOP + SIDE, x : x + SIDE] = face
        frames.append(frame)
    return frames


def moving_detector(folder: Path, dynamic: bool, layout: str) -> ModelSession:
    path = write_moving_scrfd_standin(
        folder / f"det_{dynamic}_{layout}.onnx",
        band=(2 * TOP + 90, 2 * TOP + 150),
        face_rows=(2 * TOP, 2 * (TOP + SIDE)),
        dynamic_batch=dynamic,
        layout=layout,  # type: ignore[arg-type]
    )
    return open_session("scrfd_2.5g", path, EngineSettings(dynamic_batch="off"))


@pytest.fixture(scope="module")
def arcface(tmp_path_factory: pytest.TempPathFactory) -> ModelSession:
    path = write_arcface_standin(tmp_path_factory.mktemp("arcface") / "arcface.onnx")
    return open_session("arcface_w600k_r50", path, EngineSettings())


def assert_same_faces(batch: list[list[Face]], single: list[list[Face]]) -> None:
    assert len(batch) == len(single)
    for got, want in zip(batch, single, strict=True):
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            np.testing.assert_allclose(a.box, b.box, atol=1e-4)
            np.testing.assert_allclose(a.kps, b.kps, atol=1e-4)
            assert a.score == pytest.approx(b.score)
            assert a.embedding is not None
            assert b.embedding is not None
            np.testing.assert_allclose(a.embedding, b.embedding, atol=1e-5)


def test_split_batch_handles_leading_and_flattened_batch_axes() -> None:
    batched = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    flat = batched.reshape(6, 4)
    parts = split_batch([batched, flat], 2)
    assert [p.shape for p in parts[0]] == [(1, 3, 4), (3, 4)]
    np.testing.assert_array_equal(parts[1][0][0], batched[1])
    np.testing.assert_array_equal(parts[1][1], batched[1])
    with pytest.raises(ModelSignatureError):
        split_batch([np.zeros((5, 2))], 2)


@pytest.mark.parametrize("dynamic", [True, False], ids=["dynamic", "fixed"])
@pytest.mark.parametrize("layout", ["batched", "flat"])
def test_analyse_batch_equals_analysing_each_frame(
    tmp_path: Path, arcface: ModelSession, dynamic: bool, layout: str
) -> None:
    frames = frames_with_moving_face([0, 60, None, 150, 200])
    detector, detector_runs = counted(moving_detector(tmp_path, dynamic, layout))
    recognizer, recognizer_runs = counted(arcface)
    analyser = NeuralAnalyser(ScrfdDetector(detector), ArcFaceRecognizer(recognizer))
    assert isinstance(analyser, BatchAnalyser)
    single = [analyser.analyse(frame) for frame in frames]
    detector_runs.runs = recognizer_runs.runs = 0
    batch = analyser.analyse_batch(frames)
    assert_same_faces(batch, single)
    assert [len(faces) for faces in batch] == [1, 1, 0, 1, 1]
    left_edges = [float(faces[0].box[0]) for faces in batch if faces]
    assert left_edges == sorted(left_edges)
    assert len(set(left_edges)) == 4  # the face moves
    assert detector_runs.runs == (2 if dynamic else len(frames))  # 4 frames per call at most
    assert recognizer_runs.runs == 1  # every face of every frame in one call


def test_yunet_detect_batch_equals_detect(tmp_path: Path) -> None:
    faces = [
        StandinFace((100.0, 80.0, 220.0, 200.0), [(130, 120), (190, 120), (160, 150), (135, 175), (185, 175)])
    ]
    model = open_session("yunet", write_yunet_standin(tmp_path / "yunet.onnx", faces), EngineSettings())
    detector = YunetDetector(model)
    frames = frames_with_moving_face([0, 100])
    batch = detector.detect_batch(frames)
    assert [len(found) for found in batch] == [1, 1]
    for got, frame in zip(batch, frames, strict=True):
        want = detector.detect(frame)
        np.testing.assert_allclose(got[0].box, want[0].box)
        np.testing.assert_allclose(got[0].kps, want[0].kps)


def test_frame_swapper_output_is_the_same_with_and_without_batching(
    tmp_path: Path, arcface: ModelSession
) -> None:
    swapper = load_swapper(
        open_session(
            "inswapper_128",
            write_inswapper_standin(tmp_path / "swap.onnx", "constant", dynamic_batch=True),
            EngineSettings(),
        ),
        SWAPPERS["inswapper_128"],
    )
    analyser = NeuralAnalyser(
        ScrfdDetector(moving_detector(tmp_path, True, "batched")), ArcFaceRecognizer(arcface)
    )
    engine = Engine("inswapper_128", analyser, swapper, ("scrfd_2.5g", "arcface_w600k_r50", "inswapper_128"))
    hopper = cv2.imread(str(FACES / "grace_hopper.jpg"))
    vector = np.random.default_rng(1).standard_normal(512).astype(np.float32)
    face = Face(np.array([0, 0, 10, 10], np.float32), np.zeros((5, 2), np.float32), 0.9)
    identity = Identity((SourceFace(hopper, face),), vector / np.linalg.norm(vector))
    # small steps so key-point smoothing pulls towards the previous frame, across the batch boundary too
    frames = frames_with_moving_face([100, 102, 104, None, 106, 108, 110, 113])
    batched = FrameSwapper(engine, [identity], Selection())
    one_by_one = FrameSwapper(engine, [identity], Selection(), batch_analysis=False, batch_swaps=False)
    got = batched(frames[:4]) + batched(frames[4:])
    want = one_by_one(frames[:4]) + one_by_one(frames[4:])
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    changed = [not np.array_equal(a, f) for a, f in zip(got, frames, strict=True)]
    assert changed == [True, True, True, False, True, True, True, True]
    assert batched.stats == one_by_one.stats
