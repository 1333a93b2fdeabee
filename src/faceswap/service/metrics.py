"""Prometheus metrics of one service process, in a registry of its own (no process-global state).

The API serves them at ``/metrics``; a separate worker process serves its own with
``faceswap worker --metrics-port N``. Counters and histograms count what this process did (Prometheus
sums them over processes); the queue gauges are read from the queue at each scrape, so every API
replica reports the same shared queue.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from faceswap.choices import TaskStatus

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The Prometheus text exposition format."""
TASK_SECONDS = (0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
HTTP_SECONDS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LOAD_SECONDS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120)
QUEUE_STATES = ("queued", "active", "scheduled")


@dataclass(frozen=True)
class ServiceMetrics:
    """The metric families; ``registry`` is what ``/metrics`` (or a worker's metrics port) exposes."""

    registry: CollectorRegistry = field(default_factory=lambda: CollectorRegistry(auto_describe=True))
    http_seconds: Histogram = field(init=False)
    tasks_created: Counter = field(init=False)
    tasks_finished: Counter = field(init=False)
    task_seconds: Histogram = field(init=False)
    engine_load_seconds: Histogram = field(init=False)
    queue_tasks: Gauge = field(init=False)
    workers: Gauge = field(init=False)

    def __post_init__(self) -> None:
        families: dict[str, Any] = {
            "http_seconds": Histogram(
                "faceswap_http_request_duration_seconds",
                "HTTP requests by method, route template and status",
                ("method", "route", "status"),
                buckets=HTTP_SECONDS,
                registry=self.registry,
            ),
            "tasks_created": Counter(
                "faceswap_tasks_created",
                "Tasks created by this API process",
                ("workflow",),
                registry=self.registry,
            ),
            "tasks_finished": Counter(
                "faceswap_tasks_finished",
                "Tasks that ended in this worker process, by workflow, final status and error code",
                ("workflow", "status", "code"),
                registry=self.registry,
            ),
            "task_seconds": Histogram(
                "faceswap_task_duration_seconds",
                "Time from a task's start on a worker to its end, by workflow and final status",
                ("workflow", "status"),
                buckets=TASK_SECONDS,
                registry=self.registry,
            ),
            "engine_load_seconds": Histogram(
                "faceswap_engine_load_seconds",
                "Time to load an engine's models, by engine",
                ("engine",),
                buckets=LOAD_SECONDS,
                registry=self.registry,
            ),
            "queue_tasks": Gauge(
                "faceswap_queue_tasks",
                "Tasks in the queue by state, read at scrape time",
                ("state",),
                registry=self.registry,
            ),
            "workers": Gauge(
                "faceswap_workers",
                "Workers whose heartbeat the queue holds (a worker drops out when its heartbeat expires)",
                registry=self.registry,
            ),
        }
        for name, family in families.items():
            object.__setattr__(self, name, family)

    def task_finished(
        self, workflow: str, status: TaskStatus, code: str | None, seconds: float | None
    ) -> None:
        """Counts one task's end (``code``: its error code, "" when it completed or was cancelled)."""
        self.tasks_finished.labels(workflow, status, code or "").inc()
        if seconds is not None and seconds >= 0:
            self.task_seconds.labels(workflow, status).observe(seconds)

    def read_queue(self, info: Mapping[str, Any]) -> None:
        """Sets the queue gauges from a queue's ``info()``."""
        for state in QUEUE_STATES:
            value = info.get(state)
            if isinstance(value, int):
                self.queue_tasks.labels(state).set(value)
        self.workers.set(len(info.get("workers") or {}))

    def exposition(self) -> bytes:
        """Every metric in the text exposition format."""
        return generate_latest(self.registry)
