"""``CloudflareImagesStorage``: images in Cloudflare Images (the ``cf-images://<account_id>`` backend).

It speaks Cloudflare's documented HTTP API (``/accounts/{account_id}/images/v1``: upload with a custom
``id``, details, ``/blob`` for the original bytes, delete; ``/images/v2`` to list; ``/images/v1/stats``)
with a bearer API token. The storage key is the image's custom id. What Cloudflare Images cannot do, and
what this backend does instead (see docs/storage.md):

- it stores images only (JPEG, PNG, GIF, WebP by their bytes, ``image/*`` content type, 10 MB at most):
  anything else raises ``UnsupportedFormatError`` before any request;
- it keeps no size or content type and at most 1024 bytes of metadata: the backend keeps its own
  ``{"content_type", "size", "metadata"}`` record there, so metadata is limited to what fits;
- an id cannot be uploaded twice: an overwrite deletes, then uploads (not atomic: a reader may briefly
  find no image, and a failed upload loses the previous one). The data is gathered and checked first,
  so a failing or cancelled data source never touches the stored image;
- listing has no prefix filter: ``list`` pages through every image of the account and filters here;
- ``url`` is the delivery URL ``https://imagedelivery.net/<account_hash>/<id>/<variant>`` when the account
  hash is configured (the variant may resize or re-encode), else ``None``.
"""

from __future__ import annotations

import builtins
import contextlib
import json
import logging
import re
from collections.abc import AsyncGenerator, AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import quote

import httpx

from faceswap.errors import (
    BadOptionError,
    FaceswapError,
    InputTooLargeError,
    InvalidKeyError,
    NotFoundError,
    OutputError,
    StorageUnavailableError,
    UnsupportedFormatError,
)
from faceswap.imaging.sniff import sniff
from faceswap.storage.base import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CONTENT_TYPE,
    PutData,
    Storage,
    StoredObject,
    check_stream,
    validate_content_type,
    validate_metadata,
)
from faceswap.storage.chunks import as_chunks, gather, within
from faceswap.storage.keys import validate_key, validate_prefix

logger = logging.getLogger(__name__)

API_BASE_URL: Final = "https://api.cloudflare.com/client/v4"
DELIVERY_BASE_URL: Final = "https://imagedelivery.net"
MAX_IMAGE_BYTES: Final = 10 * 1024 * 1024
MAX_METADATA_BYTES: Final = 1024
IMAGE_FORMATS: Final = frozenset({"jpeg", "png", "gif", "webp"})
_ACCOUNT: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
_PAGE: Final = 1000


