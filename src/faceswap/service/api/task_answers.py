"""A task as the legacy job routes answer it (``/api/status/{job_id}`` ...), a pydantic model so that the
OpenAPI schema shows every field a client gets (the progress detail and the place in line included)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from faceswap.choices import LegacyTaskStatus, TaskStage


class LegacyJob(BaseModel):
    """A task as the legacy routes show it: ``status`` in lowercase, ``progress`` in percent."""

    job_id: str
    task_id: str
    status: LegacyTaskStatus
    progress: float = Field(ge=0.0, le=100.0, description="percent done")
    retries: int
    result_url: str | None = None
    error_message: str | None = None
    error_code: str | None = None
    result: dict[str, Any] | None = None
    created_at: str = Field(description="ISO 8601")
    updated_at: str = Field(description="ISO 8601")
    stage: TaskStage | None = Field(default=None, description="processing: what the job does now")
    frames_done: int | None = Field(default=None, description="processing video: frames swapped so far")
    frames_total: int | None = Field(default=None, description="processing video: frames in all")
    fps: float | None = Field(default=None, description="processing video: frames per second lately")
    eta_s: float | None = Field(default=None, description="processing video: seconds left (estimated)")
    queue_position: int | None = Field(default=None, description="pending: place in line, 1 runs next")
