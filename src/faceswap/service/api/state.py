"""``ServiceState``: what the API's routes share (settings, the connected queue, storage, tasks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from fastapi import Request
from saq.queue.base import Queue

from faceswap.config import InputLimits, Settings
from faceswap.service.tasks.client import TaskClient
from faceswap.storage.base import Storage


@dataclass
class ServiceState:
    settings: Settings
    queue: Queue
    storage: Storage
    tasks: TaskClient

    @property
    def limits(self) -> InputLimits:
        """What an input may be at most (``settings.limits``, the one source of the byte limit)."""
        return self.settings.limits

    @property
    def max_upload_bytes(self) -> int:
        return self.settings.limits.max_bytes


def get_state(request: Request) -> ServiceState:
    """FastAPI dependency: the app's state (set by its lifespan)."""
    return cast(ServiceState, request.app.state.faceswap)
