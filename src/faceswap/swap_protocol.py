"""What a caller and a swap service (``faceswap engine-serve``, ``FACE_SWAP_API_URL``) agree on.

``POST /process`` answers :class:`FaceSwapResponse` (so does the API's ``POST /api/face-swap/process``).
A caller may name its ``POST /process`` request with an ``X-Request-Id`` header; ``POST /cancel/{id}``
then stops that request (a video at its next frame batch; its slot is freed and nothing is stored).
Without the header the request is stopped only when its client goes away. Services that know neither
answer the cancel with 404 or 405, which callers take as "nothing to stop".
"""

from __future__ import annotations

from typing import Final

from pydantic import BaseModel

REQUEST_ID_HEADER: Final = "X-Request-Id"
REQUEST_ID_PATTERN: Final = r"^[A-Za-z0-9._-]{1,128}$"
CANCEL_PREFIX: Final = "/cancel/"


def cancel_path(request_id: str) -> str:
    """The route that stops request ``request_id``."""
    return f"{CANCEL_PREFIX}{request_id}"


class FaceSwapMetadata(BaseModel):
    storage_url: str
    storage_provider: str
    gif_url: str | None = None
    webp_url: str | None = None
    content_type: str | None = None
    faces_swapped: int | None = None


class FaceSwapResponse(BaseModel):
    status: str
    output_path: str
    processing_time: float
    job_id: str
    metadata: FaceSwapMetadata
    image_base64: str | None = None
