"""What a remote worker may upload as a result file: an image or a video, told by its bytes.

Results are served back to users from the API's origin (``GET /api/download/{file_id}``) or from the
storage's public URL, so a worker must not be able to publish active content (HTML, SVG with scripts)
there. A result file's type is sniffed from its first bytes (:func:`faceswap.imaging.sniff.sniff`); the
content type the worker declared is ignored, and anything that is not a known image or video type is
refused with ``unsupported_format`` (415) before anything is stored. The file is stored with the sniffed
type's MIME type, and its name gets that type's usual suffix unless it already has it (so a web server
that types files by their name, serving a local storage folder directly, agrees with the bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from faceswap.choices import MediaType
from faceswap.errors import UnsupportedFormatError
from faceswap.imaging.sniff import MEDIA_TYPES, extension, mime_type, sniff

DEFAULT_NAME: Final = "output"
_OTHER_SUFFIXES: Final = MappingProxyType({"jpeg": (".jpeg",)})
"""Suffixes a name of that type may keep besides :func:`~faceswap.imaging.sniff.extension`'s."""


@dataclass(frozen=True, slots=True)
class ResultFile:
    """How an uploaded result file is stored: its name in the attempt's folder, and its content type."""

    name: str
    media_type: MediaType
    content_type: str


def result_file(name: str | None, head: bytes) -> ResultFile:
    """The stored name and type of a result file called ``name`` whose content starts with ``head``;
    ``UnsupportedFormatError`` unless ``head`` is a known image or video type."""
    shown = name or DEFAULT_NAME
    try:
        media = sniff(head)
    except UnsupportedFormatError as exc:
        raise UnsupportedFormatError(
            f"result file {shown[:80]!r} is not an image or video ({', '.join(MEDIA_TYPES)}), whatever "
            "its declared type; it was not stored"
        ) from exc
    return ResultFile(name=named_as(shown, media), media_type=media, content_type=mime_type(media))


def named_as(name: str, media: MediaType) -> str:
    """``name`` with the usual suffix of ``media`` (``out.html`` holding a PNG: ``out.png``)."""
    stem, dot, suffix = name.rpartition(".")
    if dot and f".{suffix.lower()}" in (extension(media), *_OTHER_SUFFIXES.get(media, ())):
        return name
    return f"{stem if dot and stem else name}{extension(media)}"
