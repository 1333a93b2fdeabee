"""``limits``: how large a user-supplied input may be (``FACESWAP_LIMITS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class InputLimits(BaseModel):
    """What a user-supplied input may be at most; checked by content (faceswap.limits.check_media)."""

    max_bytes: int = Field(default=200 * 1024 * 1024, gt=0, description="largest upload or fetched input")
    max_image_pixels: int = Field(
        default=64_000_000, gt=0, description="largest image (width x height), read from the header"
    )
    max_video_pixels: int = Field(default=7680 * 4320, gt=0, description="largest video frame (8K)")
    max_video_seconds: float = Field(default=600.0, gt=0.0, description="longest video")
    max_video_frames: int = Field(default=36_000, gt=0, description="most video frames")
