"""``CommClient``: the remote worker's HTTP client for the API's ``/api/comm`` routes.

Answers come in the API's ``{success, data | error}`` envelopes; an error answer becomes the
:class:`FaceswapError` with its code (401 ``unauthorized``, 409 ``lease_lost`` ...), and an API that
cannot be reached (or answers 5xx) is ``QueueUnavailableError``, transient: the API is this worker's
queue. The worker token goes only to the API; inputs at direct (presigned) storage URLs are fetched
without it.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from faceswap.errors import FaceswapError, InputTooLargeError, QueueUnavailableError, recorded_error
from faceswap.service.comm.messages import (
    COMM_PREFIX,
    LEASE_HEADER,
    HeartbeatAnswer,
    InputSource,
    LeasedTask,
    UploadedFile,
)
from faceswap.service.tasks.progress import ProgressDetail

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 60.0
UPLOAD_TIMEOUT_S = 600.0
LONG_POLL_MARGIN_S = 10.0


def answer_error(response: httpx.Response) -> FaceswapError:
    """The error an API answer stands for (its envelope's ``{code, message}``)."""
    try:
        error = response.json().get("error") or {}
        code, message = str(error.get("code", "")), str(error.get("message", ""))
    except (ValueError, AttributeError):
        code, message = "", response.text[:200]
    if response.status_code >= 500 and code in ("", "internal_error"):
        return QueueUnavailableError(f"the API answered {response.status_code}: {message}")
    return recorded_error(code, message or f"the API answered {response.status_code}")


class CommClient:
    """Talks to the API at ``api_url`` with worker token ``token``; ``worker`` names this worker."""

    def __init__(
        self,
        api_url: str,
        token: str,
        *,
        worker: str = "remote",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.worker = worker
        self._http = httpx.AsyncClient(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=REQUEST_TIMEOUT_S,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            raise QueueUnavailableError(f"the API at {self.api_url} cannot be reached: {exc}") from exc
        if response.status_code >= 400:
            raise answer_error(response)
        return response

    async def _data(self, method: str, path: str, **kwargs: Any) -> Any:
        return (await self._call(method, path, **kwargs)).json()["data"]

    def _task(self, task_id: str, lease_id: str, what: str) -> tuple[str, dict[str, str]]:
        return f"{COMM_PREFIX}/task/{task_id}/{what}", {LEASE_HEADER: lease_id}

    async def fetch(self, wait_s: float) -> LeasedTask | None:
        """The next leased task, or ``None`` when none came within ``wait_s`` seconds."""
        response = await self._call(
            "GET",
            f"{COMM_PREFIX}/task/fetch",
            params={"timeout": wait_s, "worker": self.worker},
            timeout=wait_s + LONG_POLL_MARGIN_S,
        )
        if response.status_code == 204:
            return None
        return LeasedTask.model_validate(response.json()["data"])

    async def heartbeat(
        self, task_id: str, lease_id: str, progress: float, detail: ProgressDetail | None = None
    ) -> HeartbeatAnswer:
        path, headers = self._task(task_id, lease_id, "heartbeat")
        body: dict[str, Any] = {"progress": progress}
        if detail is not None:
            body["detail"] = detail.model_dump(mode="json")
        data = await self._data("POST", path, headers=headers, json=body)
        return HeartbeatAnswer.model_validate(data)

    async def read_input(self, task_id: str, lease_id: str, source: InputSource, max_bytes: int) -> bytes:
        """One input's bytes: from its presigned URL directly, or through the API.

        A presigned URL comes from the operator's own storage (trusted configuration, possibly on a private
        network), so it is fetched with a plain client, without the worker token and without the SSRF guard
        that user-supplied URLs go through.
        """
        if source.direct:
            async with httpx.AsyncClient(timeout=self._http.timeout, follow_redirects=True) as plain:
                return await self._read_capped(plain, source, {}, max_bytes)
        return await self._read_capped(self._http, source, {LEASE_HEADER: lease_id}, max_bytes)

    async def _read_capped(
        self, http: httpx.AsyncClient, source: InputSource, headers: dict[str, str], max_bytes: int
    ) -> bytes:
        chunks, size = [], 0
        try:
            async with http.stream("GET", source.url, headers=headers) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise answer_error(response)
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > max_bytes:
                        raise InputTooLargeError(
                            f"input {source.ref[:80]!r} is larger than {max_bytes} bytes"
                        )
                    chunks.append(chunk)
        except httpx.TransportError as exc:
            raise QueueUnavailableError(f"{source.url.split('?')[0]} cannot be reached: {exc}") from exc
        return b"".join(chunks)

    async def upload(
        self, task_id: str, lease_id: str, name: str, data: bytes | Path, content_type: str
    ) -> UploadedFile:
        """Stores a result file through the API (multipart)."""
        path, headers = self._task(task_id, lease_id, "files")
        with contextlib.ExitStack() as stack:
            body: bytes | BinaryIO = stack.enter_context(data.open("rb")) if isinstance(data, Path) else data
            answer = await self._data(
                "POST",
                path,
                headers=headers,
                files={"file": (name, body, content_type)},
                timeout=UPLOAD_TIMEOUT_S,
            )
        return UploadedFile.model_validate(answer)

    async def complete(self, task_id: str, lease_id: str, result: dict[str, Any]) -> None:
        path, headers = self._task(task_id, lease_id, "complete")
        await self._call("POST", path, headers=headers, json={"result": result})

    async def fail(self, task_id: str, lease_id: str, code: str, message: str) -> None:
        path, headers = self._task(task_id, lease_id, "fail")
        await self._call("POST", path, headers=headers, json={"code": code, "message": message[:4000]})
