"""Execution-provider options, batch size and device choices as pure functions of settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from faceswap.choices import TensorrtFp16
from faceswap.config import EngineSettings
from faceswap.engine.onnx.providers import (
    CPU_BATCH,
    GPU_BATCH,
    batch_size,
    binding_device,
    gpu_available,
    profile_shapes,
    select_providers,
    tensorrt_fp16,
    wants_gpu_geometry,
)

CUDA = "CUDAExecutionProvider"
TRT = "TensorrtExecutionProvider"
CPU = "CPUExecutionProvider"
SWAPPER_INPUTS = [("target", ["batch", 3, 128, 128]), ("source", ["batch", 512])]


def test_cuda_options_carry_device_algo_search_and_arena() -> None:
    settings = EngineSettings(
        providers=["cuda", "cpu"], device_id=3, cudnn_conv_algo_search="HEURISTIC", gpu_mem_limit_mb=2048
    )
    (name, options), cpu = select_providers(settings, [CUDA, CPU])
    assert name == CUDA
    assert cpu == (CPU, {})
    assert options["device_id"] == 3
    assert options["cudnn_conv_algo_search"] == "HEURISTIC"
    assert options["gpu_mem_limit"] == 2048 * 1024 * 1024
    assert options["arena_extend_strategy"] == "kNextPowerOfTwo"


def test_cuda_without_memory_limit_sets_none() -> None:
    (_, options), _ = select_providers(EngineSettings(providers=["cuda", "cpu"]), [CUDA, CPU])
    assert "gpu_mem_limit" not in options
    assert options["cudnn_conv_algo_search"] == "EXHAUSTIVE"


def test_tensorrt_gets_fp16_cache_and_batch_profiles(tmp_path: Path) -> None:
    settings = EngineSettings(providers=["tensorrt", "cuda"], batch_size=16, tensorrt_max_batch=64)
    chosen = select_providers(
        settings,
        [TRT, CUDA, CPU],
        cache_dir=tmp_path,
        inputs=SWAPPER_INPUTS,
        engines="m-fp16-1",
        model_fp16=True,
    )
    assert [n for n, _ in chosen] == [TRT, CUDA]
    trt = chosen[0][1]
    assert trt["trt_fp16_enable"] is True
    assert trt["trt_engine_cache_enable"] is True
    assert trt["trt_engine_cache_path"] == str(tmp_path / "m-fp16-1")
    assert trt["trt_timing_cache_path"] == str(tmp_path)
    assert trt["trt_profile_min_shapes"] == "target:1x3x128x128,source:1x512"
    assert trt["trt_profile_opt_shapes"] == "target:16x3x128x128,source:16x512"
    assert trt["trt_profile_max_shapes"] == "target:64x3x128x128,source:64x512"


def test_tensorrt_cache_setting_wins_and_fixed_batch_has_no_profile(tmp_path: Path) -> None:
    settings = EngineSettings(
        providers=["tensorrt"], tensorrt_cache_dir=tmp_path / "trt", tensorrt_fp16="off"
    )
    [(_, trt)] = select_providers(
        settings, [TRT], cache_dir=tmp_path, inputs=[("target", [1, 3, 128, 128])], model_fp16=True
    )
    assert trt["trt_engine_cache_path"] == str(tmp_path / "trt")
    assert trt["trt_fp16_enable"] is False
    assert not any(key.startswith("trt_profile") for key in trt)


@pytest.mark.parametrize(
    ("mode", "model_fp16", "expected"),
    [("auto", False, False), ("auto", True, True), ("on", False, True), ("off", True, False)],
)
def test_tensorrt_fp16_by_setting_and_model(mode: TensorrtFp16, model_fp16: bool, expected: bool) -> None:
    assert tensorrt_fp16(mode, model_fp16) is expected


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        ([("input.1", ["N", 3, 640, 640])], "input.1:4x3x640x640"),
        ([("input.1", ["N", 3, "h", "w"])], None),  # spatial dims dynamic: no single profile
        ([("input.1", [1, 3, 640, 640])], None),
        ([], None),
    ],
)
def test_profile_shapes(inputs: list[tuple[str, list[int | str]]], expected: str | None) -> None:
    assert profile_shapes(inputs, 4) == expected


def test_batch_size_follows_the_first_provider_unless_configured() -> None:
    gpu = select_providers(EngineSettings(), [CUDA, CPU])
    cpu = select_providers(EngineSettings(), [CPU])
    assert batch_size(EngineSettings(), gpu) == GPU_BATCH
    assert batch_size(EngineSettings(), cpu) == CPU_BATCH
    assert batch_size(EngineSettings(batch_size=5), gpu) == 5


def test_gpu_geometry_auto_only_on_a_gpu() -> None:
    gpu = select_providers(EngineSettings(), [CUDA, CPU])
    cpu = select_providers(EngineSettings(), [CPU])
    assert wants_gpu_geometry("auto", gpu)
    assert not wants_gpu_geometry("auto", cpu)
    assert wants_gpu_geometry("on", cpu)
    assert not wants_gpu_geometry("off", gpu)


def test_binding_device() -> None:
    assert binding_device(select_providers(EngineSettings(device_id=1), [CUDA, CPU])) == ("cuda", 1)
    assert binding_device(select_providers(EngineSettings(), [CPU])) == ("cpu", 0)


def test_gpu_available_needs_a_configured_installed_gpu_provider() -> None:
    assert gpu_available(EngineSettings(), [CUDA, CPU])
    assert not gpu_available(EngineSettings(), [CPU])
    assert not gpu_available(EngineSettings(providers=["cpu"]), [CUDA, CPU])


@pytest.mark.parametrize(
    ("installed", "gpu", "expected"),
    [
        ({"inswapper_128", "inswapper_128_fp16"}, True, "inswapper_128_fp16"),
        ({"inswapper_128", "inswapper_128_fp16"}, False, "inswapper_128"),
        ({"inswapper_128"}, True, "inswapper_128"),
        ({"inswapper_128_fp16"}, False, "inswapper_128_fp16"),
        (set(), True, "classic"),
    ],
)
def test_auto_engine_takes_the_fp16_swapper_on_a_gpu(installed: set[str], gpu: bool, expected: str) -> None:
    from faceswap.config import Settings
    from faceswap.engine.factory import resolve_engine_name

    present = installed | {"scrfd_2.5g", "arcface_w600k_r50"} if installed else set()
    assert resolve_engine_name(Settings(), "auto", present.__contains__, gpu=gpu) == expected
    assert resolve_engine_name(Settings(), "inswapper_128", present.__contains__, gpu=gpu) == "inswapper_128"
