"""The SQLite queue's statements: plain synchronous functions, one transaction each.

:class:`~faceswap.service.queue.sqlite.SqliteQueue` runs every function here on its one
database thread, so a function is the unit of atomicity: whatever it reads and writes happens
inside one ``BEGIN IMMEDIATE`` transaction (writes) or one snapshot (reads). The ``status``
column is authoritative; the status inside the serialized job may be stale and is overridden
when the job is loaded (as SAQ's Postgres backend does).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from faceswap.service.queue.guard import FINISHED

Blob = bytes | str
Row = tuple[str, Blob, str]
"""key, serialized job, status"""

Stored = tuple[Blob, str, int]
"""A job to store: serialized job, status, ttl (seconds a finished job is kept)."""

TERMINAL = tuple(sorted(status.value for status in FINISHED))
INCOMPLETE = ("new", "queued", "active")
RUNNING = ("active", "aborting")

_READY = """
    FROM saq_jobs
    WHERE queue = ? AND status = 'queued' AND scheduled <= ? AND priority BETWEEN ? AND ?
      AND (group_key IS NULL OR group_key NOT IN (
        SELECT group_key FROM saq_jobs
        WHERE queue = ? AND status = 'active' AND group_key IS NOT NULL))
"""


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``: takes the write lock first, waiting up to busy_timeout."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" * len(values))


def insert_job(
    conn: sqlite3.Connection,
    queue: str,
    key: str,
    job: Blob,
    priority: int,
    group_key: str | None,
    scheduled: float,
) -> bool:
    """Adds a queued job; False (and no change) while a job with this key is still unfinished.

    A finished job with the same key is replaced, as in SAQ's Redis backend.
    """
    with transaction(conn):
        row = conn.execute("SELECT status FROM saq_jobs WHERE queue = ? AND key = ?", (queue, key)).fetchone()
        if row is not None and row[0] not in TERMINAL:
            return False
        conn.execute("DELETE FROM saq_jobs WHERE queue = ? AND key = ?", (queue, key))
        conn.execute(
            "INSERT INTO saq_jobs (queue, key, job, status, priority, group_key, scheduled)"
            " VALUES (?, ?, ?, 'queued', ?, ?, ?)",
            (queue, key, job, priority, group_key, scheduled),
        )
    return True


def claim_next(
    conn: sqlite3.Connection,
    queue: str,
    owner: str,
    now: float,
    priorities: tuple[int, int],
    stamp: Callable[[Blob], Blob],
) -> tuple[str, Blob] | None:
    """Marks the next ready job active for ``owner`` and returns it, rewritten by ``stamp``.

    Order: lowest priority value, then earliest scheduled time, then insertion order. A cheap
    read without the write lock comes first, so idle pollers do not queue up on the lock.
    """
    args = (queue, now, priorities[0], priorities[1], queue)
    if conn.execute(f"SELECT 1 {_READY} LIMIT 1", args).fetchone() is None:
        return None
    with transaction(conn):
        row = conn.execute(
            f"SELECT key, job {_READY} ORDER BY priority, scheduled, rowid LIMIT 1", args
        ).fetchone()
        if row is None:
            return None
        key, job = row[0], stamp(row[1])
        conn.execute(
            "UPDATE saq_jobs SET status = 'active', job = ?, claimed_by = ?, claimed_at = ?"
            " WHERE queue = ? AND key = ?",
            (job, owner, now, queue, key),
        )
    return key, job


def release_claim(conn: sqlite3.Connection, queue: str, key: str, owner: str) -> bool:
    """Puts back a job ``owner`` claimed but never handed to anyone (its dequeue was cancelled)."""
    with transaction(conn):
        cursor = conn.execute(
            "UPDATE saq_jobs SET status = 'queued', claimed_by = NULL, claimed_at = NULL"
            " WHERE queue = ? AND key = ? AND status = 'active' AND claimed_by = ?",
            (queue, key, owner),
        )
    return cursor.rowcount == 1


def swap_job(
    conn: sqlite3.Connection,
    queue: str,
    key: str,
    change: Callable[[str, Blob], Stored | None],
    run_at: float | None,
    now: float,
) -> bool:
    """The queue's compare-and-set: stores ``change(stored status, stored job)`` in the transaction that
    read it, placed by its new status (:mod:`faceswap.service.queue.owned`); False (no change) when the
    job is gone or ``change`` answers None.

    Queued: ready at ``run_at`` (None: ``now``), no expiry, no claim. Running: the row's schedule, expiry
    and claim kept. Finished: no claim, expiring ``ttl`` seconds from ``now`` (0: never; below 0: at
    once, and the next sweep deletes it).
    """
    with transaction(conn):
        row = conn.execute(
            "SELECT status, job FROM saq_jobs WHERE queue = ? AND key = ?", (queue, key)
        ).fetchone()
        if row is None or (stored := change(row[0], row[1])) is None:
            return False
        job, status, ttl = stored
        if status in RUNNING:
            conn.execute(
                "UPDATE saq_jobs SET job = ?, status = ? WHERE queue = ? AND key = ?",
                (job, status, queue, key),
            )
            return True
        if status in TERMINAL:
            scheduled, expire_at = None, (now + max(ttl, 0) if ttl != 0 else None)
        else:
            scheduled, expire_at = (run_at if run_at is not None else now), None
        conn.execute(
            "UPDATE saq_jobs SET job = ?, status = ?, scheduled = coalesce(?, scheduled), expire_at = ?,"
            " claimed_by = NULL, claimed_at = NULL WHERE queue = ? AND key = ?",
            (job, status, scheduled, expire_at, queue, key),
        )
    return True


def get_jobs(conn: sqlite3.Connection, queue: str, keys: Sequence[str]) -> dict[str, tuple[Blob, str]]:
    found: dict[str, tuple[Blob, str]] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        rows = conn.execute(
            f"SELECT key, job, status FROM saq_jobs WHERE queue = ? AND key IN ({_marks(chunk)})",
            (queue, *chunk),
        )
        found.update({key: (job, status) for key, job, status in rows})
    return found


def list_jobs(
    conn: sqlite3.Connection,
    queue: str,
    statuses: Sequence[str],
    after_key: str = "",
    limit: int = -1,
    offset: int = 0,
) -> list[Row]:
    """Jobs in ``statuses``, by key, after ``after_key`` (keyset paging); ``limit`` -1: all."""
    return list(
        conn.execute(
            f"SELECT key, job, status FROM saq_jobs WHERE queue = ? AND key > ? AND status IN ({_marks(statuses)})"
            " ORDER BY key LIMIT ? OFFSET ?",
            (queue, after_key, *statuses, limit, offset),
        )
    )


def count_jobs(conn: sqlite3.Connection, queue: str, kind: str, now: float) -> int:
    args: tuple[object, ...]
    if kind == "queued":
        sql, args = "status = 'queued' AND scheduled <= ?", (now,)
    elif kind == "active":
        sql, args = "status = 'active'", ()
    else:
        sql, args = f"status IN ({_marks(INCOMPLETE)})", INCOMPLETE
    (count,) = conn.execute(
        f"SELECT count(*) FROM saq_jobs WHERE queue = ? AND {sql}", (queue, *args)
    ).fetchone()
    return int(count)


def take_lease(conn: sqlite3.Connection, name: str, owner: str, seconds: float, now: float) -> bool:
    """Takes or renews the lease ``name`` for ``seconds`` unless another owner holds it."""
    with transaction(conn):
        row = conn.execute("SELECT owner, expire_at FROM saq_leases WHERE name = ?", (name,)).fetchone()
        if row is not None and row[0] != owner and row[1] > now:
            return False
        conn.execute(
            "INSERT OR REPLACE INTO saq_leases (name, owner, expire_at) VALUES (?, ?, ?)",
            (name, owner, now + seconds),
        )
    return True


def expire(conn: sqlite3.Connection, queue: str, now: float) -> None:
    """Deletes finished jobs past their ``ttl`` and worker stats past theirs."""
    with transaction(conn):
        conn.execute(
            f"DELETE FROM saq_jobs WHERE queue = ? AND status IN ({_marks(TERMINAL)}) AND expire_at <= ?",
            (queue, *TERMINAL, now),
        )
        conn.execute("DELETE FROM saq_stats WHERE expire_at < ?", (now,))


def write_stats(
    conn: sqlite3.Connection, worker_id: str, queue: str, stats: str, metadata: str, expire_at: float
) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT OR REPLACE INTO saq_stats (worker_id, queue_key, stats, metadata, expire_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (worker_id, queue, stats, metadata, expire_at),
        )


def live_workers(conn: sqlite3.Connection, queue: str, now: float) -> list[tuple[str, str, str]]:
    """worker id, stats JSON, metadata JSON of the workers whose stats have not expired."""
    return list(
        conn.execute(
            "SELECT worker_id, stats, metadata FROM saq_stats WHERE queue_key = ? AND expire_at >= ?",
            (queue, now),
        )
    )


AHEAD = (
    "SELECT count(*) FROM saq_jobs WHERE queue = ? AND status = 'queued'"
    " AND (priority, scheduled, rowid) < (?, ?, ?)"
)
"""The queued jobs claimed before one with (priority, scheduled, rowid): :func:`claim_next`'s order."""


def queue_position(conn: sqlite3.Connection, queue: str, key: str) -> int | None:
    """1 + the queued jobs claimed before ``key`` (:func:`claim_next`'s order); None unless it is queued.

    The count is a range of the ``(queue, status, priority, scheduled)`` index (its entries carry the
    rowid): it reads the entries ahead of the job, not the jobs."""
    row = conn.execute(
        "SELECT status, priority, scheduled, rowid FROM saq_jobs WHERE queue = ? AND key = ?", (queue, key)
    ).fetchone()
    if row is None or row[0] not in ("new", "queued"):
        return None
    (ahead,) = conn.execute(AHEAD, (queue, row[1], row[2], row[3])).fetchone()
    return int(ahead) + 1
