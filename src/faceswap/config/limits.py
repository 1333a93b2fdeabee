"""``limits``: how large a user-supplied input may be (``FACESWAP_LIMITS__*``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

MIB = 1024 * 1024
MULTIPART_FILES = 2
"""Files at the byte limit that one multipart request may carry by default: a source and a target."""
MULTIPART_OVERHEAD = MIB
"""Room beside those files in a multipart request by default: form fields, part headers, boundaries."""


class InputLimits(BaseModel):
    """What a user-supplied input may be at most; checked by content (faceswap.limits.check_media).

    Request bodies are bounded before they are read (:mod:`faceswap.asgi.body_limit`): a
    multipart request by :attr:`multipart_bytes` (all its files and fields together), any other body
    (JSON, url-encoded forms) by ``max_body_bytes``.
    """

    max_bytes: int = Field(default=200 * MIB, gt=0, description="largest upload or fetched input")
    max_image_pixels: int = Field(
        default=64_000_000, gt=0, description="largest image (width x height), read from the header"
    )
    max_video_pixels: int = Field(default=7680 * 4320, gt=0, description="largest video frame (8K)")
    max_video_seconds: float = Field(default=600.0, gt=0.0, description="longest video")
    max_video_frames: int = Field(default=36_000, gt=0, description="most video frames")
    max_multipart_bytes: int | None = Field(
        default=None,
        gt=0,
        description="largest multipart request, all its files and fields together; "
        "default 2 x max_bytes + 1 MiB (a source and a target at the byte limit)",
    )
    max_body_bytes: int = Field(
        default=32 * MIB,
        gt=0,
        description="largest request body that is not multipart (JSON with data: URLs, url-encoded forms)",
    )

    @property
    def multipart_bytes(self) -> int:
        """The bound of a multipart request: ``max_multipart_bytes``, or by default room for
        :data:`MULTIPART_FILES` files of ``max_bytes`` plus :data:`MULTIPART_OVERHEAD`."""
        if self.max_multipart_bytes is not None:
            return self.max_multipart_bytes
        return MULTIPART_FILES * self.max_bytes + MULTIPART_OVERHEAD
