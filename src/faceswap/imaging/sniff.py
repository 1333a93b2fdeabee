"""Tell a file's type from its first bytes (magic numbers), never from its name.

Pure standard library: the API process uses this to check uploads without importing image or video
libraries. :data:`SNIFF_BYTES` from the start of a file are always enough.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import TypeGuard, cast

from faceswap.choices import ImageFormat, MediaType, VideoFormat, choices
from faceswap.errors import NotFoundError, UnreadableInputError, UnsupportedFormatError

SNIFF_BYTES = 4096
"""How many leading bytes :func:`sniff` needs at most."""

IMAGE_TYPES = cast(tuple[ImageFormat, ...], choices(ImageFormat))
VIDEO_TYPES = cast(tuple[VideoFormat, ...], choices(VideoFormat))
MEDIA_TYPES = cast(tuple[MediaType, ...], choices(MediaType))

MIME_TYPES: Mapping[MediaType, str] = MappingProxyType(
    {
        "jpeg": "image/jpeg",
        "png": "image/png",
        "webp": "image/webp",
        "bmp": "image/bmp",
        "gif": "image/gif",
        "mp4": "video/mp4",
        "mov": "video/quicktime",
        "webm": "video/webm",
        "mkv": "video/x-matroska",
        "avi": "video/x-msvideo",
    }
)
EXTENSIONS: Mapping[MediaType, str] = MappingProxyType(
    {
        "jpeg": ".jpg",
        "png": ".png",
        "webp": ".webp",
        "bmp": ".bmp",
        "gif": ".gif",
        "mp4": ".mp4",
        "mov": ".mov",
        "webm": ".webm",
        "mkv": ".mkv",
        "avi": ".avi",
    }
)

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SIGNATURES: tuple[tuple[bytes, int, bytes, MediaType], ...] = (
    # prefix, offset of a second marker, the marker, type
    (b"\xff\xd8\xff", 0, b"", "jpeg"),
    (_PNG_SIGNATURE, 0, b"", "png"),
    (b"GIF87a", 0, b"", "gif"),
    (b"GIF89a", 0, b"", "gif"),
    (b"RIFF", 8, b"WEBP", "webp"),
    (b"RIFF", 8, b"AVI ", "avi"),
)
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_EBML_DOCTYPE_ID = 0x4282
_BMP_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})
_MOV_BRANDS = frozenset({b"qt  "})
_MP4_BRANDS = frozenset(
    {b"isom", b"iso2", b"iso3", b"iso4", b"iso5", b"iso6", b"iso8", b"iso9", b"mp41", b"mp42", b"mp71"}
    | {b"avc1", b"dash", b"cmfc", b"M4V ", b"M4VH", b"M4VP", b"f4v ", b"mmp4", b"MSNV", b"XAVC"}
)
_NOT_VIDEO_BRANDS = frozenset(
    {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
    | {b"M4A ", b"M4B ", b"M4P ", b"crx "}
)
_LEGACY_QUICKTIME_ATOMS = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})


def mime_type(media_type: MediaType) -> str:
    return MIME_TYPES[media_type]


def extension(media_type: MediaType) -> str:
    """The usual file suffix, with its dot (``.jpg`` for jpeg)."""
    return EXTENSIONS[media_type]


def is_image(media_type: MediaType) -> TypeGuard[ImageFormat]:
    return media_type in IMAGE_TYPES


def is_video(media_type: MediaType) -> TypeGuard[VideoFormat]:
    return media_type in VIDEO_TYPES


def sniff(data_head: bytes) -> MediaType:
    """The type of a file from its first bytes; :class:`UnsupportedFormatError` for anything else."""
    head = bytes(data_head[:SNIFF_BYTES])
    for prefix, offset, marker, media_type in _SIGNATURES:
        if head.startswith(prefix) and head[offset : offset + len(marker)] == marker:
            return media_type
    if head.startswith(b"BM") and int.from_bytes(head[14:18], "little") in _BMP_DIB_HEADER_SIZES:
        return "bmp"
    if head.startswith(_EBML_MAGIC):
        return _sniff_matroska(head)
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head)
    if head[4:8] in _LEGACY_QUICKTIME_ATOMS and int.from_bytes(head[:4], "big") >= 8:
        return "mov"
    raise UnsupportedFormatError(
        f"the content is not a supported image or video (supported: {', '.join(MEDIA_TYPES)})"
    )


def sniff_file(path: str | Path) -> MediaType:
    """:func:`sniff` on the first :data:`SNIFF_BYTES` of a file."""
    try:
        with open(path, "rb") as f:
            head = f.read(SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {path}") from exc
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return sniff(head)


def _sniff_iso_media(head: bytes) -> MediaType:
    """mp4 or mov from the ``ftyp`` box: its major brand, else its compatible brands."""
    box_size = int.from_bytes(head[:4], "big")
    major = head[8:12]
    end = min(box_size, len(head)) if box_size >= 16 else len(head)
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    if major in _MOV_BRANDS:
        return "mov"
    if major in _MP4_BRANDS:
        return "mp4"
    if major not in _NOT_VIDEO_BRANDS and not compatible & _NOT_VIDEO_BRANDS:
        if compatible & _MOV_BRANDS:
            return "mov"
        if compatible & _MP4_BRANDS:
            return "mp4"
    brand = major.decode("latin-1").strip()
    raise UnsupportedFormatError(f"ISO media file with brand {brand!r} is not a supported video")


def _read_vint(data: bytes, pos: int, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at ``pos``: (value, position after it)."""
    if pos >= len(data) or data[pos] == 0:
        raise UnsupportedFormatError("truncated or invalid EBML header")
    first = data[pos]
    length = 8 - first.bit_length() + 1
    if pos + length > len(data):
        raise UnsupportedFormatError("truncated EBML header")
    value = first if keep_marker else first & ((1 << (8 - length)) - 1)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, pos + length


def _sniff_matroska(head: bytes) -> MediaType:
    """webm or mkv from the EBML header's DocType (``matroska`` when absent, as the spec says)."""
    header_size, pos = _read_vint(head, len(_EBML_MAGIC), keep_marker=False)
    end = pos + header_size
    if end > len(head):
        raise UnsupportedFormatError("truncated EBML header")
    doctype = b"matroska"
    while pos < end:
        element_id, pos = _read_vint(head, pos, keep_marker=True)
        size, pos = _read_vint(head, pos, keep_marker=False)
        if element_id == _EBML_DOCTYPE_ID:
            doctype = head[pos : pos + size].rstrip(b"\x00")
            break
        pos += size
    if doctype == b"webm":
        return "webm"
    if doctype == b"matroska":
        return "mkv"
    raise UnsupportedFormatError(f"EBML file of type {doctype.decode('latin-1')!r} is not a supported video")
