"""``face_swap`` tasks run by a swap service at ``remote_engine.url`` (``FACE_SWAP_API_URL``).

The service (``faceswap engine-serve`` or one that speaks the same routes) is checked with
``GET /health``, then asked ``POST /process`` with the task's ``wf_json``; its answer (FaceSwapResponse)
names the result, which is fetched and stored here like a local swap's. Inputs travel as their
``http(s)://`` URL, as a path under ``remote_engine.shared_dir`` when the service shares that disk, or
inline as a ``data:`` URL.

Timeouts (``remote_engine.timeout_s``, ``FACE_SWAP_TIMEOUT``), network errors, 5xx answers and a failed
health check are retried up to ``remote_engine.attempts`` times with exponential backoff, then fail
``remote_engine_unavailable`` (transient: the queue retries the task later). An error the service
reports with a stable code (``no_face_in_source``...) fails the task with that code at once.

A cancel, or a request given up on a timeout, is passed on: ``POST /cancel/{id}`` for the request's
``X-Request-Id`` (:mod:`.remote_requests`), so ``faceswap engine-serve`` stops that swap too.

``FACE_SWAP_API_URL`` is operator configuration, so requests to it skip the SSRF guard; a result URL on
another host is fetched through the guard.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from faceswap.config import RemoteEngineSettings
from faceswap.errors import (
    CancelledError,
    FaceswapError,
    RemoteEngineUnavailableError,
    UnsupportedFormatError,
    error_for_code,
    recorded_error,
)
from faceswap.imaging.sniff import SNIFF_BYTES, extension, is_video, mime_type, sniff
from faceswap.net.fetch import FetchLimits, GuardedClient, fetch_url, redact
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.remote_requests import post_stoppable

logger = logging.getLogger(__name__)

_REF_FIELDS = ("source_url", "target_url", "reference_url")
_RETRY_STATUSES = frozenset({408, 429})


async def process(run: TaskRun) -> dict[str, Any]:
    config = run.worker.settings.remote_engine
    assert config.url is not None
    started = time.perf_counter()
    shared = config.shared_dir / run.task_id if config.shared_dir else None
    try:
        body = await _body(run, shared)
        run.progress(0.1)
        async with httpx.AsyncClient(
            base_url=config.url.rstrip("/"), timeout=config.timeout_s, trust_env=False
        ) as client:
            answer = await _with_retries(run, client, config, body)
            run.progress(0.8)
            data = await _result(run, client, answer)
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)
    kind = _sniffed(data)
    suffix = extension(kind) if kind else ".bin"
    stored = await run.outputs.store(
        f"output{suffix}", data, mime_type(kind) if kind else "application/octet-stream"
    )
    run.progress(1.0)
    metadata = answer.get("metadata") or {}
    return {
        "kind": "video" if kind and is_video(kind) else "image",
        **stored,
        "engine": "remote",
        "faces_swapped": metadata.get("faces_swapped"),
        "remote": {
            "url": redact(config.url),
            "job_id": answer.get("job_id"),
            "processing_time": answer.get("processing_time"),
        },
        "processing_time": round(time.perf_counter() - started, 3),
    }


def _sniffed(data: bytes) -> Any:
    try:
        return sniff(data[:SNIFF_BYTES])
    except UnsupportedFormatError:
        return None


async def _body(run: TaskRun, shared: Path | None) -> dict[str, Any]:
    """The task's ``wf_json`` with every input a reference the service can read."""
    wf = run.task.wf.model_dump(mode="json", exclude_none=True)
    for name in _REF_FIELDS:
        if isinstance(wf.get(name), str):
            wf[name] = await _ref(run, wf[name], name, shared)
    if isinstance(wf.get("source_urls"), list):
        wf["source_urls"] = [
            await _ref(run, r, f"source-{i}", shared) for i, r in enumerate(wf["source_urls"])
        ]
    return wf


