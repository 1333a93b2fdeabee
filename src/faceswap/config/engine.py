"""``engine``: defaults for swaps and the ONNX Runtime providers (``FACESWAP_ENGINE__*``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator

from faceswap.choices import (
    ArenaExtendStrategy,
    CudnnAlgoSearch,
    DetectorAngle,
    DetectorName,
    DynamicBatch,
    EngineName,
    EnhancerName,
    ExecutionProvider,
    GpuGeometry,
    LandmarkerName,
    TensorrtFp16,
    UpscaleName,
    choices,
)


class EngineSettings(BaseModel):
    """Defaults for swaps when a request does not say."""

    engine: EngineName = "auto"
    enhancer: EnhancerName = "none"
    detector: DetectorName = "scrfd_2.5g"
    landmarker: LandmarkerName = Field(
        default="none",
        description="68-point landmarker refining the detector's 5 points before alignment (neural engines): "
        "none or 2dfan4 (needs the 2dfan4 and fan_68_5 models)",
    )
    landmarker_score: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="landmark score from which 2dfan4's points replace the detector's",
    )
    detector_angles: list[DetectorAngle] = Field(
        default_factory=lambda: list[DetectorAngle]([0]),
        min_length=1,
        max_length=4,
        description="clockwise rotations of the frame the detector also runs on (faces on their side)",
    )
    providers: list[ExecutionProvider] = Field(
        default_factory=lambda: list(choices(ExecutionProvider)),  # type: ignore[arg-type]
        description="execution providers in order of preference; those not installed are skipped",
    )
    device_id: int = 0
    intra_op_threads: int = Field(default=0, ge=0, description="0 lets onnxruntime decide")
    dynamic_batch: DynamicBatch = Field(
        default="auto",
        description="open batch-1 models with a symbolic batch when they pass a check: auto (GPU only), on, off",
    )
    enhancer_blend: float = Field(default=0.8, ge=0.0, le=1.0)
    enhancer_weight: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="CodeFormer's fidelity: 0 favours restoration quality, 1 the input face (others ignore it)",
    )
    upscale: UpscaleName = Field(
        default="none",
        description="frame enhancer upscaling every photo and video frame after the swap (none: keep the size)",
    )
    upscale_blend: float = Field(
        default=1.0,
        ge=0.0,
        le=1.0,
        description="how much of the frame enhancer's output is kept (the rest bicubic)",
    )
    cudnn_conv_algo_search: CudnnAlgoSearch = Field(
        default="EXHAUSTIVE", description="CUDA provider: cuDNN convolution algorithm search"
    )
    gpu_mem_limit_mb: int = Field(
        default=0, ge=0, description="CUDA provider: memory arena limit per session in MiB; 0: no limit"
    )
    arena_extend_strategy: ArenaExtendStrategy = Field(
        default="kNextPowerOfTwo", description="CUDA provider: how the memory arena grows"
    )
    tensorrt_fp16: TensorrtFp16 = Field(
        default="auto",
        description="TensorRT provider: fp16 engines for fp16 models (auto), every model (on) or none (off); "
        "true and false mean on and off",
    )
    tensorrt_cache_dir: Path | None = Field(
        default=None,
        description="TensorRT provider: engines (a folder per model file) and timing cache; "
        "None: DATA_DIR/tensorrt",
    )
    tensorrt_max_batch: int = Field(
        default=128, ge=1, description="TensorRT provider: largest batch of the dynamic-batch profiles"
    )
    batch_size: int | None = Field(
        default=None,
        ge=1,
        le=1024,
        description="frames per model call in videos; None: 32 on a GPU provider, 8 on the CPU",
    )
    gpu_geometry: GpuGeometry = Field(
        default="auto",
        description="alignment and paste back as ONNX graphs on the engine's provider: auto (GPU only), on, off",
    )
    reference_threshold: float | None = Field(
        default=None, gt=0.0, lt=2.0, description="face distance (1 - cosine); None: the engine's default"
    )

    @field_validator("tensorrt_fp16", mode="before")
    @classmethod
    def _fp16_flag(cls, value: Any) -> Any:
        """``true``/``false`` (and ``1``/``0``) read as ``on``/``off``."""
        flags = {"true": "on", "1": "on", "false": "off", "0": "off"}
        if isinstance(value, bool):
            return "on" if value else "off"
        return flags.get(value.lower(), value) if isinstance(value, str) else value
