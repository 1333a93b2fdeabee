"""A running task's progress detail: its stage, frames, frame rate and time left.

The worker keeps the detail next to the task's progress, in the job's ``meta[DETAIL_META]`` (one small
dict, written with the progress, never on its own), and the API shows it in the task while it is
PROCESSING. The rate is measured over the recent window (:func:`frame_rate`), so a video that speeds up
or slows down is estimated from how it goes now, not from its start; the time left follows from it
(:func:`eta_seconds`). A photo has no frames: it moves through stages, each starting at a fixed
fraction of the progress (:data:`PHOTO_STAGES`), so it never sits at 0 % until it jumps to 100 %.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, Field, ValidationError

from faceswap.choices import TaskStage

DETAIL_META: Final = "progress_detail"
"""Where a running job keeps its :class:`ProgressDetail` (``job.meta``)."""
RATE_WINDOW_S: Final = 10.0
"""How far back the frame rate looks: the samples of the last 10 seconds (and the one just before)."""

Sample = tuple[float, int]
"""(seconds on a monotonic clock, frames done by then)."""


class ProgressDetail(BaseModel):
    """What a running task is doing and how fast (every field null where it does not apply)."""

    stage: TaskStage | None = Field(default=None, description="what the task is doing now")
    frames_done: int | None = Field(default=None, ge=0, description="a video's frames swapped so far")
    frames_total: int | None = Field(default=None, ge=0, description="a video's frames in all (estimated)")
    fps: float | None = Field(default=None, ge=0.0, description="frames per second over the last seconds")
    eta_s: float | None = Field(default=None, ge=0.0, description="seconds left, from the frame rate")


def stored_detail(detail: ProgressDetail, attempt: str | None) -> dict[str, Any]:
    """``detail`` as a job's meta keeps it: marked with the attempt that measured it."""
    return {**detail.model_dump(mode="json"), "attempt": attempt}


def read_detail(value: Any, attempt: str | None) -> ProgressDetail:
    """The detail a job's meta holds for its current ``attempt`` (empty for none, for an earlier
    attempt's, or for what this version cannot read)."""
    if not isinstance(value, dict) or value.get("attempt") != attempt:
        return ProgressDetail()
    try:
        return ProgressDetail.model_validate(value)
    except ValidationError:
        return ProgressDetail()


def window(samples: Sequence[Sample], window_s: float = RATE_WINDOW_S) -> Sequence[Sample]:
    """The samples the rate is measured over: from the last one at or before ``window_s`` seconds before
    the newest (so the span covers the whole window once there is that much history, and a slow video
    whose batches come further apart than the window still has two samples), to the newest."""
    if not samples:
        return samples
    edge = samples[-1][0] - window_s
    start = 0
    for index, (at, _) in enumerate(samples):
        if at <= edge:
            start = index
    return samples[start:]


def frame_rate(samples: Sequence[Sample], window_s: float = RATE_WINDOW_S) -> float | None:
    """Frames per second over the recent window of ``samples`` (oldest first); None until two samples
    some time apart exist."""
    recent = window(samples, window_s)
    if len(recent) < 2:
        return None
    (first_at, first_done), (last_at, last_done) = recent[0], recent[-1]
    span = last_at - first_at
    if span <= 0:
        return None
    return max(0, last_done - first_done) / span


def eta_seconds(done: int, total: int | None, fps: float | None) -> float | None:
    """Seconds until ``total`` frames are done at ``fps``; None without a total or a positive rate."""
    if total is None or fps is None or fps <= 0:
        return None
    return max(0, total - done) / fps


@dataclass(frozen=True)
class StagePlan:
    """Where each stage of one kind of task starts, as a fraction of its progress, and the part of the
    progress its frames fill (a video's swapping)."""

    starts: Mapping[TaskStage, float]
    frames: tuple[float, float]

    def start(self, stage: TaskStage) -> float | None:
        return self.starts.get(stage)

    def frames_fraction(self, done: int, total: int) -> float:
        low, high = self.frames
        share = min(1.0, done / total) if total > 0 else 0.0
        return low + (high - low) * share


PHOTO_STAGES: Final = StagePlan(
    starts={
        "reading": 0.02,
        "loading_engine": 0.05,
        "detecting": 0.15,
        "swapping": 0.35,
        "enhancing": 0.55,
        "upscaling": 0.7,
        "encoding": 0.85,
        "saving": 0.95,
    },
    frames=(0.35, 0.55),
)
"""A photo: mostly finding and swapping faces; enhancing and upscaling when asked for."""
VIDEO_STAGES: Final = StagePlan(
    starts={"reading": 0.01, "loading_engine": 0.03, "swapping": 0.05, "saving": 0.99},
    frames=(0.05, 0.99),
)
"""A video (or an animated image): its frames (swapped, enhanced, encoded as they go) are the work."""
