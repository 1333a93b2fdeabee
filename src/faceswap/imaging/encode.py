"""Encode a BGR array (plus optional alpha) to image bytes with provenance, and write files atomically.

Alpha is kept by PNG and WebP, becomes a 1-bit transparent colour in GIF, and is flattened onto white
for JPEG and BMP. Provenance XMP goes into JPEG (APP1), PNG (iTXt ``XML:com.adobe.xmp``), WebP (``XMP ``
chunk) and GIF (comment); BMP has no place for metadata.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from faceswap.choices import ImageFormat, parse_choice
from faceswap.errors import BadOptionError, OutputError
from faceswap.imaging.provenance import Provenance, to_xmp

logger = logging.getLogger(__name__)

DEFAULT_QUALITY = 95
SUFFIX_FORMATS: Mapping[str, ImageFormat] = MappingProxyType(
    {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp", ".bmp": "bmp", ".gif": "gif"}
)
_GIF_TRANSPARENT_INDEX = 255


def format_for_path(path: str | Path) -> ImageFormat:
    """The image format a file name asks for by its suffix; :class:`BadOptionError` for others."""
    suffix = Path(path).suffix.lower()
    fmt = SUFFIX_FORMATS.get(suffix)
    if fmt is None:
        raise BadOptionError(
            f"cannot tell the image format from {Path(path).name!r}; use one of {', '.join(SUFFIX_FORMATS)}"
        )
    return fmt


def flatten_alpha(
    bgr: NDArray[np.uint8], alpha: NDArray[np.uint8], background: tuple[int, int, int] = (255, 255, 255)
) -> NDArray[np.uint8]:
    """``bgr`` composited over a solid ``background`` (BGR) with ``alpha`` as coverage."""
    a = alpha.astype(np.float32)[:, :, None] / 255.0
    bg = np.asarray(background, dtype=np.float32)
    out = bgr.astype(np.float32) * a + bg * (1.0 - a)
    flat: NDArray[np.uint8] = np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return flat


def encode_image(
    bgr: NDArray[np.uint8],
    alpha: NDArray[np.uint8] | None,
    fmt: ImageFormat,
    *,
    quality: int = DEFAULT_QUALITY,
    provenance: Provenance | None = None,
) -> bytes:
    """The encoded bytes of one picture.

    ``quality`` (1-100) applies to JPEG and WebP; WebP at 100 is lossless. PNG, BMP and GIF ignore it.
    """
    parse_choice(ImageFormat, fmt, "image format")
    _check_arrays(bgr, alpha)
    if not 1 <= quality <= 100:
        raise BadOptionError(f"quality must be between 1 and 100; got {quality}")
    if alpha is not None and bool(np.all(alpha == 255)):
        alpha = None
    if alpha is not None and fmt in ("jpeg", "bmp"):
        bgr, alpha = flatten_alpha(bgr, alpha), None
    import cv2  # imported here: header-only users of the imaging package (the API) never load OpenCV

    rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if alpha is not None and fmt in ("png", "webp"):
        image = Image.fromarray(np.ascontiguousarray(np.dstack([rgb, alpha])))
    else:
        image = Image.fromarray(rgb)
    options: dict[str, Any] = {}
    xmp = to_xmp(provenance) if provenance is not None else None
    if fmt == "jpeg":
        options.update(quality=quality, subsampling=0 if quality >= 90 else 2)
        if xmp is not None:
            options["xmp"] = xmp
    elif fmt == "webp":
        options.update(quality=quality, lossless=quality >= 100, method=4)
        if xmp is not None:
            options["xmp"] = xmp
    elif fmt == "png":
        if xmp is not None:
            info = PngInfo()
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8"))
            options["pnginfo"] = info
    elif fmt == "gif":
        image = _to_gif_palette(image, alpha)
        if alpha is not None:
            options["transparency"] = _GIF_TRANSPARENT_INDEX
        if xmp is not None:
            options["comment"] = xmp
    elif xmp is not None:
        logger.debug("bmp has no metadata block; provenance not embedded")
    buffer = io.BytesIO()
    try:
        image.save(buffer, format=fmt.upper(), **options)
    except (OSError, ValueError) as exc:
        raise OutputError(f"cannot encode {fmt}: {exc}") from exc
    return buffer.getvalue()


def write_image(
    path: str | Path,
    bgr: NDArray[np.uint8],
    alpha: NDArray[np.uint8] | None = None,
    *,
    provenance: Provenance | None = None,
    quality: int = DEFAULT_QUALITY,
) -> Path:
    """Encodes in the format the suffix names and writes the file atomically; returns its path.

    The bytes go to a temporary file in the same directory that replaces ``path`` only when complete,
    so readers never see half a file and nothing is left behind when anything fails.
    """
    target = Path(path)
    data = encode_image(bgr, alpha, format_for_path(target), quality=quality, provenance=provenance)
    write_bytes_atomic(target, data)
    return target


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` via a temporary sibling and ``os.replace``; :class:`OutputError` on failure."""
    if not path.parent.is_dir():
        raise OutputError(f"cannot write {path}: directory {path.parent} does not exist")
    temp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from exc
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    logger.debug("wrote %s (%d bytes)", path, len(data))


def _check_arrays(bgr: NDArray[np.uint8], alpha: NDArray[np.uint8] | None) -> None:
    if bgr.dtype != np.uint8 or bgr.ndim != 3 or bgr.shape[2] != 3 or bgr.shape[0] == 0 or bgr.shape[1] == 0:
        raise BadOptionError(f"expected an HxWx3 uint8 image; got shape {bgr.shape} {bgr.dtype}")
    if alpha is not None and (alpha.dtype != np.uint8 or alpha.shape != bgr.shape[:2]):
        raise BadOptionError(f"alpha must be {bgr.shape[:2]} uint8; got {alpha.shape} {alpha.dtype}")


def _to_gif_palette(image: Image.Image, alpha: NDArray[np.uint8] | None) -> Image.Image:
    """An adaptive palette of the picture; with alpha, pixels under half coverage get a reserved index."""
    if alpha is None:
        return image.quantize(colors=256)
    paletted = image.quantize(colors=_GIF_TRANSPARENT_INDEX)
    palette = (paletted.getpalette() or [])[: 3 * _GIF_TRANSPARENT_INDEX]
    paletted.putpalette(palette + [0] * (3 * 256 - len(palette)))
    mask = Image.fromarray(np.where(alpha < 128, 255, 0).astype(np.uint8))
    paletted.paste(_GIF_TRANSPARENT_INDEX, mask=mask)
    return paletted
