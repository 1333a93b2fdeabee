"""Signed, retried webhook callbacks with a task's status.

The body is the task in the unified format (JSON). With ``service.webhook_secret`` set, each request
carries ``X-Faceswap-Timestamp`` (Unix seconds) and ``X-Faceswap-Signature: sha256=<hex>``, the
HMAC-SHA256 of ``"<timestamp>.<body>"`` with the secret; a receiver recomputes it and rejects old
timestamps. Failed deliveries (network errors, 5xx, 429) are retried with exponential backoff.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from typing import TYPE_CHECKING, Any

import httpx

from faceswap.config import FetchSettings, Settings
from faceswap.errors import UrlForbiddenError
from faceswap.net.fetch import GuardedClient, redact

if TYPE_CHECKING:
    from saq.job import Job

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Faceswap-Signature"
TIMESTAMP_HEADER = "X-Faceswap-Timestamp"
EVENT_HEADER = "X-Faceswap-Event"
FIRST_DELAY_S = 0.5
REQUEST_TIMEOUT_S = 10.0


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: the HMAC-SHA256 of ``timestamp.body`` keyed with ``secret``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def _retryable(status: int) -> bool:
    return status >= 500 or status == 429


async def deliver(
    url: str,
    payload: dict[str, Any],
    *,
    secret: str | None,
    attempts: int,
    event: str = "task.status",
    fetch: FetchSettings | None = None,
    task_id: str = "",
) -> bool:
    """Posts ``payload`` to ``url``; True once a 2xx answer came back. Log lines name ``task_id``.

    The request goes through the SSRF guard (:mod:`faceswap.net`): a webhook pointing at a private, loopback
    or link-local address is refused (not retried) unless ``fetch.allow_private`` lets it through.
    """
    body = json.dumps(payload, separators=(",", ":")).encode()
    delay = FIRST_DELAY_S
    guard = (fetch or FetchSettings()).model_copy(update={"timeout_s": REQUEST_TIMEOUT_S})
    async with GuardedClient(guard) as client:
        for attempt in range(1, attempts + 1):
            timestamp = str(int(time.time()))
            headers = {"Content-Type": "application/json", EVENT_HEADER: event, TIMESTAMP_HEADER: timestamp}
            if secret:
                headers[SIGNATURE_HEADER] = sign(secret, timestamp, body)
            try:
                response = await client.post(url, content=body, headers=headers)
                if response.is_success:
                    return True
                if not _retryable(response.status_code):
                    logger.warning(
                        "task %s: webhook %s answered %d; not retried",
                        task_id,
                        redact(url),
                        response.status_code,
                        extra={"task_id": task_id},
                    )
                    return False
                reason = f"HTTP {response.status_code}"
            except UrlForbiddenError as exc:
                logger.warning(
                    "task %s: webhook %s refused: %s",
                    task_id,
                    redact(url),
                    exc.message,
                    extra={"task_id": task_id},
                )
                return False
            except httpx.HTTPError as exc:
                reason = str(exc) or type(exc).__name__
            logger.info(
                "task %s: webhook %s attempt %d/%d failed: %s",
                task_id,
                redact(url),
                attempt,
                attempts,
                reason,
                extra={"task_id": task_id},
            )
            if attempt < attempts:
                await asyncio.sleep(delay)
                delay *= 2
    return False


def notify_in_background(settings: Settings, background: set[asyncio.Task[bool]], job: Job) -> None:
    """Sends the job's task status to its webhook, if it has one, without waiting.

    ``background`` keeps the delivery alive until it ends (the caller drains it when shutting down).
    """
    from faceswap.service.tasks.records import task_from_job

    task = task_from_job(job)
    if task.webhook is None:
        return
    service = settings.service
    sending = asyncio.create_task(
        deliver(
            task.webhook,
            task.dump(),
            secret=service.webhook_secret,
            attempts=service.webhook_attempts,
            fetch=settings.fetch,
            task_id=task.task_id,
        )
    )
    background.add(sending)
    sending.add_done_callback(background.discard)