async def _ref(run: TaskRun, ref: str, name: str, shared: Path | None) -> str:
    if ref.startswith(("http://", "https://")):
        return ref
    data = await run.read(ref)
    kind = _sniffed(data)
    if shared is not None:
        shared.mkdir(parents=True, exist_ok=True)
        path = shared / f"{name}{extension(kind) if kind else '.bin'}"
        path.write_bytes(data)
        return str(path.resolve())
    content_type = mime_type(kind) if kind else "application/octet-stream"
    return f"data:{content_type};base64,{base64.b64encode(data).decode()}"


async def _with_retries(
    run: TaskRun, client: httpx.AsyncClient, config: RemoteEngineSettings, body: dict[str, Any]
) -> dict[str, Any]:
    shown = redact(config.url or "")
    healthy = False
    last = "no try"
    for attempt in range(config.attempts):
        if run.should_cancel():
            raise CancelledError("cancelled by the client")
        if attempt:
            delay = config.backoff_s * 2 ** (attempt - 1)
            logger.warning(
                "task %s: swap service try %d failed (%s); again in %.1f s", run.task_id, attempt, last, delay
            )
            await asyncio.sleep(delay)
        try:
            if not healthy:
                await _check_health(client)
                healthy = True
            return await _post(run, client, body)
        except RemoteEngineUnavailableError as exc:
            last = str(exc)
            healthy = False
        except httpx.TimeoutException as exc:
            last = f"no answer within {config.timeout_s:g} s ({type(exc).__name__})"
            healthy = False
        except httpx.HTTPError as exc:
            last = f"{type(exc).__name__}: {exc}"
            healthy = False
    raise RemoteEngineUnavailableError(
        f"the swap service at {shown} failed {config.attempts} tries; last: {last}"
    )


async def _check_health(client: httpx.AsyncClient) -> None:
    response = await client.get("/health")
    if response.status_code != 200:
        raise RemoteEngineUnavailableError(f"GET /health answered {response.status_code}")


async def _post(run: TaskRun, client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await post_stoppable(run, client, "/process", body)
    if response.status_code < 400:
        answer = response.json()
        if not isinstance(answer, dict) or "output_path" not in answer:
            raise RemoteEngineUnavailableError("POST /process answered without an output_path")
        return answer
    error = _reported_error(response)
    if error is not None and not error.transient:
        raise error
    if response.status_code >= 500 or response.status_code in _RETRY_STATUSES or error is not None:
        raise RemoteEngineUnavailableError(
            f"POST /process answered {response.status_code}" + (f": {error.message}" if error else "")
        )
    raise error_for_code("bad_option")(f"the swap service refused the request ({response.status_code})")


def _reported_error(response: httpx.Response) -> FaceswapError | None:
    """The ``{code, message}`` error the service reported, as our error class (None if it sent none)."""
    try:
        payload = response.json()
    except ValueError:
        return None
    error = payload.get("error") if isinstance(payload, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return None
    cls = error_for_code(error["code"])
    if cls is FaceswapError:
        return None  # internal errors and unknown codes: retried as 5xx
    return recorded_error(error["code"], str(error.get("message") or error["code"]))


async def _result(run: TaskRun, client: httpx.AsyncClient, answer: dict[str, Any]) -> bytes:
    """The result's bytes: inline base64, or fetched from ``output_path`` (same origin or SSRF-guarded)."""
    if isinstance(answer.get("image_base64"), str):
        return base64.b64decode(answer["image_base64"])
    url = httpx.URL(str(answer["output_path"]))
    if not url.is_absolute_url:
        url = client.base_url.join(url)
    limits = FetchLimits(
        max_bytes=run.worker.settings.limits.max_bytes, timeout_s=run.worker.settings.fetch.timeout_s
    )
    if (url.scheme, url.host, url.port) == (
        client.base_url.scheme,
        client.base_url.host,
        client.base_url.port,
    ):
        response = await client.get(url)
        if response.status_code >= 400:
            raise RemoteEngineUnavailableError(f"the swap service's result answered {response.status_code}")
        return response.content
    async with GuardedClient(run.worker.settings.fetch) as guarded:
        return (await fetch_url(str(url), limits=limits, client=guarded)).data
