"""Requests to a swap service that the task's cancel reaches (see :mod:`faceswap.swap_protocol`).

Each ``POST /process`` goes with a fresh ``X-Request-Id``. While it waits for the answer the task's
cancel is watched; when the task is cancelled (or this coroutine is), or the request times out and is
given up, the service is asked to stop that request with ``POST /cancel/{id}``, so it does not go on
computing a swap nobody will collect. Closing the connection tells ``faceswap engine-serve`` the same;
the explicit cancel also reaches it through proxies that keep their upstream connection open.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import Any

import httpx

from faceswap.errors import CancelledError
from faceswap.service.processors.base import TaskRun
from faceswap.swap_protocol import REQUEST_ID_HEADER, cancel_path

logger = logging.getLogger(__name__)

CANCEL_POLL_S = 0.1
"""How often a waiting request looks at the task's cancel."""
CANCEL_TIMEOUT_S = 5.0
"""How long the service may take to answer ``POST /cancel/{id}``."""


def new_request_id(task_id: str) -> str:
    """An id for one try of ``task_id`` (tries and attempts of one task get distinct ids)."""
    return f"{task_id}-{secrets.token_hex(4)}"


async def post_stoppable(
    run: TaskRun, client: httpx.AsyncClient, path: str, body: dict[str, Any]
) -> httpx.Response:
    """``POST path`` with ``body`` as JSON; a cancel or a timeout stops the request at the service too."""
    request_id = new_request_id(run.task_id)
    posting = asyncio.ensure_future(client.post(path, json=body, headers={REQUEST_ID_HEADER: request_id}))
    try:
        while not posting.done():
            await asyncio.wait({posting}, timeout=CANCEL_POLL_S)
            if not posting.done() and run.should_cancel():
                raise CancelledError("cancelled by the client")
        return posting.result()
    except httpx.TimeoutException:
        await stop_request(client, request_id, "it timed out")
        raise
    except (asyncio.CancelledError, CancelledError):
        posting.cancel()
        await asyncio.shield(stop_request(client, request_id, "its task was cancelled"))
        raise


async def stop_request(client: httpx.AsyncClient, request_id: str, why: str) -> None:
    """Asks the service to stop ``request_id``; a failure is only logged (the request is given up anyway)."""
    try:
        response = await client.post(cancel_path(request_id), timeout=CANCEL_TIMEOUT_S)
    except httpx.HTTPError as exc:
        logger.warning("request %s: the swap service was not told to stop it: %s", request_id, exc)
        return
    if response.status_code < 300:
        logger.info("request %s: the swap service was told to stop it (%s)", request_id, why)
    elif response.status_code in (404, 405):  # done already, or a service without the route
        logger.info("request %s: the swap service had nothing to stop (%d)", request_id, response.status_code)
    else:
        logger.warning(
            "request %s: the swap service answered the cancel with %d", request_id, response.status_code
        )
