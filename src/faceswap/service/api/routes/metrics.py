"""``GET /metrics``: the process's Prometheus metrics, with the shared queue's gauges read at scrape time.

Outside ``/api/``, so API keys do not apply (as for any Prometheus target): keep the port internal or
turn it off with ``FACESWAP_SERVICE__METRICS=false``.
"""

from __future__ import annotations

import logging
from typing import cast

from fastapi import APIRouter, Request
from fastapi.responses import Response

from faceswap.service.api.state import ServiceState
from faceswap.service.metrics import CONTENT_TYPE

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    state = cast(ServiceState, request.app.state.faceswap)
    try:
        state.metrics.read_queue(await state.queue.info())
    except Exception as exc:  # a queue outage must not hide the process's own metrics
        logger.warning("metrics: cannot read the queue: %s", exc)
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)
