"""TensorRT as the first provider where its package imports: the engine cache per model file, fp16 by
model or setting, the build logged, and the fall back to CUDA, then the CPU, when a provider fails.

ONNX Runtime's provider list and session constructor are faked (no GPU here): every session really runs
on the CPU and says it runs on the providers it was asked for, as a GPU install's would."""

from __future__ import annotations

import logging
import sys
import types
from pathlib import Path
from typing import Any

import onnxruntime as ort
import pytest
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from faceswap.config import EngineSettings
from faceswap.engine.onnx.session import open_session
from faceswap.testing.standins import write_inswapper_standin

TRT, CUDA, CPU = "TensorrtExecutionProvider", "CUDAExecutionProvider", "CPUExecutionProvider"
REAL_SESSION = ort.InferenceSession
FIXED = EngineSettings(dynamic_batch="off")


class Pretending:
    """A CPU session that reports the providers (and options) it was asked for."""

    def __init__(self, session: Any, providers: list[str], options: list[dict[str, Any]]) -> None:
        self.session, self.providers, self.options = session, providers, options

    def get_providers(self) -> list[str]:
        return self.providers

    def get_provider_options(self) -> dict[str, dict[str, Any]]:
        return {
            name: {k: str(v) for k, v in o.items()}
            for name, o in zip(self.providers, self.options, strict=True)
        }

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


