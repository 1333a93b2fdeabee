"""Execution providers and their options, as pure functions of the settings and what is installed.

ONNX Runtime takes ``providers`` and ``provider_options`` lists; everything GPU-specific is decided here:
the CUDA provider's device, cuDNN algorithm search and memory arena, the TensorRT provider's fp16 flag,
engine and timing caches and dynamic-batch optimisation profiles, and from the chosen providers the batch size, the
on-device geometry and the fp16 model preference. Nothing here imports onnxruntime.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from faceswap.choices import ExecutionProvider, GpuGeometry, TensorrtFp16
from faceswap.config import EngineSettings
from faceswap.engine.onnx.signature import Dim

logger = logging.getLogger(__name__)

PROVIDER_NAMES: dict[ExecutionProvider, str] = {
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
GPU_PROVIDERS: tuple[ExecutionProvider, ...] = ("cuda", "tensorrt", "directml")
"""Providers that run on a discrete GPU with a device id (the others: the CPU, Apple's CoreML)."""
GPU_BATCH = 32
"""Default frames per model call on a GPU: the inswapper replica reaches ~97 % of its batch-128 rate on an
H100 at 32 (561 against 578 faces/s, ../shared/gpu/README.md)."""
CPU_BATCH = 8
"""Default frames per model call on a CPU (the video pipeline's measured sweet spot on 2 cores)."""
MIB = 1024 * 1024

Providers = list[tuple[str, dict[str, Any]]]
InputShapes = Sequence[tuple[str, Sequence[Dim]]]


def batch_size(settings: EngineSettings, providers: Providers) -> int:
    """The configured batch size, else 32 when the first provider is a GPU's and 8 otherwise."""
    if settings.batch_size is not None:
        return settings.batch_size
    return GPU_BATCH if on_gpu(providers) else CPU_BATCH


def on_gpu(providers: Providers) -> bool:
    """Whether the first (preferred) provider runs on a GPU."""
    gpu_names = {PROVIDER_NAMES[p] for p in GPU_PROVIDERS}
    return bool(providers) and providers[0][0] in gpu_names


def gpu_available(settings: EngineSettings, available: Sequence[str]) -> bool:
    """Whether a configured GPU provider is installed (the engine would run on a GPU)."""
    return any(p in GPU_PROVIDERS and PROVIDER_NAMES[p] in available for p in settings.providers)


def wants_gpu_geometry(mode: GpuGeometry, providers: Providers) -> bool:
    """Whether alignment and paste back run as ONNX graphs: ``on``, or ``auto`` on a GPU provider."""
    if mode == "auto":
        return on_gpu(providers)
    return mode == "on"


def binding_device(providers: Providers) -> tuple[str, int]:
    """Where IO binding keeps tensors: ``("cuda", device_id)`` on the CUDA or TensorRT provider (both take
    CUDA memory), else ``("cpu", 0)``."""
    if providers and providers[0][0] in (PROVIDER_NAMES["cuda"], PROVIDER_NAMES["tensorrt"]):
        return "cuda", int(providers[0][1].get("device_id", 0))
    return "cpu", 0


def cuda_options(settings: EngineSettings) -> dict[str, Any]:
    options: dict[str, Any] = {
        "device_id": settings.device_id,
        "cudnn_conv_algo_search": settings.cudnn_conv_algo_search,
        "arena_extend_strategy": settings.arena_extend_strategy,
        "do_copy_in_default_stream": True,
        "cudnn_conv_use_max_workspace": True,
    }
    if settings.gpu_mem_limit_mb:
        options["gpu_mem_limit"] = settings.gpu_mem_limit_mb * MIB
    return options


def profile_shapes(inputs: InputShapes, batch: int) -> str | None:
    """TensorRT's ``name:NxCxHxW,...`` for every input with the first dim set to ``batch``; None unless
    every input has a symbolic first dim and fixed other dims (else TensorRT builds per shape)."""
    parts = []
    for name, dims in inputs:
        rest = list(dims[1:])
        if not dims or isinstance(dims[0], int) or not all(isinstance(d, int) for d in rest):
            return None
        parts.append(f"{name}:" + "x".join(str(d) for d in [batch, *rest]))
    return ",".join(parts) if parts else None


def tensorrt_fp16(mode: TensorrtFp16, model_fp16: bool) -> bool:
    """Whether TensorRT builds fp16 engines: ``on``, or ``auto`` for a model saved in fp16."""
    return mode == "on" or (mode == "auto" and model_fp16)


def tensorrt_options(
    settings: EngineSettings,
    cache_dir: Path,
    inputs: InputShapes,
    *,
    engines: str = "",
    model_fp16: bool = False,
) -> dict[str, Any]:
    """The TensorRT provider's options: fp16 (:func:`tensorrt_fp16`), the engine cache in the folder
    ``engines`` of the cache (one per model file), the timing cache in the cache itself and, for a model
    with a dynamic batch, one optimisation profile min 1 / opt the batch size / max ``tensorrt_max_batch``.
    The cache is ``engine.tensorrt_cache_dir``, else ``cache_dir``."""
    cache = settings.tensorrt_cache_dir or cache_dir
    options: dict[str, Any] = {
        "device_id": settings.device_id,
        "trt_fp16_enable": tensorrt_fp16(settings.tensorrt_fp16, model_fp16),
        "trt_engine_cache_enable": True,
        "trt_engine_cache_path": str(cache / engines if engines else cache),
        "trt_timing_cache_enable": True,
        "trt_timing_cache_path": str(cache),
    }
    opt = settings.batch_size or GPU_BATCH
    high = max(opt, settings.tensorrt_max_batch)
    shapes = {key: profile_shapes(inputs, size) for key, size in (("min", 1), ("opt", opt), ("max", high))}
    if all(shapes.values()):
        for key, value in shapes.items():
            options[f"trt_profile_{key}_shapes"] = value
    return options


def select_providers(
    settings: EngineSettings,
    available: Sequence[str],
    *,
    cache_dir: Path | None = None,
    inputs: InputShapes = (),
    engines: str = "",
    model_fp16: bool = False,
) -> Providers:
    """The configured providers that are installed, in the configured order, with their options.

    ``cache_dir`` is TensorRT's default cache (DATA_DIR/tensorrt), ``engines`` the model's folder in it,
    ``inputs`` the model's inputs (names and dims) for TensorRT's profiles and ``model_fp16`` whether the
    model is saved in fp16 (see :func:`tensorrt_options`). When none of the providers is installed the
    CPU provider is used (and a warning logged), so a machine without a GPU still works by default.
    """
    chosen: Providers = []
    for provider in settings.providers:
        ort_name = PROVIDER_NAMES[provider]
        if ort_name not in available:
            continue
        options: dict[str, Any] = {}
        if provider == "cuda":
            options = cuda_options(settings)
        elif provider == "tensorrt":
            options = tensorrt_options(
                settings, cache_dir or Path("tensorrt"), inputs, engines=engines, model_fp16=model_fp16
            )
        elif provider in GPU_PROVIDERS:
            options = {"device_id": settings.device_id}
        chosen.append((ort_name, options))
    if not chosen:
        logger.warning("none of the execution providers %s is installed; using the CPU", settings.providers)
        chosen.append((PROVIDER_NAMES["cpu"], {}))
    return chosen
