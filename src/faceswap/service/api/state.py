"""``ServiceState``: what the API's routes share (settings, the connected queue, storage, tasks)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from faceswap.config import InputLimits, Settings
from faceswap.service.metrics import ServiceMetrics
from faceswap.service.queue.owned import LifecycleQueue
from faceswap.service.tasks.client import TaskClient
from faceswap.storage.base import Storage


@dataclass
class ServiceState:
    settings: Settings
    queue: LifecycleQueue
    storage: Storage
    tasks: TaskClient
    owner: str | None = None
    """The API key id a request was made with (None: keys are not in use); tasks and storage are scoped."""
    metrics: ServiceMetrics = field(default_factory=ServiceMetrics)
    """The API process's metrics (``/metrics``), shared with its in-process workers."""

    def owned_by(self, owner: str) -> ServiceState:
        """This state as one API key sees it: its own tasks and files only."""
        from faceswap.service.api.owned import OwnedStorage

        tasks = self.tasks.for_owner(owner)
        return replace(self, storage=OwnedStorage(self.storage, owner, tasks), tasks=tasks, owner=owner)

    @property
    def limits(self) -> InputLimits:
        """What an input may be at most (``settings.limits``, the one source of the byte limit)."""
        return self.settings.limits
