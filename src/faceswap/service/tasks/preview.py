"""What a preview asks for: a face swap's ``wf_json`` plus which frame of a video target to swap.

``POST /api/preview`` takes the same options as a ``face_swap`` task (:class:`PreviewOptions` is a
:class:`~faceswap.service.tasks.model.WfJson`, so an option added there flows through to previews without
a change here) and ``frame`` (an index) or ``time_s`` (seconds) for a video target. It runs as a hidden
``face_preview`` task (:mod:`faceswap.service.processors.preview`): a queue worker swaps that one frame,
downscaled to :data:`PREVIEW_MAX_SIDE`, and returns it inline as a JPEG.
"""

from __future__ import annotations

from typing import Final

from pydantic import Field, model_validator

from faceswap.service.tasks.model import TaskCreate, WfJson

PREVIEW_WORKFLOW: Final = "face_preview"
PREVIEW_MAX_SIDE: Final = 1280
"""Longest side of the frame that is swapped, in pixels: a larger frame is downscaled first."""
PREVIEW_TTL_S: Final = 600
"""How long a finished preview task (its job, holding the JPEG) is kept before the queue deletes it."""
MAX_FRAME: Final = 10_000_000
MAX_TIME_S: Final = 7 * 24 * 3600.0


class PreviewOptions(WfJson):
    """A face swap's ``wf_json`` plus the frame of a video target to preview (default: its first)."""

    frame: int | None = Field(
        default=None, ge=0, le=MAX_FRAME, description="video target: the frame to swap, counted from 0"
    )
    time_s: float | None = Field(
        default=None,
        ge=0.0,
        le=MAX_TIME_S,
        allow_inf_nan=False,
        description="video target: the frame shown at this time (seconds from the start)",
    )

    @model_validator(mode="after")
    def _one_position(self) -> PreviewOptions:
        if self.frame is not None and self.time_s is not None:
            raise ValueError("give frame or time_s, not both")
        return self

    def task(self) -> TaskCreate:
        """The hidden ``face_preview`` task that swaps this frame."""
        wf = self.model_dump(mode="json", exclude_none=True)
        return TaskCreate.model_validate(
            {"workflow": PREVIEW_WORKFLOW, "params": {"input_data": {"wf_json": wf}}}
        )
