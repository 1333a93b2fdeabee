"""``GET /api/options``: every choice a client can offer, derived from the ``Literal`` types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from faceswap.choices import (
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
    OccluderName,
    PixelBoost,
    UpscaleName,
    VideoContainer,
    angle_choices,
    choices,
)
from faceswap.engine.face_filters import AGE_BUCKETS, AGE_LIMIT
from faceswap.engine.options import SwapOptions
from faceswap.service.api.auth import keys_required
from faceswap.service.api.envelope import ok
from faceswap.service.api.model_availability import model_choices
from faceswap.service.api.state import ServiceState, get_state
from faceswap.service.api.swapper_options import swapper_options
from faceswap.video.options import available_encoders

router = APIRouter(prefix="/api", tags=["options"])
State = Annotated[ServiceState, Depends(get_state)]


@router.get(
    "/options",
    summary="The choices of engine, enhancer, upscale, face mode, landmarker, detector angles and output "
    "formats",
)
async def options(state: State, request: Request) -> dict[str, Any]:
    engine = state.settings.engine
    return ok(
        {
            "engine": list(choices(EngineName)),
            "swappers": swapper_options(state.settings),
            "models": model_choices(state.settings),
            "enhancer": list(choices(EnhancerName)),
            "face_mode": list(choices(FaceMode)),
            "landmarker": list(choices(LandmarkerName)),
            "detector_angles": list(angle_choices()),
            "image_format": list(choices(ImageFormat)),
            "video_format": list(choices(VideoContainer)),
            "video_encoder": available_encoders(),
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
            "max_upload_bytes": state.max_upload_bytes,
            "max_image_pixels": state.settings.limits.max_image_pixels,
            "auth": {"required": await keys_required(request)},
        }
    )
