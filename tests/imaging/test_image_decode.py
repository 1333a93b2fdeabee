"""Decoding: orientation, frames, colour modes, alpha, and refusal of bombs and broken files."""

from __future__ import annotations

import io
import resource
import zlib
from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from faceswap.errors import InputTooLargeError, NotFoundError, UnreadableInputError, UnsupportedFormatError
from faceswap.imaging import decode_image, is_animated, read_image


def save(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def rgb_image(bgr: NDArray[np.uint8]) -> Image.Image:
    return Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1]))


def solid(rgb: tuple[int, int, int], size: tuple[int, int] = (24, 16)) -> Image.Image:
    return Image.new("RGB", size, rgb)


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid 1x1 grey PNG whose IHDR is rewritten (CRC included) to claim ``width`` x ``height``."""
    data = bytearray(save(Image.new("L", (1, 1), 7), "PNG"))
    assert data[12:16] == b"IHDR"
    data[16:20] = width.to_bytes(4, "big")
    data[20:24] = height.to_bytes(4, "big")
    data[29:33] = zlib.crc32(bytes(data[12:29])).to_bytes(4, "big")
    return bytes(data)


def test_decodes_real_photos(faces_dir: Path) -> None:
    for name, fmt in (("astronaut.png", "png"), ("grace_hopper.jpg", "jpeg")):
        decoded = read_image(faces_dir / name)
        reference = np.asarray(Image.open(faces_dir / name).convert("RGB"))[:, :, ::-1]
        assert decoded.format == fmt
        assert decoded.bgr.dtype == np.uint8
        assert decoded.bgr.flags.c_contiguous
        assert decoded.alpha is None
        assert np.array_equal(decoded.bgr, reference)


def test_exif_orientation_is_applied() -> None:
    stored = np.zeros((20, 40, 3), np.uint8)  # landscape as stored: left half red, right half blue (RGB)
    stored[:, :20] = (255, 0, 0)
    stored[:, 20:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned: rotate 90° clockwise to display
    data = save(Image.fromarray(stored), "JPEG", exif=exif, quality=95)
    decoded = decode_image(data)
    assert decoded.bgr.shape == (40, 20, 3)
    expected_bgr = np.rot90(stored, k=-1)[:, :, ::-1].astype(int)
    assert np.abs(decoded.bgr.astype(int) - expected_bgr).mean() < 6
    assert decoded.bgr[5, 10, 2] > 200 > decoded.bgr[5, 10, 0]  # top is red
    assert decoded.bgr[35, 10, 0] > 200 > decoded.bgr[35, 10, 2]  # bottom is blue


@pytest.mark.parametrize(("fmt", "options"), [("GIF", {}), ("WEBP", {"lossless": True}), ("PNG", {})])
def test_animated_images_give_their_first_frame(fmt: str, options: dict[str, object]) -> None:
    red, blue = solid((255, 0, 0)), solid((0, 0, 255))
    data = save(red, fmt, save_all=True, append_images=[blue], duration=100, loop=0, **options)
    decoded = decode_image(data)
    assert decoded.animated
    assert is_animated(data)
    assert decoded.bgr.shape == (16, 24, 3)
    assert np.all(decoded.bgr == (0, 0, 255))  # red, in BGR order


@pytest.mark.parametrize("fmt", ["GIF", "WEBP", "PNG", "JPEG"])
def test_still_images_are_not_animated(fmt: str) -> None:
    data = save(solid((10, 200, 30)), fmt)
    assert not is_animated(data)
    assert not decode_image(data).animated


def test_palette_with_transparency_keeps_alpha() -> None:
    paletted = Image.new("P", (8, 6), 1)
    paletted.putpalette([0, 0, 0, 10, 20, 30] + [0] * (3 * 254))
    paletted.paste(0, (0, 0, 4, 6))
    for fmt in ("PNG", "GIF"):
        decoded = decode_image(save(paletted, fmt, transparency=0))
        assert decoded.alpha is not None
        assert np.all(decoded.alpha[:, :4] == 0)
        assert np.all(decoded.alpha[:, 4:] == 255)
        assert np.all(decoded.bgr[:, 4:] == (30, 20, 10))


def test_grey_with_alpha_and_opaque_alpha(photo_bgr: NDArray[np.uint8]) -> None:
    la = Image.merge("LA", (Image.new("L", (5, 4), 90), Image.new("L", (5, 4), 40)))
    decoded = decode_image(save(la, "PNG"))
    assert decoded.source_mode == "LA"
    assert np.all(decoded.bgr == 90)
    assert decoded.alpha is not None
    assert np.all(decoded.alpha == 40)
    opaque = rgb_image(photo_bgr).convert("RGBA")
    decoded = decode_image(save(opaque, "PNG"))
    assert decoded.alpha is None  # a fully opaque alpha plane carries nothing
    assert np.array_equal(decoded.bgr, photo_bgr)


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    data = save(Image.fromarray(values), "PNG")
    decoded = decode_image(data)
    assert decoded.source_mode.startswith("I")
    assert decoded.bgr[0, :, 0].tolist() == [0, 1, 128, 255]
    assert np.all(decoded.bgr[:, :, 0] == decoded.bgr[:, :, 2])


def test_cmyk_and_grey_jpeg(photo_bgr: NDArray[np.uint8]) -> None:
    cmyk = decode_image(save(rgb_image(photo_bgr).convert("CMYK"), "JPEG", quality=95))
    assert cmyk.source_mode == "CMYK"
    assert np.abs(cmyk.bgr.astype(int) - photo_bgr).mean() < 8
    grey = decode_image(save(rgb_image(photo_bgr).convert("L"), "JPEG", quality=95))
    assert grey.source_mode == "L"
    assert grey.bgr.shape == photo_bgr.shape
    assert np.array_equal(grey.bgr[:, :, 0], grey.bgr[:, :, 1])


def test_one_bit_bmp() -> None:
    bits = Image.new("1", (9, 3), 0)
    bits.putpixel((4, 1), 1)
    decoded = decode_image(save(bits, "BMP"))
    assert decoded.format == "bmp"
    assert decoded.bgr[1, 4].tolist() == [255, 255, 255]
    assert int(decoded.bgr.sum()) == 3 * 255


def test_refuses_pixel_count_over_the_limit_from_the_header() -> None:
    data = png_claiming_size(3000, 3000)
    with pytest.raises(InputTooLargeError, match="3000x3000"):
        decode_image(data, max_pixels=1_000_000)
    # the pixels behind that header do not exist: only decoding would find out
    with pytest.raises(UnreadableInputError):
        decode_image(data, max_pixels=None)


def test_decompression_bomb_refused_without_allocating() -> None:
    data = png_claiming_size(100_000, 100_000)  # 10 gigapixels
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for limit in (None, 64_000_000):
        with pytest.raises(InputTooLargeError):
            decode_image(data, max_pixels=limit)
    with pytest.raises(InputTooLargeError):
        decode_image(data)
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 50 * 1024


def test_truncated_and_corrupt_files(faces_dir: Path) -> None:
    jpeg = (faces_dir / "grace_hopper.jpg").read_bytes()
    with pytest.raises(UnreadableInputError):
        decode_image(jpeg[: len(jpeg) // 2])
    png = (faces_dir / "astronaut.png").read_bytes()
    with pytest.raises(UnreadableInputError):
        decode_image(png[: len(png) // 3])
    with pytest.raises(UnreadableInputError):
        decode_image(png[:8] + b"\x00" * 64)
    with pytest.raises(UnreadableInputError):
        decode_image(b"RIFF\x10\x00\x00\x00WEBPVP8 garbage")


def test_not_an_image(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError):
        decode_image(b"plain text, no picture here")
    with pytest.raises(UnsupportedFormatError, match="mp4"):
        decode_image(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
    with pytest.raises(NotFoundError):
        read_image(tmp_path / "missing.png")
