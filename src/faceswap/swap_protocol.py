"""What a caller and a swap service (``faceswap engine-serve``, ``FACE_SWAP_API_URL``) agree on.

``POST /process`` answers :class:`FaceSwapResponse` (so does the API's ``POST /api/face-swap/process``).
A caller may name its ``POST /process`` request with an ``X-Request-Id`` header; ``POST /cancel/{id}``
then stops that request (a video at its next frame batch; its slot is freed and nothing is stored).
Without the header the request is stopped only when its client goes away. Services that know neither
answer the cancel with 404 or 405, which callers take as "nothing to stop".
"""

from __future__ import annotations

from typing import Any, Final

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

    @classmethod
    def of(
        cls, job_id: str, result: dict[str, Any], url: str, storage_provider: str, inline: str | None
    ) -> FaceSwapResponse:
        """The answer for a face swap's ``result`` whose output is at ``url`` (absolute), with the output's
        bytes as ``inline`` base64 when asked for."""
        content_type = str(result.get("content_type") or "")
        return cls(
            status="success",
            output_path=url,
            processing_time=float(result.get("processing_time", 0.0)),
            job_id=job_id,
            metadata=FaceSwapMetadata(
                storage_url=url,
                storage_provider=storage_provider,
                gif_url=url if content_type == "image/gif" else None,
                webp_url=url if content_type == "image/webp" else None,
                content_type=content_type or None,
                faces_swapped=result.get("faces_swapped"),
            ),
            image_base64=inline,
        )
