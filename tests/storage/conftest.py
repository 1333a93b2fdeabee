"""Backends for the storage contract tests: a later backend adds one entry to ``BACKENDS`` and one factory.

Each case is a connected storage plus what the contract needs to know about it: how coarse its clock is
(to order objects by creation time) and how to list everything it holds, bookkeeping included (to prove
that a failed put left nothing behind).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio

from faceswap.storage import Storage, open_storage


@dataclass(frozen=True)
class BackendCase:
    name: str
    storage: Storage
    clock_resolution_s: float
    """How far apart two puts must be for their ``created`` times to differ."""
    leftovers: Callable[[], Awaitable[list[str]]]
    """Everything the backend holds, its own bookkeeping (temporary files, sidecars) included."""
    local_root: Path | None = None
    """The folder a filesystem backend writes under (for symlink attacks); None for remote ones."""


async def _local_case(tmp_path: Path) -> BackendCase:
    data_dir = tmp_path / "data"
    storage = open_storage("", data_dir=data_dir)
    root = data_dir / "files"

    async def leftovers() -> list[str]:
        if not root.exists():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())

    return BackendCase("local", storage, 0.02, leftovers, local_root=root)


BACKENDS: dict[str, Callable[[Path], Awaitable[BackendCase]]] = {"local": _local_case}


@pytest_asyncio.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BackendCase]:
    case = await BACKENDS[request.param](tmp_path)
    async with case.storage:
        yield case


@pytest.fixture
def storage(backend: BackendCase) -> Storage:
    return backend.storage
