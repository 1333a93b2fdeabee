"""The batch check: rounding that depends on the batch size (cuDNN, TF32) still batches, items that
interact (a mean across the batch) never do, and the bound follows the dtype and the device."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from faceswap.engine.onnx.batch_check import check_batch, device_kind, relative_difference
from faceswap.engine.onnx.batchdim import open_dynamic_batch
from faceswap.engine.onnx.session import log_batching
from faceswap.testing.onnx_files import save_standin

SHAPE = [1, 3, 8, 8]
CPU = ["CPUExecutionProvider"]


def cpu_session(model: bytes | str) -> Any:
    return ort.InferenceSession(model, providers=CPU)


def write_rounding_model(path: Path, noise: float, fp16: bool = False) -> Path:
    """``y = x + noise * (N - 1) * x * sin(977 x)``: each item's output depends on that item alone, but
    a batch of N > 1 changes it by up to ``noise`` of its magnitude, like another summation order."""
    elem = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    dtype = np.float16 if fp16 else np.float32
    nodes = [
        helper.make_node("Shape", ["x"], ["shape"], start=0, end=1),
        helper.make_node("Cast", ["shape"], ["count"], to=elem),
        helper.make_node("Sub", ["count", "one"], ["extra"]),
        helper.make_node("Mul", ["x", "freq"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wobble"]),
        helper.make_node("Mul", ["x", "wobble"], ["shaped"]),
        helper.make_node("Mul", ["shaped", "extra"], ["scaled"]),
        helper.make_node("Mul", ["scaled", "noise"], ["error"]),
        helper.make_node("Add", ["x", "error"], ["y"]),
    ]
    inits = [
        numpy_helper.from_array(np.array([1], dtype), "one"),
        numpy_helper.from_array(np.array(977, dtype), "freq"),
        numpy_helper.from_array(np.array(noise, dtype), "noise"),
    ]
    io = helper.make_tensor_value_info
    return save_standin(path, nodes, [io("x", elem, SHAPE)], [io("y", elem, SHAPE)], inits)


def write_batch_mean_model(path: Path, share: float) -> Path:
    """``y = x + share * (mean over the batch of x - x)``: every item's output depends on its neighbours."""
    nodes = [
        helper.make_node("ReduceMean", ["x"], ["mean"], axes=[0], keepdims=1),
        helper.make_node("Sub", ["mean", "x"], ["pull"]),
        helper.make_node("Mul", ["pull", "share"], ["moved"]),
        helper.make_node("Add", ["x", "moved"], ["y"]),
    ]
    inits = [numpy_helper.from_array(np.array(share, np.float32), "share")]
    io = helper.make_tensor_value_info
    return save_standin(
        path, nodes, [io("x", TensorProto.FLOAT, SHAPE)], [io("y", TensorProto.FLOAT, SHAPE)], inits
    )


class OnAccelerator:
    """A CPU session that says it runs on CUDA, or on TensorRT with fp16 engines or not (what the check
    reads to choose its bound)."""

    def __init__(self, session: Any, tensorrt_fp16: bool | None = None) -> None:
        self.session, self.tensorrt_fp16 = session, tensorrt_fp16

    def get_providers(self) -> list[str]:
        first = ["TensorrtExecutionProvider"] if self.tensorrt_fp16 is not None else []
        return [*first, "CUDAExecutionProvider", *CPU]

    def get_provider_options(self) -> dict[str, dict[str, str]]:
        return {"TensorrtExecutionProvider": {"trt_fp16_enable": "1" if self.tensorrt_fp16 else "0"}}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def symbolic(path: Path) -> Any:
    """The model at ``path`` opened with a symbolic batch and no check (to ask the check directly)."""
    opened: list[Any] = []

    def create(model: bytes) -> Any:
        opened.append(cpu_session(model))
        return opened[-1]

    open_dynamic_batch(path, create)
    return opened[0]


@pytest.mark.parametrize("fp16", [False, True])
def test_cudnn_like_rounding_of_a_batch_still_batches_on_the_cpu(tmp_path: Path, fp16: bool) -> None:
    path = write_rounding_model(tmp_path / "rounding.onnx", 1e-3, fp16=fp16)
    session, verdict = open_dynamic_batch(path, cpu_session)
    assert session is not None, verdict.reason
    assert verdict.agrees
    assert 1e-4 < verdict.difference <= 1.1e-3  # the batch really differed, by about the noise
    assert "do not interact" in verdict.reason
    batch = (
        np.random.default_rng(1).uniform(-1, 1, (5, *SHAPE[1:])).astype(np.float16 if fp16 else np.float32)
    )
    assert session.run(None, {"x": batch})[0].shape == batch.shape


