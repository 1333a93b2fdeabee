"""``GET /api/options``: every choice a client can offer, derived from the ``Literal`` types, and the
error table (:mod:`faceswap.service.api.error_table`) clients show errors from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from faceswap.choices import (
    DetectorAngle,
    EngineName,
    EnhancerName,
    FaceArea,
    FaceGender,
    FaceMode,
    FaceOrder,
    FaceParserName,
    FaceRace,
    FaceRegion,
    ImageFormat,
    LandmarkerName,
    MaskType,
    ModelName,
    OccluderName,
    PixelBoost,
    SwapperFamily,
    SwapperName,
    UpscaleName,
    VideoContainer,
    VideoEncoderName,
    angle_choices,
    choices,
)
from faceswap.engine.face_filters import AGE_BUCKETS, AGE_LIMIT
from faceswap.engine.options import SwapOptions
from faceswap.service.api.deps import AppSettings, KeysRequired, ProcessState
from faceswap.service.api.envelope import Envelope
from faceswap.service.api.error_table import ErrorEntry, error_table
from faceswap.service.api.model_availability import model_choices
from faceswap.service.api.swapper_options import swapper_options
from faceswap.service.tasks.records import VIDEO_ENCODERS_META

router = APIRouter(prefix="/api", tags=["options"])


class Availability(BaseModel):
    """Whether the models a choice needs are in this API's models folder (null: it cannot tell)."""

    models: list[ModelName]
    installed: bool | None
    missing: list[ModelName] | None
    download: str | None = Field(description="the command that installs the missing models")


class SwapperOption(BaseModel):
    name: SwapperName
    family: SwapperFamily
    size: int = Field(description="the swapper's face size in pixels")
    licence: str
    commercial_use: bool
    size_bytes: int
    models: list[ModelName] = Field(description="every model the engine needs")
    installed: bool | None
    download: str | None
    identity_weight: bool
    pixel_boost: list[PixelBoost]
    auto_rank: int = Field(description="its place in `auto`'s order of preference, 0 first")


class AgeChoices(BaseModel):
    min: int
    max: int
    buckets: list[list[int]]


class OptionDefaults(BaseModel):
    engine: EngineName
    enhancer: EnhancerName
    face_mode: FaceMode
    landmarker: LandmarkerName
    detector_angles: list[DetectorAngle]
    upscale: UpscaleName
    upscale_blend: float
    enhancer_blend: float
    enhancer_weight: float
    face_order: FaceOrder | None
    occluder: OccluderName
    face_parser: FaceParserName


class AuthOptions(BaseModel):
    required: bool = Field(description="true: /api/* needs an API key now")


class Options(BaseModel):
    """Every choice a client can offer; a field the route gives that is not declared here is an error."""

    model_config = ConfigDict(extra="forbid")

    engine: list[EngineName]
    swappers: list[SwapperOption]
    models: dict[str, dict[str, Availability]] = Field(
        description="per choice field, per value backed by models: whether they are installed"
    )
    enhancer: list[EnhancerName]
    face_mode: list[FaceMode]
    landmarker: list[LandmarkerName]
    detector_angles: list[DetectorAngle]
    image_format: list[ImageFormat]
    video_format: list[VideoContainer]
    video_encoder: list[VideoEncoderName] = Field(
        description="the video encoders the running queue workers' builds have (every one when no worker "
        "reports; a worker without the one a task asks for fails it encoder_unavailable)"
    )
    pixel_boost: list[PixelBoost]
    mask_types: list[MaskType]
    mask_regions: list[FaceRegion]
    mask_areas: list[FaceArea]
    occluder: list[OccluderName]
    face_parser: list[FaceParserName]
    upscale: list[UpscaleName]
    face_order: list[FaceOrder]
    face_gender: list[FaceGender]
    face_race: list[FaceRace]
    face_age: AgeChoices
    defaults: OptionDefaults
    max_upload_bytes: int
    max_image_pixels: int
    auth: AuthOptions
    errors: dict[str, ErrorEntry] = Field(
        description="every error code an answer or a task may carry: its words, HTTP status and whether"
        " retrying may help"
    )


def workers_encoders(workers: Iterable[Mapping[str, Any]]) -> list[VideoEncoderName]:
    """The video encoders any running queue worker reports (they import PyAV; the API does not), in
    declaration order; every declared one when none reports (remote workers do not)."""
    reported: set[str] = set()
    for worker in workers:
        metadata = worker.get("metadata")
        found = metadata.get(VIDEO_ENCODERS_META) if isinstance(metadata, Mapping) else None
        if isinstance(found, list):
            reported.update(str(name) for name in found)
    declared: list[VideoEncoderName] = list(choices(VideoEncoderName))  # type: ignore[arg-type]
    return [name for name in declared if name in reported] if reported else declared


@router.get(
    "/options",
    summary="The choices of engine, enhancer, upscale, face mode, landmarker, detector angles and output "
    "formats",
)
async def options(
    settings: AppSettings, keys_required: KeysRequired, state: ProcessState
) -> Envelope[Options]:
    engine = settings.engine
    workers = (await state.queue.info())["workers"]
    return Envelope(
        data=Options.model_validate(
            {
                "engine": list(choices(EngineName)),
                "swappers": swapper_options(settings),
                "models": model_choices(settings),
                "enhancer": list(choices(EnhancerName)),
                "face_mode": list(choices(FaceMode)),
                "landmarker": list(choices(LandmarkerName)),
                "detector_angles": list(angle_choices()),
                "image_format": list(choices(ImageFormat)),
                "video_format": list(choices(VideoContainer)),
                "video_encoder": workers_encoders(workers.values()),
                "pixel_boost": list(choices(PixelBoost)),
                "mask_types": list(choices(MaskType)),
                "mask_regions": list(choices(FaceRegion)),
                "mask_areas": list(choices(FaceArea)),
                "occluder": list(choices(OccluderName)),
                "face_parser": list(choices(FaceParserName)),
                "upscale": list(choices(UpscaleName)),
                "face_order": list(choices(FaceOrder)),
                "face_gender": list(choices(FaceGender)),
                "face_race": list(choices(FaceRace)),
                "face_age": {"min": 0, "max": AGE_LIMIT, "buckets": [list(bucket) for bucket in AGE_BUCKETS]},
                "defaults": {
                    "engine": engine.engine,
                    "enhancer": engine.enhancer,
                    "face_mode": "one",
                    "landmarker": engine.landmarker,
                    "detector_angles": list(engine.detector_angles),
                    "upscale": engine.upscale,
                    "upscale_blend": engine.upscale_blend,
                    "enhancer_blend": engine.enhancer_blend,
                    "enhancer_weight": engine.enhancer_weight,
                    "face_order": None,
                    "occluder": SwapOptions().occluder,
                    "face_parser": SwapOptions().face_parser,
                },
                "max_upload_bytes": settings.limits.max_bytes,
                "max_image_pixels": settings.limits.max_image_pixels,
                "auth": {"required": keys_required},
                "errors": error_table(),
            }
        )
    )
