"""Input limits, decided by content: bytes, image pixels (decompression bombs), video size, length, frames;
and whether a picture has room for a face at all (:func:`check_face_room`).

:func:`check_media` never trusts a file name or a claimed content type. The type comes from the
magic bytes (:func:`faceswap.imaging.sniff.sniff`), then a real parse confirms it: Pillow reads the
image header with that format's plugin only (pixel count checked before any pixel is decoded), and
videos go through :func:`faceswap.video.probe.probe`, which opens the container and decodes the first
frame. Animated GIF and WebP are accepted where a video is expected, still image types are not.

The API process may call this for images: it imports Pillow only; PyAV is imported for videos alone.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

from faceswap.choices import MediaKind, MediaType
from faceswap.config import InputLimits
from faceswap.errors import (
    InputError,
    InputTooLargeError,
    NotFoundError,
    UnreadableInputError,
    UnsupportedFormatError,
)
from faceswap.imaging.decode import open_image
from faceswap.imaging.sniff import SNIFF_BYTES, extension, is_image, is_video, sniff

logger = logging.getLogger(__name__)

ANIMATED_IMAGE_TYPES: tuple[MediaType, ...] = ("gif", "webp")
"""Image types that may stand where a video is expected."""


@dataclass(frozen=True)
class MediaInfo:
    """What a checked input is: its type by content, its size, and for videos its length."""

    media_type: MediaType
    kind: MediaKind
    width: int
    height: int
    duration: float | None = None
    frames: int | None = None


MIN_SIDE = 16
"""Fewest pixels a face input (a photo, a video frame) may have on its shorter side. The detectors find
no face smaller than this (SCRFD's smallest anchors are 16 px; dlib's HOG window is 80 px, and the
classic engine upsamples at most 4 times)."""
MAX_ASPECT_RATIO = 32
"""Most times a face input's longer side may be its shorter side. Panoramas (up to about 10:1) and long
screenshots (about 20:1) stay within it; past it, the neural detectors' 640x640 input would hold the
picture's shorter side in fewer than 20 pixels."""


def check_face_room(width: int, height: int, what: str = "the image") -> None:
    """``bad_input`` (:class:`InputError`) when a picture of ``width`` x ``height`` pixels is too small
    (a side under :data:`MIN_SIDE`) or too thin (sides further apart than :data:`MAX_ASPECT_RATIO`) to
    hold a face; ``what`` names it in the message."""
    short, long = sorted((width, height))
    if long > MAX_ASPECT_RATIO * short:
        raise InputError(
            f"{what} is {width}x{height} pixels, too thin to hold a face: "
            f"its longer side may be at most {MAX_ASPECT_RATIO} times its shorter side"
        )
    if short < MIN_SIDE:
        raise InputError(
            f"{what} is {width}x{height} pixels, too small to hold a face: "
            f"each side must be at least {MIN_SIDE} pixels"
        )


def check_size(size: int, limits: InputLimits) -> None:
    """:class:`InputTooLargeError` when ``size`` bytes is over ``limits.max_bytes``."""
    if size > limits.max_bytes:
        raise InputTooLargeError(f"the input is {size} bytes; the limit is {limits.max_bytes} bytes")


def check_media(source: bytes | Path, kind: MediaKind, limits: InputLimits) -> MediaInfo:
    """Checks an input (bytes or a file) used as ``kind`` against ``limits``; returns what it is.

    Raises :class:`InputTooLargeError` (``input_too_large``) over a limit,
    :class:`UnsupportedFormatError` (``unsupported_format``) when the content is not of a supported
    type or not of the kind expected, whatever the file is called, and :class:`UnreadableInputError`
    (``unreadable_input``) when the content starts like a supported type but does not parse.
    """
    size = len(source) if isinstance(source, bytes) else _file_size(source)
    check_size(size, limits)
    head = source[:SNIFF_BYTES] if isinstance(source, bytes) else _read(source, SNIFF_BYTES)
    media_type = sniff(head)
    if kind == "image":
        if not is_image(media_type):
            raise UnsupportedFormatError(f"expected an image; the content is a {media_type} video")
        data = source if isinstance(source, bytes) else _read(source, None)
        width, height = _image_size(data, media_type, limits.max_image_pixels)
        info = MediaInfo(media_type=media_type, kind=kind, width=width, height=height)
    else:
        if not (is_video(media_type) or media_type in ANIMATED_IMAGE_TYPES):
            raise UnsupportedFormatError(
                f"expected a video (or an animated GIF/WebP); the content is a {media_type} image"
            )
        info = _check_video(source, media_type, limits)
    logger.debug("input checked: %s", info)
    return info


def _image_size(data: bytes, media_type: MediaType, max_pixels: int) -> tuple[int, int]:
    assert is_image(media_type)
    with open_image(data, media_type, max_pixels=max_pixels) as image:
        width, height = image.size
    return width, height


def _check_video(source: bytes | Path, media_type: MediaType, limits: InputLimits) -> MediaInfo:
    if is_image(media_type):  # animated GIF/WebP: the header tells the size without FFmpeg
        data = source if isinstance(source, bytes) else _read(source, None)
        _image_size(data, media_type, limits.max_video_pixels)
    from faceswap.video.probe import probe

    if isinstance(source, bytes):
        with tempfile.NamedTemporaryFile(prefix="faceswap-check-", suffix=extension(media_type)) as handle:
            handle.write(source)
            handle.flush()
            video = probe(Path(handle.name))
    else:
        video = probe(source)
    width, height = video.display_size
    if width * height > limits.max_video_pixels:
        raise InputTooLargeError(
            f"the video's frames are {width}x{height} = {width * height} pixels; "
            f"the limit is {limits.max_video_pixels}"
        )
    if video.duration > limits.max_video_seconds:
        raise InputTooLargeError(
            f"the video lasts {video.duration:.1f} s; the limit is {limits.max_video_seconds:g} s"
        )
    if video.frame_count > limits.max_video_frames:
        raise InputTooLargeError(
            f"the video has {'' if video.frame_count_exact else 'about '}{video.frame_count} frames; "
            f"the limit is {limits.max_video_frames}"
        )
    return MediaInfo(
        media_type=media_type,
        kind="video",
        width=width,
        height=height,
        duration=video.duration,
        frames=video.frame_count,
    )


def _file_size(path: Path) -> int:
    try:
        return Path(path).stat().st_size
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {Path(path).name}") from exc
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {Path(path).name}: {exc.strerror or exc}") from exc


def _read(path: Path, size: int | None) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read() if size is None else handle.read(size)
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {Path(path).name}: {exc.strerror or exc}") from exc
