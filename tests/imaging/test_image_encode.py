"""Encoding round-trips for every format, alpha handling, suffix rules and atomic writes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from faceswap.errors import BadOptionError, OutputError
from faceswap.imaging import (
    decode_image,
    encode_image,
    flatten_alpha,
    format_for_path,
    read_image,
    write_image,
)

LOSSY_TOLERANCE = {"jpeg": 4.0, "webp": 6.0, "gif": 8.0}


def mean_error(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


@pytest.mark.parametrize("fmt", ["png", "bmp"])
def test_lossless_round_trip(fmt: str, photo_bgr: NDArray[np.uint8]) -> None:
    data = encode_image(photo_bgr, None, fmt)  # type: ignore[arg-type]
    decoded = decode_image(data)
    assert decoded.format == fmt
    assert np.array_equal(decoded.bgr, photo_bgr)


def test_webp_quality_100_is_lossless(photo_bgr: NDArray[np.uint8]) -> None:
    assert np.array_equal(decode_image(encode_image(photo_bgr, None, "webp", quality=100)).bgr, photo_bgr)


@pytest.mark.parametrize("fmt", sorted(LOSSY_TOLERANCE))
def test_lossy_round_trip_is_close(fmt: str, photo_bgr: NDArray[np.uint8]) -> None:
    decoded = decode_image(encode_image(photo_bgr, None, fmt))  # type: ignore[arg-type]
    assert decoded.format == fmt
    assert decoded.bgr.shape == photo_bgr.shape
    assert mean_error(decoded.bgr, photo_bgr) < LOSSY_TOLERANCE[fmt]
    assert decoded.alpha is None


def test_jpeg_quality_trades_size(photo_bgr: NDArray[np.uint8]) -> None:
    low, high = (encode_image(photo_bgr, None, "jpeg", quality=q) for q in (30, 95))
    assert len(low) < len(high)
    assert mean_error(decode_image(low).bgr, photo_bgr) > mean_error(decode_image(high).bgr, photo_bgr)


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_alpha_kept(fmt: str, photo_bgr: NDArray[np.uint8], photo_alpha: NDArray[np.uint8]) -> None:
    soft = photo_alpha.copy()
    soft[40:50, 30:40] = 100
    decoded = decode_image(encode_image(photo_bgr, soft, fmt, quality=100))  # type: ignore[arg-type]
    assert decoded.alpha is not None
    assert np.array_equal(decoded.alpha, soft)
    visible = soft > 0
    assert np.array_equal(decoded.bgr[visible], photo_bgr[visible])
    lossy = decode_image(encode_image(photo_bgr, soft, fmt, quality=80))  # type: ignore[arg-type]
    assert lossy.alpha is not None
    assert np.array_equal(lossy.alpha, soft)


def test_gif_keeps_binary_transparency(photo_bgr: NDArray[np.uint8], photo_alpha: NDArray[np.uint8]) -> None:
    decoded = decode_image(encode_image(photo_bgr, photo_alpha, "gif"))
    assert decoded.alpha is not None
    assert np.array_equal(decoded.alpha, photo_alpha)
    visible = photo_alpha > 0
    assert mean_error(decoded.bgr[visible], photo_bgr[visible]) < LOSSY_TOLERANCE["gif"]


@pytest.mark.parametrize("fmt", ["jpeg", "bmp"])
def test_alpha_flattened_onto_white(
    fmt: str, photo_bgr: NDArray[np.uint8], photo_alpha: NDArray[np.uint8]
) -> None:
    decoded = decode_image(encode_image(photo_bgr, photo_alpha, fmt))  # type: ignore[arg-type]
    assert decoded.alpha is None
    assert mean_error(decoded.bgr[:15, 15:], np.full((15, photo_bgr.shape[1] - 15, 3), 255, np.uint8)) < 3
    assert mean_error(decoded.bgr[25:, 15:], photo_bgr[25:, 15:]) < LOSSY_TOLERANCE["jpeg"]


def test_flatten_alpha_blends() -> None:
    bgr = np.zeros((1, 3, 3), np.uint8)
    alpha = np.array([[0, 255, 128]], np.uint8)
    flat = flatten_alpha(bgr, alpha, background=(200, 100, 50))
    assert flat[0, 0].tolist() == [200, 100, 50]
    assert flat[0, 1].tolist() == [0, 0, 0]
    assert flat[0, 2].tolist() == [100, 50, 25]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("a.jpg", "jpeg"),
        ("a.JPEG", "jpeg"),
        ("x/y.png", "png"),
        ("b.webp", "webp"),
        ("c.bmp", "bmp"),
        ("d.GIF", "gif"),
    ],
)
def test_format_for_path(name: str, fmt: str) -> None:
    assert format_for_path(name) == fmt


@pytest.mark.parametrize("name", ["a.tiff", "noext", "a.mp4", "a.png.txt"])
def test_format_for_path_refuses_others(name: str) -> None:
    with pytest.raises(BadOptionError):
        format_for_path(name)


def test_bad_arrays_and_options(photo_bgr: NDArray[np.uint8]) -> None:
    with pytest.raises(BadOptionError):
        encode_image(photo_bgr[:, :, 0], None, "png")
    with pytest.raises(BadOptionError):
        encode_image(photo_bgr.astype(np.float32), None, "png")  # type: ignore[arg-type]
    with pytest.raises(BadOptionError):
        encode_image(photo_bgr, np.zeros((2, 2), np.uint8), "png")
    with pytest.raises(BadOptionError):
        encode_image(photo_bgr, None, "jpeg", quality=0)
    with pytest.raises(BadOptionError):
        encode_image(photo_bgr, None, "tiff")  # type: ignore[arg-type]


def test_write_image_by_suffix(tmp_path: Path, photo_bgr: NDArray[np.uint8]) -> None:
    for name, fmt in (("out.png", "png"), ("out.JPG", "jpeg"), ("out.webp", "webp")):
        path = write_image(tmp_path / name, photo_bgr)
        assert path.exists()
        assert read_image(path).format == fmt
        assert Image.open(path).format == fmt.upper()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.JPG", "out.png", "out.webp"]
    plain = tmp_path / "plain"
    plain.write_bytes(b"")  # the permissions any new file gets here (umask), not a private temp file's
    assert (tmp_path / "out.png").stat().st_mode == plain.stat().st_mode


def test_write_replaces_existing_file(tmp_path: Path, photo_bgr: NDArray[np.uint8]) -> None:
    path = tmp_path / "out.png"
    path.write_bytes(b"old")
    write_image(path, photo_bgr)
    assert np.array_equal(read_image(path).bgr, photo_bgr)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


def test_failed_writes_leave_nothing_behind(tmp_path: Path, photo_bgr: NDArray[np.uint8]) -> None:
    old = tmp_path / "keep.png"
    old.write_bytes(b"previous result")
    with pytest.raises(BadOptionError):  # cannot encode: the old file is untouched
        write_image(old, photo_bgr[:, :, :2])
    assert old.read_bytes() == b"previous result"
    with pytest.raises(BadOptionError):
        write_image(tmp_path / "out.tiff", photo_bgr)
    (tmp_path / "taken.png").mkdir()  # os.replace onto a directory fails after the data was written
    with pytest.raises(OutputError):
        write_image(tmp_path / "taken.png", photo_bgr)
    with pytest.raises(OutputError):
        write_image(tmp_path / "missing" / "out.png", photo_bgr)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.png", "taken.png"]
    assert list((tmp_path / "taken.png").iterdir()) == []
