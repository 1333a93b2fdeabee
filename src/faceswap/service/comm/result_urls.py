"""The URLs in a remote worker's completion: links to the attempt's own result files, nothing else.

A processor's result names each output file twice: by ``file_id`` (its key, checked by :mod:`.files`)
and by a link users follow, ``output_url`` (``crop_url`` for a detected face; the same in the entries of
a ComfyUI workflow's ``outputs``), which comes back to them as ``result_url``. A remote worker reports
the URL its upload was answered with (:class:`~faceswap.service.comm.messages.UploadedFile`): the
storage's direct URL for the file (presigned or public), or, when the storage has none,
``/api/download/<key>`` on this API. So every value under a key ending in ``_url``, at any depth of the
result, must be one of:

- ``/api/download/<key>``, exactly, where ``<key>`` is a file this attempt uploaded
  (``results/<task_id>/<attempt>/...``, stored);
- an ``http(s)`` URL with the scheme, host, port and path of the storage's direct URL of such a file,
  with the same query parameter names (their values, a presigned URL's signature and expiry, change
  with every call, so they are not compared) and no fragment;
- ``null``.

Anything else (``javascript:`` or ``data:`` URLs, other hosts, other files, protocol-relative
``//host/...`` paths, added query parameters) is refused with ``url_forbidden`` (422) before the task
changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit

from faceswap.errors import InvalidKeyError, UrlForbiddenError
from faceswap.service.processors.outputs import DOWNLOAD_ROUTE
from faceswap.storage.base import Storage
from faceswap.storage.keys import attempt_prefix, validate_key

URL_SUFFIX: Final = "_url"
WEB_SCHEMES: Final = ("http", "https")


def result_urls(result: Any) -> Iterator[tuple[str, Any]]:
    """``(name, value)`` of every entry whose name ends in ``_url``, at any depth of dicts and lists."""
    if isinstance(result, dict):
        for name, value in result.items():
            if str(name).endswith(URL_SUFFIX):
                yield str(name), value
            else:
                yield from result_urls(value)
    elif isinstance(result, list):
        for item in result:
            yield from result_urls(item)


def _shape(url: str) -> tuple[str, str, str, frozenset[str]]:
    """What two URLs of one stored file share: scheme, host and port, path, and query parameter names."""
    parts = urlsplit(url)
    names = frozenset(name for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return parts.scheme.lower(), parts.netloc.lower(), parts.path, names


class ResultUrls:
    """Checks the URLs of one attempt's completion against the files it uploaded."""

    def __init__(self, storage: Storage, task_id: str, attempt: str) -> None:
        self.storage = storage
        self.prefix = attempt_prefix(task_id, attempt)
        self._direct: set[tuple[str, str, str, frozenset[str]]] | None = None

    async def check(self, result: dict[str, Any]) -> None:
        """``UrlForbiddenError`` unless every URL in ``result`` links to one of the attempt's files."""
        for name, value in result_urls(result):
            if value is None:
                continue
            if not isinstance(value, str) or not await self._allowed(value):
                shown = repr(value)[:120]
                raise UrlForbiddenError(
                    f"result {name} {shown} is not a link to a file this attempt uploaded: it must be "
                    f"{DOWNLOAD_ROUTE}<key> or the storage URL the upload was answered with"
                )

    async def _allowed(self, url: str) -> bool:
        if url.startswith(DOWNLOAD_ROUTE):
            return await self._is_own_file(url.removeprefix(DOWNLOAD_ROUTE))
        try:
            parts = urlsplit(url)
            shape = _shape(url)
        except ValueError:  # such as an unclosed [IPv6] host
            return False
        if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname or parts.fragment:
            return False
        return shape in await self._direct_urls()

    async def _is_own_file(self, key: str) -> bool:
        """Whether ``key`` (the rest of a download path: a valid key and nothing else) is a stored file
        of the attempt."""
        try:
            validate_key(key)
        except InvalidKeyError:  # a query, a fragment, '..', an escape: not a plain key
            return False
        return key.startswith(self.prefix) and await self.storage.exists(key)

    async def _direct_urls(self) -> set[tuple[str, str, str, frozenset[str]]]:
        """The shapes of the storage's direct URLs of the attempt's files (listed once)."""
        if self._direct is None:
            self._direct = set()
            async for obj in self.storage.list(self.prefix):
                url = await self.storage.url(obj.key)
                if url is not None:
                    self._direct.add(_shape(url))
        return self._direct


async def check_result_urls(storage: Storage, result: dict[str, Any], task_id: str, attempt: str) -> None:
    """``UrlForbiddenError`` unless every ``*_url`` in ``result`` links to a file ``attempt`` uploaded."""
    await ResultUrls(storage, task_id, attempt).check(result)
