"""Test lanes: the tests marked neither ``server`` nor ``slow`` are the fast lane
(``./scripts/test --fast``); the full run has them all.

``server``: the test starts processes or servers. Its module runs subprocesses (a live ``faceswap serve``,
workers, the CLI in a fresh interpreter) or drives a browser, it sits in a folder of such tests
(:data:`SERVER_FOLDERS`), it uses a fixture that starts an S3 server, a GCS emulator or a ComfyUI
stand-in, or it runs over Redis, PostgreSQL, S3 or GCS. ``slow``: whole swaps through the CLI or a worker
and the like (:data:`INTEGRATION`), seconds each.
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
SERVICES = ("redis", "postgres", "s3", "gcs")
"""Parameters naming a service or an emulator: the full lane runs the queue, key-store and storage
contracts over them."""
SERVER_FOLDERS = ("tests/engine_server/", "tests/web/")
"""Folders whose tests all start servers (the engine service, the web page's browser)."""
INTEGRATION = (
    "tests/cli/",
    "tests/comfyui/test_comfyui_tasks.py",
    "tests/comfyui/test_remote_comfyui.py",
    "tests/engine/classic/test_classic_recall.py",
    "tests/service/test_preview.py",
    "tests/service/test_selection_tasks.py",
    "tests/service/test_swap_option_tasks.py",
    "tests/service/test_task_run_thread.py",
    "tests/service/test_task_stages.py",
    "tests/service/test_upscale_tasks.py",
    "tests/service/test_worker.py",
)
"""Whole swaps through the CLI or a worker, ComfyUI stand-in tasks, photos of many faces: marked ``slow``
(each takes seconds; together most of the unit lane's time)."""


@cache
def starts_processes(module: ModuleType) -> bool:
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):
        return True
    return any(word in source for word in SERVER_WORDS)


def on_a_service(item: pytest.Item) -> bool:
    """Whether the test runs against Redis, PostgreSQL, S3 or GCS (a parameter of the queue or storage
    fixtures)."""
    _, _, params = item.name.partition("[")
    return any(service in params for service in SERVICES)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    for item in items:
        path = item.path.relative_to(root).as_posix() if item.path.is_relative_to(root) else str(item.path)
        module = getattr(item, "module", None)
        fixtures = set(getattr(item, "fixturenames", ()))
        if (
            path.startswith(SERVER_FOLDERS)
            or (module is not None and starts_processes(module))
            or fixtures & SERVER_FIXTURES
            or on_a_service(item)
        ):
            item.add_marker(pytest.mark.server)
        elif path.startswith(INTEGRATION):
            item.add_marker(pytest.mark.slow)
