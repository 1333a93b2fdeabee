"""Decode image bytes into a BGR array plus a separate alpha plane, safely.

Type comes from the content (:func:`faceswap.imaging.sniff.sniff`), the pixel count from the header is
checked against ``max_pixels`` before any pixel is decoded, EXIF orientation is applied, animated
GIF/WebP/PNG give their first frame, and every colour mode Pillow reads ends up as 8-bit BGR.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from faceswap.choices import ImageFormat
from faceswap.errors import InputTooLargeError, NotFoundError, UnreadableInputError, UnsupportedFormatError
from faceswap.imaging.sniff import is_image, sniff

logger = logging.getLogger(__name__)

DEFAULT_MAX_PIXELS = 64_000_000
"""Images with more pixels (width times height) are refused unless the caller says otherwise."""

_PILLOW_FORMATS: dict[ImageFormat, str] = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "bmp": "BMP",
    "gif": "GIF",
}
_PILLOW_READ_ERRORS = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, IndexError)


@dataclass(frozen=True)
class DecodedImage:
    """One decoded picture.

    ``bgr`` is ``HxWx3`` uint8, C-contiguous; ``alpha`` is ``HxW`` uint8 or None when the picture is
    opaque. ``format`` is the type the content sniffed as; ``source_mode`` the Pillow mode it was stored
    in (``RGB``, ``P``, ``CMYK``, ``I;16`` ...); ``animated`` says more frames followed the one decoded.
    """

    bgr: NDArray[np.uint8]
    alpha: NDArray[np.uint8] | None
    format: ImageFormat
    source_mode: str
    animated: bool = False

    @property
    def height(self) -> int:
        return int(self.bgr.shape[0])

    @property
    def width(self) -> int:
        return int(self.bgr.shape[1])


def image_format(data: bytes) -> ImageFormat:
    """The image type of ``data`` by content; :class:`UnsupportedFormatError` for videos and others."""
    media_type = sniff(data)
    if not is_image(media_type):
        raise UnsupportedFormatError(f"expected an image, got {media_type} content")
    return media_type


def open_image(data: bytes, fmt: ImageFormat, *, max_pixels: int | None) -> Image.Image:
    """Opens ``data`` with Pillow's plugin for ``fmt`` only, reading just the header.

    Refuses more than ``max_pixels`` pixels here, before anything is decoded. Close the result.
    """
    try:
        image = Image.open(io.BytesIO(data), formats=[_PILLOW_FORMATS[fmt]])
    except Image.DecompressionBombError as exc:
        raise InputTooLargeError(_bomb_message(fmt, exc, max_pixels)) from exc
    except _PILLOW_READ_ERRORS as exc:
        raise UnreadableInputError(f"cannot read the {fmt} image: {exc}") from exc
    width, height = image.size
    if max_pixels is not None and width * height > max_pixels:
        image.close()
        raise InputTooLargeError(too_many_pixels(f"the {fmt.upper()} image", width, height, max_pixels))
    return image


def megapixels(pixels: int) -> str:
    """``pixels`` in megapixels for people: "100 megapixels", "2.5 megapixels"."""
    return f"{f'{pixels / 1e6:.1f}'.removesuffix('.0')} megapixels"


def too_many_pixels(what: str, width: int, height: int, max_pixels: int) -> str:
    """Why a picture of ``width`` x ``height`` is refused: its size and the limit, in pixels and megapixels
    (a small file can hold a huge picture, so its byte size says nothing)."""
    return (
        f"{what} is {width}x{height} pixels ({megapixels(width * height)}); the limit is "
        f"{megapixels(max_pixels)} ({max_pixels} pixels), however small the file"
    )


_BOMB_SIZE = re.compile(r"Image size \((\d+) pixels\)")


def _bomb_message(fmt: ImageFormat, exc: Exception, max_pixels: int | None) -> str:
    """A picture so large that Pillow refused to open it: its pixel count (from Pillow's words) and the
    limit."""
    found = _BOMB_SIZE.search(str(exc))
    size = f" has {megapixels(int(found.group(1)))}" if found else " is too large"
    limit = f"; the limit is {megapixels(max_pixels)} ({max_pixels} pixels)" if max_pixels else ""
    return f"the {fmt.upper()} image{size}{limit}, however small the file"


def is_animated(data: bytes) -> bool:
    """True when ``data`` is an image with more than one frame (animated GIF, WebP or PNG).

    False for still images and for videos; reads headers only.
    """
    media_type = sniff(data)
    if not is_image(media_type) or media_type not in ("gif", "webp", "png"):
        return False
    with open_image(data, media_type, max_pixels=None) as image:
        try:
            return bool(getattr(image, "is_animated", False))
        except _PILLOW_READ_ERRORS as exc:
            raise UnreadableInputError(f"cannot read the {media_type} frames: {exc}") from exc


def decode_image(data: bytes, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """Decodes the first frame of an image, upright (EXIF orientation applied)."""
    fmt = image_format(data)
    with open_image(data, fmt, max_pixels=max_pixels) as image:
        try:
            animated = bool(getattr(image, "is_animated", False))
            if animated:
                image.seek(0)
            image.load()
            upright = ImageOps.exif_transpose(image)
        except Image.DecompressionBombError as exc:
            raise InputTooLargeError(_bomb_message(fmt, exc, max_pixels)) from exc
        except _PILLOW_READ_ERRORS as exc:
            raise UnreadableInputError(
                f"cannot decode the {fmt} image (corrupt or truncated): {exc}"
            ) from exc
        source_mode = image.mode
        bgr, alpha = to_bgr_alpha(upright)
    logger.debug("decoded %s %dx%d mode %s", fmt, bgr.shape[1], bgr.shape[0], source_mode)
    return DecodedImage(bgr=bgr, alpha=alpha, format=fmt, source_mode=source_mode, animated=animated)


def read_image(path: str | Path, *, max_pixels: int | None = DEFAULT_MAX_PIXELS) -> DecodedImage:
    """:func:`decode_image` on a file's bytes; its name plays no part in telling the type."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise NotFoundError(f"no such file: {path}") from exc
    except OSError as exc:
        raise UnreadableInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return decode_image(data, max_pixels=max_pixels)


def to_bgr_alpha(image: Image.Image) -> tuple[NDArray[np.uint8], NDArray[np.uint8] | None]:
    """A loaded Pillow image as (BGR ``HxWx3``, alpha ``HxW`` or None), both uint8 and contiguous.

    16-bit and 32-bit greys are scaled to 8 bits (Pillow's own conversion clips them); an alpha plane
    that is fully opaque is dropped.
    """
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        gray = _to_uint8_gray(np.asarray(image), image.mode)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2)), None
    import cv2  # imported here: header-only users of this module (the API) never load OpenCV

    if image.has_transparency_data:
        rgba = np.asarray(image.convert("RGBA"))
        alpha = np.ascontiguousarray(rgba[:, :, 3])
        bgr: NDArray[np.uint8] = cv2.cvtColor(rgba, cv2.COLOR_RGBA2BGR).astype(np.uint8, copy=False)
        return bgr, (None if bool(np.all(alpha == 255)) else alpha)
    rgb = np.asarray(image.convert("RGB"))
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR).astype(np.uint8, copy=False), None


def _to_uint8_gray(values: NDArray[np.generic], mode: str) -> NDArray[np.uint8]:
    """16-bit (or 32-bit ints holding 16-bit samples) to 0..255; float greys are taken as 0..255."""
    if mode == "F":
        return np.clip(np.rint(values.astype(np.float64)), 0, 255).astype(np.uint8)
    wide = np.clip(values.astype(np.int64), 0, 65535)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)
