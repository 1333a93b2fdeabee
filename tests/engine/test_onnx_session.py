"""Sessions: providers, missing and corrupt files, signature checks, batching."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from faceswap.config import EngineSettings
from faceswap.engine.onnx.session import PROVIDER_NAMES, open_session, run_batched, select_providers
from faceswap.errors import ModelMissingError, ModelSignatureError
from faceswap.testing.standins import (
    write_arcface_standin,
    write_enhancer_standin,
    write_inswapper_standin,
)


def test_select_providers_keeps_the_configured_order_of_installed_ones() -> None:
    settings = EngineSettings(providers=["tensorrt", "cpu", "cuda"], device_id=2)
    available = ["CUDAExecutionProvider", "CPUExecutionProvider"]
    chosen = select_providers(settings, available)
    assert [name for name, _ in chosen] == ["CPUExecutionProvider", "CUDAExecutionProvider"]
    assert chosen[0][1] == {}
    assert chosen[1][1]["device_id"] == 2


def test_select_providers_falls_back_to_cpu() -> None:
    settings = EngineSettings(providers=["cuda", "coreml"])
    assert select_providers(settings, ["CPUExecutionProvider"]) == [("CPUExecutionProvider", {})]


def test_every_provider_choice_has_an_onnxruntime_name() -> None:
    assert set(PROVIDER_NAMES.values()) >= {"CUDAExecutionProvider", "CPUExecutionProvider"}
    assert len(set(PROVIDER_NAMES.values())) == len(PROVIDER_NAMES)


def test_missing_file_raises_model_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as info:
        open_session("inswapper_128", tmp_path / "inswapper_128.onnx", EngineSettings())
    assert info.value.model_name == "inswapper_128"
    assert "faceswap models download inswapper_128" in info.value.message


@pytest.mark.parametrize("content", [b"", b"this is not an onnx file", bytes(range(256)) * 40])
def test_corrupt_file_raises_model_signature(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.onnx"
    path.write_bytes(content)
    with pytest.raises(ModelSignatureError):
        open_session("arcface_w600k_r50", path, EngineSettings())


def test_truncated_model_raises_model_signature(tmp_path: Path) -> None:
    path = write_arcface_standin(tmp_path / "arcface.onnx")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(ModelSignatureError):
        open_session("arcface_w600k_r50", path, EngineSettings())


def test_model_of_the_wrong_role_raises_model_signature(tmp_path: Path) -> None:
    arcface = write_arcface_standin(tmp_path / "arcface.onnx")
    with pytest.raises(ModelSignatureError, match="expected 2 input"):
        open_session("inswapper_128", arcface, EngineSettings())
    enhancer = write_enhancer_standin(tmp_path / "gfpgan.onnx")
    with pytest.raises(ModelSignatureError, match="shape"):
        open_session("arcface_w600k_r50", enhancer, EngineSettings())
    with pytest.raises(ModelSignatureError, match="outputs"):
        open_session("scrfd_2.5g", enhancer, EngineSettings())


def test_session_reports_dtypes_batch_and_casts_feeds(tmp_path: Path) -> None:
    settings = EngineSettings(providers=["cpu"], intra_op_threads=1)
    fp16 = open_session(
        "inswapper_128_fp16", write_inswapper_standin(tmp_path / "a.onnx", fp16=True), settings
    )
    assert fp16.input_dtype("target") is np.float16
    assert not fp16.batch_dynamic
    assert fp16.providers == ["CPUExecutionProvider"]
    arcface = open_session("arcface_w600k_r50", write_arcface_standin(tmp_path / "b.onnx"), settings)
    assert arcface.batch_dynamic
    assert arcface.input_dtype() is np.float32
    out = fp16.run({"target": np.full((1, 3, 128, 128), 0.5), "source": np.zeros((1, 512))})
    assert out[0].dtype == np.float16


@pytest.mark.parametrize("dynamic", [True, False])
def test_run_batched_matches_single_calls(tmp_path: Path, dynamic: bool) -> None:
    path = write_inswapper_standin(tmp_path / "s.onnx", dynamic_batch=dynamic)
    model = open_session("inswapper_128", path, EngineSettings(providers=["cpu"]))
    rng = np.random.default_rng(1)
    targets = rng.random((3, 3, 128, 128), dtype=np.float32)
    sources = rng.random((3, 512), dtype=np.float32)
    batch = run_batched(model, {"target": targets, "source": sources})
    assert batch.shape == (3, 3, 128, 128)
    for i in range(3):
        single = model.run({"target": targets[i : i + 1], "source": sources[i : i + 1]})[0]
        np.testing.assert_array_equal(batch[i : i + 1], single)


def test_call_batch_is_the_declared_batch_unless_dynamic(tmp_path: Path) -> None:
    path = write_inswapper_standin(tmp_path / "swap.onnx")
    assert open_session("inswapper_128", path, EngineSettings(dynamic_batch="off")).call_batch(32) == 1
    assert open_session("inswapper_128", path, EngineSettings(dynamic_batch="on")).call_batch(32) == 32
