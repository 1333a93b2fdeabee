"""Test lanes: every test not marked ``server`` is a unit test, the fast lane (``./scripts/test --fast``).

A test is marked ``server`` (full lane only) when it starts processes or servers: its module runs
subprocesses (a live ``faceswap serve``, workers, the CLI in a fresh interpreter) or drives a browser,
or it uses a fixture that starts an S3 server, a GCS emulator or a ComfyUI stand-in, or it runs over
Redis or PostgreSQL. Tests marked
``slow`` (measured over a few seconds on a 2-core machine) are left out of the fast lane as well.
"""

from __future__ import annotations

import inspect
from functools import cache
from types import ModuleType

import pytest

SERVER_FIXTURES = frozenset(
    {"live", "browser", "page", "context", "s3_server", "gcs_server", "storage", "comfy", "keyed", "api"}
)
"""Fixtures that start a server, an emulator or a browser (``storage`` runs every backend, S3 and GCS too)."""
SERVER_WORDS = ("start_server", "subprocess", "Popen", "sync_playwright", "uvicorn.Server", "serve_in_thread")
"""What a module's source says when its tests run processes or servers."""
SERVICES = ("redis", "postgres")
"""Parameters naming a running service: the full lane runs the queue and key-store tests over them."""


@cache
def starts_processes(module: ModuleType) -> bool:
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return True
    return any(word in source for word in SERVER_WORDS)


def on_a_service(item: pytest.Item) -> bool:
    """Whether the test runs against Redis or PostgreSQL (a parameter of the queue or storage fixtures)."""
    _, _, params = item.name.partition("[")
    return any(service in params for service in SERVICES)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            (module is not None and starts_processes(module))
            or fixtures & SERVER_FIXTURES
            or on_a_service(item)
        ):
            item.add_marker(pytest.mark.server)
