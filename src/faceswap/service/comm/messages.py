"""The bodies of the ``/api/comm`` routes, shared by the API and the remote worker (pydantic models)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel, Field

from faceswap.choices import TaskStatus
from faceswap.service.tasks.model import Task
from faceswap.service.tasks.progress import ProgressDetail

LEASE_HEADER: Final = "X-Lease-Id"
"""The header every per-task ``/api/comm/task/{id}/...`` request carries its lease id in."""
COMM_PREFIX: Final = "/api/comm"


class LeaseInfo(BaseModel):
    """A remote worker's hold on one task attempt."""

    lease_id: str
    attempt_id: str = Field(
        description="the attempt this lease runs; its result files are stored under results/<task>/<attempt>/"
    )
    expires_at: datetime = Field(description="the task goes back to the queue if no heartbeat comes by then")
    heartbeat_s: float = Field(description="how long one heartbeat extends the lease")
    heartbeat_every_s: float = Field(description="how often the worker should send a heartbeat")


class InputSource(BaseModel):
    """Where a remote worker reads one of the task's inputs (``ref`` as written in ``wf_json``)."""

    ref: str
    url: str = Field(description="a presigned storage URL, or an /api/comm path on the API")
    direct: bool = Field(description="true: a storage URL, fetched without the worker token")


class LeasedTask(Task):
    """``GET /api/comm/task/fetch``: the task (unified format), its lease, and where its inputs are."""

    lease: LeaseInfo
    inputs: list[InputSource] = Field(
        description="every input the task declares (target, sources, reference, a ComfyUI workflow's "
        "named inputs), except data: URLs, which the worker decodes from the task itself"
    )


class Heartbeat(BaseModel):
    progress: float = Field(default=0.0, ge=0.0, le=1.0)
    detail: ProgressDetail | None = Field(
        default=None, description="the stage, frames, frame rate and time left behind the progress"
    )


class HeartbeatAnswer(BaseModel):
    cancelled: bool = Field(description="true: the task was cancelled; stop it and report nothing more")
    status: TaskStatus
    expires_at: datetime | None = None


class Completion(BaseModel):
    result: dict[str, Any] = Field(description="the task's result, as the processor returned it")


class Failure(BaseModel):
    code: str = Field(min_length=1, max_length=100, description="a faceswap error code")
    message: str = Field(max_length=4000)


class UploadedFile(BaseModel):
    """A result file stored through ``POST /api/comm/task/{id}/files``."""

    key: str
    size: int
    content_type: str
    url: str | None = Field(description="a direct (presigned/public) URL; null: /api/download/{key}")