class CloudflareImagesStorage(Storage):
    """Images of one Cloudflare account; ``api_base_url``/``delivery_base_url`` replace Cloudflare's."""

    scheme = "cf-images"

    def __init__(
        self,
        account_id: str,
        api_token: str,
        *,
        account_hash: str | None = None,
        variant: str = "public",
        api_base_url: str | None = None,
        delivery_base_url: str | None = None,
        timeout_s: float = 60.0,
    ) -> None:
        if not _ACCOUNT.fullmatch(account_id):
            raise BadOptionError(
                f"a Cloudflare account id is letters, digits, '_' or '-'; got {account_id!r}"
            )
        if not api_token:
            raise BadOptionError("Cloudflare Images needs an API token")
        self.account_id = account_id
        self.account_hash = account_hash
        self.variant = variant
        self.api_base_url = (api_base_url or API_BASE_URL).rstrip("/")
        self.delivery_base_url = (delivery_base_url or DELIVERY_BASE_URL).rstrip("/")
        self._images = f"{self.api_base_url}/accounts/{account_id}/images"
        self._http = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {api_token}"},
            timeout=httpx.Timeout(timeout_s, connect=10.0),
            trust_env=False,
        )

    def __repr__(self) -> str:
        return f"CloudflareImagesStorage('cf-images://{self.account_id}')"

    def _image_url(self, key: str, suffix: str = "") -> str:
        return f"{self._images}/v1/{quote(validate_key(key), safe='')}{suffix}"

    async def _request(self, method: str, url: str, action: str, key: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise StorageUnavailableError(
                f"Cloudflare Images is unreachable ({action} {key!r}): {exc}"
            ) from exc
        if response.is_success:
            return response
        raise _api_error(response, action, key)

    # -- writing -----------------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: PutData,
        *,
        content_type: str = DEFAULT_CONTENT_TYPE,
        metadata: Mapping[str, str] | None = None,
    ) -> StoredObject:
        validate_key(key)
        validate_content_type(content_type)
        meta = validate_metadata(metadata)
        body = await gather(as_chunks(data), limit=MAX_IMAGE_BYTES)
        if not content_type.startswith("image/"):
            raise UnsupportedFormatError(f"Cloudflare Images stores images only; got {content_type!r}")
        found = sniff(body)  # UnsupportedFormatError for anything that is not an image or video
        if found not in IMAGE_FORMATS:
            raise UnsupportedFormatError(f"Cloudflare Images takes JPEG, PNG, GIF or WebP; got {found}")
        record = json.dumps({"content_type": content_type, "size": len(body), "metadata": meta})
        if len(record.encode()) > MAX_METADATA_BYTES:
            raise BadOptionError(f"Cloudflare Images keeps at most {MAX_METADATA_BYTES} bytes of metadata")
        await self.delete(key)  # an id cannot be uploaded twice
        response = await self._request(
            "POST",
            f"{self._images}/v1",
            "store",
            key,
            files={"file": (key.rsplit("/", 1)[-1], body, content_type)},
            data={"id": key, "metadata": record},
        )
        logger.debug("stored %s in Cloudflare Images (%s)", key, content_type)
        return _describe(key, _result(response))

    async def delete(self, key: str) -> None:
        try:
            await self._request("DELETE", self._image_url(key), "delete", key)
        except NotFoundError:
            return

    # -- reading -----------------------------------------------------------------------------------

    async def stream(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE, start: int = 0, stop: int | None = None
    ) -> AsyncIterator[bytes]:
        check_stream(chunk_size, start, stop)
        # images only, and small: a span is read from the start and the bytes before it dropped
        chunks = self._chunks(key, chunk_size)
        async with contextlib.aclosing(chunks):  # the response closes as soon as the span is sent
            async for chunk in within(chunks, start, stop):
                yield chunk

    async def _chunks(self, key: str, chunk_size: int) -> AsyncGenerator[bytes, None]:
        request = self._http.build_request("GET", self._image_url(key, "/blob"))
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TransportError as exc:
            raise StorageUnavailableError(f"Cloudflare Images is unreachable (read {key!r}): {exc}") from exc
        try:
            if not response.is_success:
                await response.aread()
                raise _api_error(response, "read", key)
            async for chunk in response.aiter_bytes(chunk_size):
                yield chunk
        except httpx.TransportError as exc:
            raise StorageUnavailableError(f"reading {key!r} from Cloudflare Images broke off: {exc}") from exc
        finally:
            await response.aclose()

    async def stat(self, key: str) -> StoredObject:
        response = await self._request("GET", self._image_url(key), "read", key)
        return _describe(key, _result(response))

    async def list(self, prefix: str = "") -> AsyncIterator[StoredObject]:
        validate_prefix(prefix)
        found: builtins.list[StoredObject] = []
        token: str | None = None
        while True:  # no server-side prefix filter: page through the whole account
            params: dict[str, str | int] = {"per_page": _PAGE}
            if token:
                params["continuation_token"] = token
            response = await self._request("GET", f"{self._images}/v2", "list", prefix, params=params)
            result = _result(response)
            for image in result.get("images") or []:
                key = str(image.get("id", ""))
                if not key.startswith(prefix):
                    continue
                try:
                    found.append(_describe(validate_key(key), image))
                except InvalidKeyError:
                    continue  # an image some other program stored under an id we never generate
            token = result.get("continuation_token")
            if not token:
                break
        for obj in sorted(found, key=lambda o: o.key):
            yield obj

    # -- the rest ------------------------------------------------------------------------------------

    async def url(self, key: str, *, expires_s: int = 3600) -> str | None:
        await super().url(key, expires_s=expires_s)
        if not self.account_hash:
            return None
        return f"{self.delivery_base_url}/{self.account_hash}/{key}/{self.variant}"

    async def health(self) -> bool:
        await self._request("GET", f"{self._images}/v1/stats", "reach", self.account_id)
        return True

    async def aclose(self) -> None:
        await self._http.aclose()


def _result(response: httpx.Response) -> dict[str, Any]:
    try:
        payload = response.json()
    except ValueError as exc:
        raise OutputError(f"Cloudflare Images answered with no JSON (HTTP {response.status_code})") from exc
    result = payload.get("result") if isinstance(payload, dict) else None
    return result if isinstance(result, dict) else {}


def _api_error(response: httpx.Response, action: str, key: str) -> FaceswapError:
    status = response.status_code
    try:
        errors = response.json().get("errors") or []
        detail = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    except (ValueError, AttributeError):
        detail = ""
    detail = detail or f"HTTP {status}"
    if status == 404:
        return NotFoundError(f"no stored object {key!r}")
    if status == 413:
        return InputTooLargeError(f"Cloudflare Images refused {key!r} as too large: {detail}")
    if status == 415:
        return UnsupportedFormatError(f"Cloudflare Images refused {key!r}: {detail}")
    if status in (401, 403, 429) or status >= 500:
        return StorageUnavailableError(f"Cloudflare Images refused to {action} {key!r}: {detail}")
    return OutputError(f"Cloudflare Images could not {action} {key!r}: {detail}")


def _describe(key: str, image: Mapping[str, Any]) -> StoredObject:
    raw = image.get("meta", image.get("metadata"))
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raw = {}
    record = raw if isinstance(raw, dict) else {}
    meta = record.get("metadata")
    uploaded = str(image.get("uploaded") or "")
    try:
        created = datetime.fromisoformat(uploaded.replace("Z", "+00:00"))
    except ValueError:
        created = datetime.now(UTC)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    size = record.get("size")
    return StoredObject(
        key=key,
        size=size if isinstance(size, int) else 0,
        content_type=str(record.get("content_type") or DEFAULT_CONTENT_TYPE),
        created=created,
        metadata={str(k): str(v) for k, v in meta.items()} if isinstance(meta, dict) else {},
        etag=f"{uploaded}-{size}" if uploaded else None,
    )
