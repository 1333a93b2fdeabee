"""``HttpMetricsMiddleware``: times every HTTP request into ``faceswap_http_request_duration_seconds``,
labelled by method, the matched route's template (``/api/tasks/{task_id}``, never the raw path, so the
label set stays bounded; ``unmatched`` for a path no route serves) and the status code."""

from __future__ import annotations

import time

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceswap.service.metrics import ServiceMetrics

UNMATCHED = "unmatched"


def route_template(scope: Scope) -> str:
    """The path template of the route that served ``scope`` (set by the router), else ``unmatched``."""
    route = scope.get("route")
    path = getattr(route, "path", None) if isinstance(route, BaseRoute) else None
    return path if isinstance(path, str) else UNMATCHED


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an app that raises before it answers

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            seconds = time.perf_counter() - started
            self.metrics.http_seconds.labels(scope["method"], route_template(scope), str(status)).observe(
                seconds
            )
