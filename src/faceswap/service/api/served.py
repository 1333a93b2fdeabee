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

from typing import Final

from faceswap.imaging.sniff import MIME_TYPES
from faceswap.storage.base import StoredObject

DOWNLOAD_CSP: Final = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
INLINE_TYPES: Final = frozenset(MIME_TYPES.values())
CACHE_CONTROL: Final = "private, max-age=3600"


def is_inline(content_type: str) -> bool:
    """Whether a download of ``content_type`` may be shown in the browser: a known image or video type."""
    return content_type.partition(";")[0].strip().lower() in INLINE_TYPES


def download_headers(obj: StoredObject) -> dict[str, str]:
    """The headers of a download of ``obj`` (its key's last segment is a safe file name: see
    :mod:`faceswap.storage.keys`)."""
    disposition = "inline" if is_inline(obj.content_type) else "attachment"
    headers = {
        "Content-Length": str(obj.size),
        "Content-Disposition": f'{disposition}; filename="{obj.name}"',
        "Cache-Control": CACHE_CONTROL,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
    }
    if obj.etag:
        headers["ETag"] = f'"{obj.etag}"'
    return headers
