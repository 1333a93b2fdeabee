"""The SQLite queue's tables and how a connection to the file is opened.

Mirrors the tables of SAQ's Postgres backend (``saq_jobs``, ``saq_stats``) plus ``saq_leases``,
the SQLite stand-in for Postgres' advisory lock and Redis' ``SETEX`` lock that let one queue
instance at a time sweep. The version lives in ``PRAGMA user_version``; each migration is a
list of statements applied in one transaction.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from faceswap.errors import QueueUnavailableError

BUSY_TIMEOUT_MS = 10_000
"""How long a statement waits for another process' write lock before ``database is locked``."""

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """
        CREATE TABLE IF NOT EXISTS saq_jobs (
            queue TEXT NOT NULL,
            key TEXT NOT NULL,
            job BLOB NOT NULL,
            status TEXT NOT NULL,
            priority INTEGER NOT NULL DEFAULT 0,
            group_key TEXT,
            scheduled REAL NOT NULL,
            expire_at REAL,
            claimed_by TEXT,
            claimed_at REAL,
            PRIMARY KEY (queue, key)
        )
        """,
        """
        CREATE INDEX IF NOT EXISTS saq_jobs_ready_idx
            ON saq_jobs (queue, status, priority, scheduled)
        """,
        """
        CREATE TABLE IF NOT EXISTS saq_stats (
            worker_id TEXT PRIMARY KEY,
            queue_key TEXT,
            stats TEXT,
            metadata TEXT,
            expire_at REAL NOT NULL
        )
        """,
        "CREATE INDEX IF NOT EXISTS saq_stats_queue_idx ON saq_stats (queue_key, expire_at)",
        """
        CREATE TABLE IF NOT EXISTS saq_leases (
            name TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            expire_at REAL NOT NULL
        )
        """,
    ),
)


def open_db(path: Path) -> sqlite3.Connection:
    """Opens (creating if needed) the queue file in WAL mode and brings its schema up to date.

    The connection is in autocommit mode (``isolation_level=None``): every write runs in an
    explicit ``BEGIN IMMEDIATE`` transaction, which takes the file's write lock up front so two
    processes never both read "job X is ready" and both claim it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        migrate(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Applies the migrations the file has not seen yet, each in one write transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        (version,) = conn.execute("PRAGMA user_version").fetchone()
        if version > len(MIGRATIONS):
            raise QueueUnavailableError(
                f"the queue file has schema version {version}, newer than this faceswap knows "
                f"({len(MIGRATIONS)}); upgrade faceswap or use another file"
            )
        for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