def test_tf32_sized_rounding_batches_on_an_accelerator_not_on_the_cpu(tmp_path: Path) -> None:
    session = symbolic(write_rounding_model(tmp_path / "tf32.onnx", 1e-2))
    on_cpu = check_batch(session)
    assert not on_cpu.agrees
    assert "over the 2e-03 allowed for float32 on the cpu" in on_cpu.reason
    on_gpu = check_batch(OnAccelerator(session))
    assert on_gpu.agrees, on_gpu.reason
    assert "on the accelerator" in on_gpu.reason


def test_tensorrt_fp16_engines_get_the_fp16_bound_for_fp32_outputs(tmp_path: Path) -> None:
    session = symbolic(write_rounding_model(tmp_path / "trt16.onnx", 3e-2))
    assert not check_batch(OnAccelerator(session, tensorrt_fp16=False)).agrees
    verdict = check_batch(OnAccelerator(session, tensorrt_fp16=True))
    assert verdict.agrees, verdict.reason
    assert "float32 computed in fp16" in verdict.reason


def test_a_mean_across_the_batch_is_refused(tmp_path: Path) -> None:
    path = write_batch_mean_model(tmp_path / "mean.onnx", 1.0)
    session, verdict = open_dynamic_batch(path, cpu_session)
    assert session is None
    assert "items of a batch interact" in verdict.reason


def test_a_weak_interaction_within_the_rounding_bound_is_still_refused(tmp_path: Path) -> None:
    """1 % of the batch mean moves the batch by less than the accelerator's fp32 bound of its items alone;
    only comparing an item with itself beside other neighbours shows it."""
    session = symbolic(write_batch_mean_model(tmp_path / "weak.onnx", 0.01))
    verdict = check_batch(OnAccelerator(session))
    assert not verdict.agrees
    assert "items of a batch interact" in verdict.reason


def test_device_kind_and_relative_difference() -> None:
    assert device_kind(CPU) == "cpu"
    assert device_kind(["TensorrtExecutionProvider", "CUDAExecutionProvider", *CPU]) == "accelerator"
    assert relative_difference(np.array([2.0, 4.02]), np.array([2.0, 4.0])) == pytest.approx(0.005)
    assert relative_difference(np.zeros(3), np.zeros(3)) == 0.0


class FakeSession:
    def __init__(self, batch: int | str, providers: list[str]) -> None:
        self.batch, self.providers = batch, providers

    def get_inputs(self) -> list[Any]:
        return [type("Input", (), {"shape": [self.batch, 3, 128, 128]})()]

    def get_providers(self) -> list[str]:
        return self.providers


def test_a_model_refused_on_a_gpu_is_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from faceswap.engine.onnx.batch_check import BatchVerdict

    refused = BatchVerdict(False, "the items of a batch interact")
    cuda = ["CUDAExecutionProvider", *CPU]
    with caplog.at_level(logging.INFO, logger="faceswap.engine.onnx.session"):
        log_batching("inswapper_128", Path("m.onnx"), FakeSession(1, cuda), "auto", refused)
        log_batching("inswapper_128", Path("m.onnx"), FakeSession(1, CPU), "on", refused)
        log_batching(
            "inswapper_128", Path("m.onnx"), FakeSession("batch", cuda), "auto", BatchVerdict(True, "ok")
        )
        log_batching("inswapper_128", Path("m.onnx"), FakeSession(1, CPU), "auto", None)
    levels = [(r.levelno, r.getMessage()) for r in caplog.records]
    assert levels[0][0] == logging.WARNING
    assert "per call (batch 1, one call per item)" in levels[0][1]
    assert "items of a batch interact" in levels[0][1]
    assert levels[1][0] == logging.INFO
    assert "batched (several items per model call) on CUDAExecutionProvider" in levels[2][1]
    assert "engine.dynamic_batch is 'auto' and the session is on the CPU" in levels[3][1]
