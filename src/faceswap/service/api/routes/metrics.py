"""``GET /metrics``: the process's Prometheus metrics, with the shared queue's gauges read at scrape time.

Outside ``/api/``, so API keys do not apply (as for any Prometheus target): keep the port internal or
turn it off with ``FACESWAP_SERVICE__METRICS=false``.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import Response

from faceswap.service.api.deps import ProcessState
from faceswap.service.metrics import CONTENT_TYPE

logger = logging.getLogger(__name__)
router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(state: ProcessState) -> Response:
    try:
        state.metrics.read_queue(await state.queue.info())
    except Exception as exc:  # a queue outage must not hide the process's own metrics
        logger.warning("metrics: cannot read the queue: %s", exc)
    return Response(state.metrics.exposition(), media_type=CONTENT_TYPE)
