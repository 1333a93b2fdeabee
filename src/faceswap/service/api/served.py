"""The headers a stored file is served with from the API's origin (``GET /api/download/{file_id}``).

Stored files come from users and from remote workers, so a download must never run as a page of the
API's origin, whatever its bytes:

- ``X-Content-Type-Options: nosniff``: browsers use the stored content type, never a guess;
- ``Content-Security-Policy`` (:data:`DOWNLOAD_CSP`): nothing loads or runs, and the ``sandbox``
  directive gives a document opened from it an opaque origin (inline styles stay allowed, which image
  and media viewers of some browsers use);
- ``Content-Disposition: inline`` only for the known image and video types
  (:data:`faceswap.imaging.sniff.MIME_TYPES`), so that the web page can show results; any other stored
  type (an object written by hand or by an older version) is ``attachment``: it is saved, not opened.
"""

from __future__ import annotations

import re
from typing import Final

from faceswap.imaging.sniff import MIME_TYPES
from faceswap.storage.base import StoredObject

DOWNLOAD_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
INLINE_TYPES: Final = frozenset(MIME_TYPES.values())
CACHE_CONTROL: Final = "private, max-age=3600"
MAX_DOWNLOAD_NAME: Final = 120
_UNSAFE: Final = re.compile(r"[^A-Za-z0-9_.-]+")


def is_inline(content_type: str) -> bool:
    """Whether a download of ``content_type`` may be shown in the browser: a known image or video type."""
    return content_type.partition(";")[0].strip().lower() in INLINE_TYPES


def saved_name(wanted: str | None, stored: str) -> str:
    """The file name a download is saved under: ``wanted`` cut to letters, digits, ``-``, ``_`` and ``.``
    with the stored file's extension (the bytes' type decides it, never the caller), else ``stored``."""
    stem = _UNSAFE.sub("-", (wanted or "").rsplit(".", 1)[0]).strip("-.")[:MAX_DOWNLOAD_NAME]
    if not stem:
        return stored
    extension = stored.rsplit(".", 1)[1] if "." in stored else ""
    return f"{stem}.{extension}" if extension else stem


def download_headers(obj: StoredObject, name: str | None = None) -> dict[str, str]:
    """The headers of a download of ``obj``, saved as ``name`` when given (:func:`saved_name`), else by
    its key's last segment (a safe file name: see :mod:`faceswap.storage.keys`)."""
    disposition = "inline" if is_inline(obj.content_type) else "attachment"
    headers = {
        "Content-Length": str(obj.size),
        "Content-Disposition": f'{disposition}; filename="{saved_name(name, obj.name)}"',
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
    }
    if obj.etag:
        headers["ETag"] = f'"{obj.etag}"'
    return headers
