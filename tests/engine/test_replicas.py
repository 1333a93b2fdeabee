"""The random-weight replicas the GPU benchmark uses: sizes as documented, real interfaces, loadable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort

from faceswap.config import EngineSettings
from faceswap.engine.onnx.session import open_session, run_batched
from faceswap.engine.onnx.swap_sources import read_emap
from faceswap.testing.moving import write_moving_scrfd_standin
from faceswap.testing.replicas import (
    detector_stats,
    inswapper_stats,
    write_detector_replica,
    write_inswapper_replica,
)

PUBLISHED_PARAMS = 138e6  # inswapper_128.onnx (../shared/gpu/README.md)
PUBLISHED_GFLOP = 349.0


def test_full_size_inswapper_replica_has_the_published_size() -> None:
    stats = inswapper_stats()
    assert abs(stats.params / PUBLISHED_PARAMS - 1) < 0.03
    assert abs(stats.gflop / PUBLISHED_GFLOP - 1) < 0.03
    assert inswapper_stats(base=64, body=512).gflop < stats.gflop / 3  # the widths drive the cost


def test_detector_replica_is_scrfd_10g_sized() -> None:
    assert 8.0 < detector_stats().gflop / 2 < 12.0  # multiply-accumulates, in G


def test_small_replica_loads_as_inswapper_with_a_dynamic_batch(tmp_path: Path) -> None:
    for fp16 in (False, True):
        params = write_inswapper_replica(tmp_path / f"swap_{fp16}.onnx", fp16=fp16, base=8, body=32).params
        model_path = tmp_path / f"swap_{fp16}.onnx"
        assert params > 0
        model = open_session(
            "inswapper_128", model_path, EngineSettings(providers=["cpu"], dynamic_batch="on")
        )
        assert model.batch_dynamic
        assert read_emap(model_path).shape == (512, 512)
        rng = np.random.default_rng(0)
        feeds = {"target": rng.random((2, 3, 128, 128)), "source": rng.standard_normal((2, 512))}
        output = run_batched(model, feeds).astype(np.float32)
        assert output.shape == (2, 3, 128, 128)
        assert output.min() >= -1e-6  # tanh rescaled to [0, 1]
        assert output.max() <= 1.0 + 1e-6
        assert not np.allclose(output[0], output[1])


def test_detector_replica_reports_what_its_standin_does(tmp_path: Path) -> None:
    standin = write_moving_scrfd_standin(tmp_path / "moving.onnx", (200, 260), (180.0, 300.0))
    replica = tmp_path / "replica.onnx"
    stats = write_detector_replica(replica, standin, width=8, head=8)
    assert stats.params > 0
    image = np.full((1, 3, 640, 640), (96 - 127.5) / 128, np.float32)
    image[:, :, 180:300, 250:370] = 0.5
    cpu = ["CPUExecutionProvider"]
    expected = ort.InferenceSession(str(standin), providers=cpu).run(None, {"input.1": image})
    got = ort.InferenceSession(str(replica), providers=cpu).run(None, {"input.1": image})
    assert max(float(np.max(scores)) for scores in expected[:3]) > 0.5  # the stand-in found the face
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)
