"""The task lifecycle: the transition table, the guard that applies it to stored jobs, and every backend
(SQLite, Redis, PostgreSQL) refusing the writes the table forbids."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from saq.job import Job, Status

from faceswap.service.queue.attempts import ATTEMPT_META, attempt_of
from faceswap.service.queue.guard import STATUS_OF, decide, state_of
from faceswap.service.queue.lifecycle import (
    EVENTS,
    OWNER_EVENTS,
    STATES,
    TERMINAL,
    TRANSITIONS,
    State,
    mermaid,
    next_state,
)
from faceswap.service.queue.owned import LifecycleQueue, Transition
from tests.queue.jobs import make_stuck, start

pytestmark = pytest.mark.timeout(30)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "service.md"


def job_in(state: State, attempt: str = "a1") -> Job:
    job = Job(function="work", key="k", meta={ATTEMPT_META: attempt}, result=None)
    job.status = STATUS_OF[state]
    return job


def test_every_state_is_reached_and_only_a_client_retry_leaves_an_end() -> None:
    reached = {"queued"} | set(TRANSITIONS.values())
    assert reached == set(STATES)
    for (state, event), _ in TRANSITIONS.items():
        if state in TERMINAL:
            assert event == "requeue"
    assert next_state("completed", "requeue") is None  # a completed task is not run again
    assert {event for _, event in TRANSITIONS} == set(EVENTS)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("event", EVENTS)
def test_the_guard_applies_the_table(state: State, event: str) -> None:
    stored = job_in(state)
    landed = decide(stored, event, "a1", job_in("running"))  # type: ignore[arg-type]
    expected = TRANSITIONS.get((state, event))  # type: ignore[call-overload]
    assert (state_of(landed) if landed is not None else None) == expected


def test_a_late_completion_after_a_cancel_lands_cancelled_without_its_result() -> None:
    stored = job_in("cancelling")
    stored.error = "cancelled: by the client"
    write = job_in("running")
    write.status, write.result = Status.COMPLETE, {"file_id": "x"}
    landed = decide(stored, "complete", "a1", write)
    assert landed is not None
    assert (state_of(landed), landed.result, landed.error) == ("cancelled", None, "cancelled: by the client")


def test_owner_events_of_another_attempt_and_a_second_completion_are_refused() -> None:
    for event in OWNER_EVENTS:
        assert decide(job_in("running", "a2"), event, "a1", job_in("running")) is None
    assert decide(job_in("completed"), "complete", "a1", job_in("running")) is None
    assert decide(job_in("failed", "a2"), "requeue", "a1", job_in("queued")) is None  # a retry raced it
    assert decide(None, "cancel", None, job_in("running")) is None


def test_stored_forms_of_other_writers_read_by_what_they_mean() -> None:
    swept = job_in("cancelled")
    swept.error = "swept"
    assert state_of(swept) == "failed"
    cancelled = job_in("failed")
    cancelled.meta["error"] = {"code": "cancelled", "message": "cancelled by the client"}
    assert state_of(cancelled) == "cancelled"


def test_the_docs_diagram_is_the_table() -> None:
    assert mermaid() in DOCS.read_text()


# every backend --------------------------------------------------------------------------------------


async def claimed(queue: LifecycleQueue) -> tuple[str, Job, list[Transition]]:
    seen: list[Transition] = []

    async def listen(transition: Transition) -> None:
        seen.append(transition)

    queue.on_transition(listen)
    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=3)
    return key, await start(queue, key, "w"), seen


async def stored(queue: LifecycleQueue, key: str) -> Job:
    job = await queue.job(key)
    assert job is not None
    return job


async def test_a_cancel_wins_over_a_late_completion(queue: LifecycleQueue) -> None:
    key, job, seen = await claimed(queue)
    assert (await queue.cancel(key, "cancelled: by the client")) is not None
    await job.update(progress=0.5)  # the attempt's progress keeps the cancel
    assert state_of(await stored(queue, key)) == "cancelling"
    await job.finish(Status.COMPLETE, result={"file_id": "late"})
    now = await stored(queue, key)
    assert (state_of(now), now.result, now.error) == ("cancelled", None, "cancelled: by the client")
    assert [(t.before, t.after, t.event) for t in seen] == [
        ("queued", "running", "claim"),
        ("running", "running", "progress"),
        ("running", "cancelling", "cancel"),
        ("cancelling", "cancelling", "progress"),
        ("cancelling", "cancelled", "complete"),
    ]
    assert await queue.cancel(key, "again") is None  # finished: nothing to cancel


async def test_a_second_completion_and_a_retry_of_a_finished_job_are_refused(queue: LifecycleQueue) -> None:
    key, job, seen = await claimed(queue)
    copy = queue.copy(job)
    await job.finish(Status.COMPLETE, result=1)
    await copy.finish(Status.COMPLETE, result=2)
    await copy.retry("late")
    now = await stored(queue, key)
    assert (now.status, now.result) == (Status.COMPLETE, 1)
    assert [t.event for t in seen] == ["claim", "progress", "complete"]
    assert await queue.dequeue(timeout=0.3, poll_interval=0.05) is None


async def test_a_retry_of_a_cancelled_attempt_ends_it_cancelled(queue: LifecycleQueue) -> None:
    key, job, _ = await claimed(queue)
    await queue.cancel(key, "cancelled: by the client")
    await job.retry("a transient error")
    assert state_of(await stored(queue, key)) == "cancelled"
    assert await queue.dequeue(timeout=0.3, poll_interval=0.05) is None


async def test_a_sweep_without_attempts_left_ends_the_job_failed_and_says_so(queue: LifecycleQueue) -> None:
    seen: list[Transition] = []

    async def listen(transition: Transition) -> None:
        seen.append(transition)

    key = f"k-{uuid.uuid4().hex}"
    await queue.enqueue("work", key=key, heartbeat=2, timeout=60, retries=1)
    first = await start(queue, key, "dies")
    await make_stuck(queue, key)
    queue.on_transition(listen)
    assert any(s.endswith(key) for s in await queue.sweep(lock=1))
    now = await stored(queue, key)
    assert (state_of(now), now.status, attempt_of(now)) == ("failed", Status.FAILED, attempt_of(first))
    assert [(t.before, t.after, t.event) for t in seen] == [("running", "failed", "fail")]