class FakeOrt:
    """Stands in for ``onnxruntime.InferenceSession``: records each call; providers in ``fail`` raise as a
    TensorRT build or a missing CUDA library would; TensorRT writes an engine file into its cache;
    ``taken`` (if set) is what the session reports instead of the providers asked for."""

    def __init__(self, fail: tuple[str, ...] = (), taken: list[str] | None = None) -> None:
        self.fail, self.taken = fail, taken
        self.calls: list[tuple[list[str], list[dict[str, Any]]]] = []

    def __call__(
        self, model: Any, sess_options: Any = None, providers: Any = None, provider_options: Any = None
    ) -> Any:
        self.calls.append((list(providers), list(provider_options)))
        if providers[0] in self.fail:
            raise ort_state.EPFail(f"{providers[0]}: could not build the engine")
        if providers[0] == TRT:
            folder = Path(provider_options[0]["trt_engine_cache_path"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"graph_{len(self.calls)}.engine").write_bytes(b"engine")
        real = REAL_SESSION(model, sess_options=sess_options, providers=[CPU])
        return Pretending(real, self.taken or list(providers), list(provider_options))


@pytest.fixture
def gpu_install(monkeypatch: pytest.MonkeyPatch) -> FakeOrt:
    """onnxruntime-gpu with TensorRT offered and the tensorrt package importable."""
    fake = FakeOrt()
    monkeypatch.setattr(ort, "get_available_providers", lambda: [TRT, CUDA, CPU])
    monkeypatch.setattr(ort, "InferenceSession", fake)
    monkeypatch.setitem(sys.modules, "tensorrt", types.ModuleType("tensorrt"))
    return fake


@pytest.mark.parametrize(
    ("fp16_model", "mode", "expected"),
    [(False, "auto", False), (True, "auto", True), (False, "on", True), (True, "off", False)],
)
def test_tensorrt_comes_first_with_a_cache_per_model_and_fp16_by_model_or_setting(
    tmp_path: Path, gpu_install: FakeOrt, fp16_model: bool, mode: str, expected: bool
) -> None:
    path = write_inswapper_standin(tmp_path / "swap.onnx", fp16=fp16_model)
    settings = EngineSettings(dynamic_batch="off", tensorrt_fp16=mode)  # type: ignore[arg-type]
    model = open_session("inswapper_128", path, settings, cache_dir=tmp_path / "trt")
    [(providers, options)] = gpu_install.calls
    assert providers == [TRT, CUDA, CPU]
    assert model.providers[0] == TRT
    trt = options[0]
    assert trt["trt_fp16_enable"] is expected
    assert trt["trt_engine_cache_enable"] is True
    folder = Path(trt["trt_engine_cache_path"])
    assert folder.parent == tmp_path / "trt"
    assert folder.name.startswith(f"inswapper_128-{'fp16' if expected else 'fp32'}-")
    assert trt["trt_timing_cache_path"] == str(tmp_path / "trt")
    assert options[1]["device_id"] == 0  # CUDA behind it, with its own options


def test_a_replaced_model_file_gets_another_engine_folder(tmp_path: Path, gpu_install: FakeOrt) -> None:
    path = write_inswapper_standin(tmp_path / "swap.onnx")
    open_session("inswapper_128", path, FIXED, cache_dir=tmp_path)
    write_inswapper_standin(path, "constant")
    open_session("inswapper_128", path, FIXED, cache_dir=tmp_path)
    first, second = (call[1][0]["trt_engine_cache_path"] for call in gpu_install.calls)
    assert first != second


def test_the_first_build_is_logged_with_its_time_then_loads(
    tmp_path: Path, gpu_install: FakeOrt, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_inswapper_standin(tmp_path / "swap.onnx")
    with caplog.at_level(logging.INFO, logger="faceswap.engine.onnx"):
        open_session("inswapper_128", path, FIXED, cache_dir=tmp_path / "trt")
        assert "TensorRT built 1 engine(s) in" in caplog.text
        caplog.clear()
        gpu_install.calls.clear()
        open_session("inswapper_128", path, FIXED, cache_dir=tmp_path / "trt")
    assert "TensorRT built" not in caplog.text
    assert "TensorRT engines loaded from" in caplog.text


def test_without_the_tensorrt_package_cuda_comes_first(
    tmp_path: Path, gpu_install: FakeOrt, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "tensorrt", None)  # import tensorrt raises ImportError
    with caplog.at_level(logging.INFO, logger="faceswap.engine.onnx"):
        model = open_session(
            "inswapper_128", write_inswapper_standin(tmp_path / "s.onnx"), FIXED, cache_dir=tmp_path
        )
    assert gpu_install.calls[0][0] == [CUDA, CPU]
    assert model.providers[0] == CUDA
    assert "tensorrt package does not import" in caplog.text


@pytest.mark.parametrize(("fail", "ends_on"), [((TRT,), [CUDA, CPU]), ((TRT, CUDA), [CPU])])
def test_a_failing_provider_falls_back_to_the_next(
    tmp_path: Path,
    gpu_install: FakeOrt,
    caplog: pytest.LogCaptureFixture,
    fail: tuple[str, ...],
    ends_on: list[str],
) -> None:
    gpu_install.fail = fail
    with caplog.at_level(logging.WARNING, logger="faceswap.engine.onnx"):
        model = open_session(
            "inswapper_128", write_inswapper_standin(tmp_path / "s.onnx"), FIXED, cache_dir=tmp_path
        )
    assert [call[0] for call in gpu_install.calls] == [[TRT, CUDA, CPU], [CUDA, CPU], [CPU]][: len(fail) + 1]
    assert model.providers == ends_on
    assert f"{TRT} failed ({TRT}: could not build the engine); falling back to {CUDA}" in caplog.text
    assert caplog.text.count("falling back") == len(fail)


def test_a_provider_onnxruntime_dropped_by_itself_is_logged(
    tmp_path: Path, gpu_install: FakeOrt, caplog: pytest.LogCaptureFixture
) -> None:
    gpu_install.taken = [CUDA, CPU]
    with caplog.at_level(logging.WARNING, logger="faceswap.engine.onnx"):
        open_session("inswapper_128", write_inswapper_standin(tmp_path / "s.onnx"), FIXED, cache_dir=tmp_path)
    assert f"{TRT} was not taken; the session runs on {CUDA}" in caplog.text


def test_tensorrt_fp16_reads_true_and_false() -> None:
    assert EngineSettings(tensorrt_fp16=True).tensorrt_fp16 == "on"  # type: ignore[arg-type]
    assert EngineSettings(tensorrt_fp16="false").tensorrt_fp16 == "off"  # type: ignore[arg-type]
    assert EngineSettings().tensorrt_fp16 == "auto"
    assert EngineSettings().providers[:2] == ["tensorrt", "cuda"]
