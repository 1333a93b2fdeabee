"""The one state machine of a task's job: its states, the events that move it, and where each event
takes each state.

A job is in exactly one :data:`State`. Every write of a job is an :data:`Event`; :func:`next_state`
answers from :data:`TRANSITIONS` where the event takes the stored state, and a write whose event has no
entry for the stored state is illegal: the queue refuses it. Owner events (:data:`OWNER_EVENTS`) are
written by, or in the name of, the attempt that holds the job, and apply only while it still does.
:mod:`.guard` applies this to stored SAQ jobs inside each backend's compare-and-set (:mod:`.owned`), so
the rules are written once, here; docs/service.md shows the table as a diagram (:func:`mermaid`).

The rules a client sees follow from the table:

- a cancel of a queued task ends it at once; of a running one it asks the attempt to stop
  (``cancelling``), and from there every end of the attempt (complete, fail, retry, a sweep) lands
  ``cancelled``: a cancel that was accepted always ends CANCELLED, never COMPLETED;
- a finished task takes no write but a client's retry (``requeue``, from failed or cancelled);
- only the attempt that holds a job writes it; a sweep writes as the attempt it found stuck.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal, get_args

State = Literal["queued", "running", "cancelling", "completed", "failed", "cancelled"]
Event = Literal["claim", "progress", "complete", "fail", "retry", "stop", "cancel", "requeue"]
STATES: Final[tuple[State, ...]] = get_args(State)
EVENTS: Final[tuple[Event, ...]] = get_args(Event)

TRANSITIONS: Final[Mapping[tuple[State, Event], State]] = {
    ("queued", "claim"): "running",
    ("queued", "cancel"): "cancelled",
    ("running", "progress"): "running",
    ("running", "complete"): "completed",
    ("running", "fail"): "failed",
    ("running", "retry"): "queued",
    ("running", "cancel"): "cancelling",
    ("cancelling", "progress"): "cancelling",
    ("cancelling", "complete"): "cancelled",
    ("cancelling", "fail"): "cancelled",
    ("cancelling", "retry"): "cancelled",
    ("cancelling", "stop"): "cancelled",
    ("cancelling", "cancel"): "cancelling",
    ("failed", "requeue"): "queued",
    ("cancelled", "requeue"): "queued",
}
"""Where each event takes each state; a pair that is not here is an illegal write."""

OWNER_EVENTS: Final[frozenset[Event]] = frozenset({"progress", "complete", "fail", "retry", "stop"})
"""Events written by (or in the name of) the attempt that holds the job: the stored attempt must match."""
TERMINAL: Final[frozenset[State]] = frozenset({"completed", "failed", "cancelled"})


def next_state(state: State, event: Event) -> State | None:
    """Where ``event`` takes a job in ``state``; None: the write is illegal."""
    return TRANSITIONS.get((state, event))


def mermaid() -> str:
    """:data:`TRANSITIONS` as a Mermaid state diagram (the one in docs/service.md is this text)."""
    lines = ["stateDiagram-v2", "    [*] --> queued: enqueue"]
    lines += [f"    {state} --> {landed}: {event}" for (state, event), landed in TRANSITIONS.items()]
    lines += [f"    {state} --> [*]" for state in STATES if state in TERMINAL]
    return "\n".join(lines)
