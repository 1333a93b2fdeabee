"""The detectors' channel order: SCRFD and RetinaFace are fed RGB (as they were trained), YuNet BGR (as
OpenCV feeds it), on the host path and in the device letterbox graph. The stand-ins report their faces
only when input channel 0 is the brighter (:mod:`faceswap.testing.channel_probe`), so a red picture is
found exactly when it is fed RGB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap.choices import DetectorName
from faceswap.config import EngineSettings
from faceswap.engine.onnx.detector import make_detector
from faceswap.engine.onnx.session import ModelSession, open_session
from faceswap.testing.channel_probe import SCRFD_SCORES, YUNET_SCORES, gate_by_channel_order
from faceswap.testing.standins import StandinFace, write_scrfd_standin, write_yunet_standin

FACE = StandinFace(
    box=(200.0, 150.0, 330.0, 300.0),
    kps=[(240.0, 200.0), (290.0, 200.0), (265.0, 230.0), (245.0, 260.0), (285.0, 260.0)],
)
RED = np.zeros((480, 640, 3), np.uint8)
RED[..., 2] = 220  # BGR
BLUE = RED[..., ::-1].copy()


def probe_model(tmp_path: Path, name: DetectorName) -> ModelSession:
    path = tmp_path / f"{name}.onnx"
    if name == "yunet":
        gate_by_channel_order(write_yunet_standin(path, [FACE]), YUNET_SCORES)
    else:
        gate_by_channel_order(write_scrfd_standin(path, [FACE]), SCRFD_SCORES)
    return open_session(name, path, EngineSettings(providers=["cpu"]))


@pytest.mark.parametrize("on_device", [False, True])
@pytest.mark.parametrize("name", ["scrfd_2.5g", "retinaface_10g"])
def test_scrfd_and_retinaface_are_fed_rgb(tmp_path: Path, name: DetectorName, on_device: bool) -> None:
    detector = make_detector(probe_model(tmp_path, name), on_device=on_device)
    assert len(detector.detect(RED)) == 1  # red is channel 0 in RGB
    assert detector.detect(BLUE) == []


@pytest.mark.parametrize("on_device", [False, True])
def test_yunet_is_fed_bgr(tmp_path: Path, on_device: bool) -> None:
    detector = make_detector(probe_model(tmp_path, "yunet"), on_device=on_device)
    assert len(detector.detect(BLUE)) == 1  # blue is channel 0 in BGR
    assert detector.detect(RED) == []
