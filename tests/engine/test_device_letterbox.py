"""The detector's input made on the device (the GPU path) against OpenCV's on the host.

On a GPU the letterbox graph runs on the CUDA provider; here on the CPU provider. OpenCV scales uint8
images with fixed-point weights, the graph in float (rounded to levels after): a level apart at most.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import pytest

from faceswap.config import EngineSettings, Settings
from faceswap.engine.geometry import letterbox_fit
from faceswap.engine.onnx import geometry_graphs as graphs
from faceswap.engine.onnx.detector import (
    SCRFD_PIXELS,
    YUNET_PIXELS,
    ScrfdDetector,
    make_detector,
    prepare_scrfd_frames,
    prepare_yunet_frames,
)
from faceswap.engine.onnx.engine import build_analyser
from faceswap.engine.onnx.session import open_session
from faceswap.testing.moving import write_moving_scrfd_standin
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
SHAPES = [(1080, 1920), (720, 1280), (321, 243), (640, 640), (100, 900), (300, 200)]
"""1080p (a third), 720p (a half), odd sizes, a square that fits, a strip, one scaled up."""


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("yunet", [False, True])
def test_letterbox_graph_matches_the_host_input(shape: tuple[int, int], yunet: bool) -> None:
    rng = np.random.default_rng(0)
    images = [
        cv2.GaussianBlur(rng.integers(0, 256, (*shape, 3), dtype=np.uint8), (0, 0), 2) for _ in range(3)
    ]
    prepare, pixels = (prepare_yunet_frames, YUNET_PIXELS) if yunet else (prepare_scrfd_frames, SCRFD_PIXELS)
    scalefactor, mean = pixels.scalefactor, pixels.mean
    want, scales = prepare(images, (640, 640))
    graph = graphs.letterbox_graph((640, 640), pixels)
    session = ort.InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    new_w, new_h, scale = letterbox_fit(images[0].shape, (640, 640))
    feeds = {
        graphs.FRAMES: np.stack(images),
        graphs.FRAME_INDEX: np.array([2, 0]),
        graphs.SCALED: [new_h, new_w],
    }
    got = session.run(
        None, {k: np.asarray(v, np.int64) if k == graphs.SCALED else v for k, v in feeds.items()}
    )[0]
    assert got.shape == (2, 3, 640, 640)
    assert scales == [scale] * 3
    levels = np.abs(got - want[[2, 0]]) / scalefactor
    assert levels.max() <= 1.0 + 1e-4, levels.max()
    assert levels.mean() < 0.15
    margin = got[:, :, new_h:, :], got[:, :, :, new_w:]
    assert all(np.all(part == np.float32(-mean * scalefactor)) for part in margin)


def sliding_frames(count: int) -> list[np.ndarray]:
    """720p frames: the astronaut (480 px) sliding left to right over grey 96."""
    photo = cv2.resize(cv2.imread(str(FACES / ASTRONAUT.file)), (480, 480), interpolation=cv2.INTER_AREA)
    frames = []
    for index in range(count):
        frame = np.full((720, 1280, 3), 96, np.uint8)
        x = 60 + 170 * index
        frame[120:600, x : x + 480] = photo
        frames.append(frame)
    return frames


@pytest.mark.parametrize("dynamic", [True, False])
def test_detector_with_device_letterbox_finds_what_the_host_path_finds(tmp_path: Path, dynamic: bool) -> None:
    """The moving stand-in reads the pixels of its input: a wrong letterbox moves or loses the face."""
    path = write_moving_scrfd_standin(tmp_path / "det.onnx", (140, 220), (60.0, 300.0), dynamic_batch=dynamic)
    model = open_session("scrfd_2.5g", path, EngineSettings(dynamic_batch="off"))
    assert model.batch_dynamic is dynamic
    on_device, on_host = make_detector(model, on_device=True), make_detector(model)
    assert isinstance(on_device, ScrfdDetector)
    assert on_device.letterbox is not None
    frames = sliding_frames(5)
    got, want = on_device.detect_batch(frames), on_host.detect_batch(frames)
    assert [len(faces) for faces in want] == [1] * 5
    for found, expected in zip(got, want, strict=True):
        assert len(found) == len(expected)
        np.testing.assert_allclose(found[0].box, expected[0].box, atol=2.0)  # a column of detector pixels
        np.testing.assert_allclose(found[0].kps, expected[0].kps, atol=2.0)
    lefts = [faces[0].box[0] for faces in got]
    assert lefts == sorted(lefts)
    assert lefts[-1] - lefts[0] > 500  # each frame's own face, in order


@pytest.mark.parametrize("detector", ["scrfd_2.5g", "yunet"])
def test_engine_letterboxes_on_the_device_as_gpu_geometry_says(tmp_path: Path, detector: str) -> None:
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    paths = write_standin_models(
        tmp_path, letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], photo.shape)
    )
    found = {}
    for mode in ("on", "off"):
        settings = Settings(data_dir=tmp_path, engine=EngineSettings(gpu_geometry=mode))  # type: ignore[arg-type]
        analyser = build_analyser(settings, detector, paths.__getitem__)  # type: ignore[arg-type]
        assert (analyser.detector.letterbox is not None) is (mode == "on")  # type: ignore[attr-defined]
        found[mode] = analyser.analyse_batch([photo, photo.copy()])
    for on, off in zip(found["on"], found["off"], strict=True):
        assert len(on) == len(off) == 1
        np.testing.assert_allclose(on[0].kps, off[0].kps, atol=1e-3)
        assert on[0].embedding is not None
        assert off[0].embedding is not None
        np.testing.assert_allclose(on[0].embedding, off[0].embedding, atol=1e-5)
