"""A face swap reports its stages and frames as it goes: a photo moves through its stages (so its progress
never sits at 0 % until the end), a video (an animated GIF here) counts its frames."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from faceswap.choices import TaskStage
from faceswap.service.processors import face_swap
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.context import WorkerContext
from faceswap.service.processors.meter import ProgressMeter
from faceswap.service.tasks.model import TaskCreate
from faceswap.service.tasks.progress import PHOTO_STAGES, VIDEO_STAGES
from faceswap.storage.open import storage_from_settings
from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.helpers import service_settings

pytestmark = pytest.mark.asyncio


class RecordingMeter(ProgressMeter):
    """A meter that keeps every stage and frame count it was told, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stages: list[TaskStage] = []
        self.counts: list[tuple[int, int]] = []

    def stage(self, stage: TaskStage) -> None:
        self.stages.append(stage)
        super().stage(stage)

    def frames(self, done: int, total: int) -> None:
        self.counts.append((done, total))
        super().frames(done, total)


def data_url(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


@pytest_asyncio.fixture
async def worker(tmp_path: Path) -> AsyncIterator[WorkerContext]:
    settings = service_settings(tmp_path)
    storage = storage_from_settings(settings)
    try:
        yield WorkerContext.from_settings(settings, storage)
    finally:
        await storage.aclose()


def swap_run(worker: WorkerContext, target: str) -> tuple[TaskRun, RecordingMeter]:
    wf = {"source_url": data_url(ASTRONAUT.read_bytes(), "image/png"), "target_url": target}
    task = TaskCreate.model_validate({"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}})
    meter = RecordingMeter()
    return TaskRun(task_id="c" * 32, task=task, worker=worker, meter=meter), meter


async def test_a_stage_moves_the_progress_to_its_start_never_back(worker: WorkerContext) -> None:
    run, _ = swap_run(worker, "unused")
    assert run.fraction == 0.0
    run.stage("detecting")
    assert run.fraction == PHOTO_STAGES.start("detecting") > 0
    run.stage("reading")  # an earlier stage again: the progress stays
    assert run.fraction == PHOTO_STAGES.start("detecting")
    assert run.meter.detail().stage == "reading"
    run.plan = VIDEO_STAGES
    run.frames(50, 100)
    assert run.fraction == pytest.approx(VIDEO_STAGES.frames_fraction(50, 100))
    assert run.meter.detail().frames_done == 50


async def test_a_photo_goes_through_its_stages_in_order(worker: WorkerContext) -> None:
    run, meter = swap_run(worker, data_url(GRACE.read_bytes(), "image/jpeg"))
    result = await face_swap.process(run)
    assert result["kind"] == "image"
    assert meter.stages == ["reading", "loading_engine", "detecting", "swapping", "encoding", "saving"]
    assert meter.counts == []  # a photo has no frames
    assert run.plan is PHOTO_STAGES
    assert run.fraction == 1.0


async def test_an_animated_target_counts_its_frames(worker: WorkerContext) -> None:
    face = Image.open(ASTRONAUT).convert("RGB").resize((256, 256))
    frames = [face.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if i % 2 else face for i in range(6)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    run, meter = swap_run(worker, data_url(buffer.getvalue(), "image/gif"))
    result = await face_swap.process(run)
    assert result["kind"] == "video"
    assert meter.stages == ["reading", "loading_engine", "swapping", "saving"]
    assert run.plan is VIDEO_STAGES
    assert meter.counts
    assert meter.counts[-1] == (6, 6)
    assert [done for done, _ in meter.counts] == sorted(done for done, _ in meter.counts)
    detail = meter.detail()
    assert (detail.frames_done, detail.frames_total) == (6, 6)
