"""Types are told by content: real bytes from Pillow and PyAV, plus hand-built headers."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from faceswap.errors import UnsupportedFormatError
from faceswap.imaging import (
    IMAGE_TYPES,
    VIDEO_TYPES,
    extension,
    is_image,
    is_video,
    mime_type,
    read_image,
    sniff,
    sniff_file,
)

PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "bmp": "BMP", "gif": "GIF"}
# (PyAV container format, codec) able to write a tiny clip with the FFmpeg bundled in PyAV's wheel
VIDEO_WRITERS = {
    "mp4": ("mp4", "libx264"),
    "mov": ("mov", "libx264"),
    "webm": ("webm", "libvpx"),
    "mkv": ("matroska", "libx264"),
    "avi": ("avi", "mpeg4"),
}


def image_bytes(bgr: NDArray[np.uint8], fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(bgr[:, :, ::-1])).save(buffer, format=PILLOW_FORMATS[fmt])
    return buffer.getvalue()


def video_bytes(media_type: str) -> bytes:
    container_format, codec = VIDEO_WRITERS[media_type]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=5)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for value in (0, 128):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), value, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = b"ftyp" + major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return (len(body) + 4).to_bytes(4, "big") + body + b"\x00\x00\x00\x08free"


def ebml(doctype: bytes | None) -> bytes:
    children = b"\x42\x86\x81\x01"  # EBMLVersion 1
    if doctype is not None:
        children += b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(children)]) + children + b"\x18\x53\x80\x67"


def test_type_lists_split_media_types() -> None:
    assert set(IMAGE_TYPES) == set(PILLOW_FORMATS)
    assert set(VIDEO_TYPES) == set(VIDEO_WRITERS)
    assert all(is_image(t) and not is_video(t) for t in IMAGE_TYPES)
    assert all(is_video(t) and not is_image(t) for t in VIDEO_TYPES)


@pytest.mark.parametrize("fmt", sorted(PILLOW_FORMATS))
def test_sniffs_images_written_by_pillow(fmt: str, photo_bgr: NDArray[np.uint8]) -> None:
    assert sniff(image_bytes(photo_bgr, fmt)) == fmt


def test_sniffs_real_photos(faces_dir: Path) -> None:
    assert sniff_file(faces_dir / "astronaut.png") == "png"
    assert sniff_file(faces_dir / "grace_hopper.jpg") == "jpeg"


@pytest.mark.parametrize("media_type", sorted(VIDEO_WRITERS))
def test_sniffs_videos_written_by_pyav(media_type: str) -> None:
    assert sniff(video_bytes(media_type)) == media_type


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (ftyp(b"mp42", b"mp42", b"isom"), "mp4"),
        (ftyp(b"M4V ", b"M4V ", b"mp42"), "mp4"),
        (ftyp(b"qt  ", b"qt  "), "mov"),
        (ftyp(b"abcd", b"qt  "), "mov"),
        (ftyp(b"abcd", b"isom"), "mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00\x02\xd0mdat", "mov"),
        (ebml(b"webm"), "webm"),
        (ebml(b"matroska"), "mkv"),
        (ebml(None), "mkv"),
    ],
)
def test_sniffs_container_headers(head: bytes, expected: str) -> None:
    assert sniff(head) == expected


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"hello, world\n" * 10,
        b"%PDF-1.7\n",
        b"RIFF\x24\x00\x00\x00WAVEfmt ",
        b"BM" + b"\x00" * 30,  # no valid DIB header size
        ftyp(b"heic", b"mif1", b"heic"),
        ftyp(b"avif", b"avif", b"mif1"),
        ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"),
        ebml(b"other"),
        b"\x1a\x45\xdf\xa3\x9f\x42\x86",  # EBML header cut short
    ],
)
def test_refuses_other_content(head: bytes) -> None:
    with pytest.raises(UnsupportedFormatError):
        sniff(head)


def test_name_plays_no_part(tmp_path: Path, photo_bgr: NDArray[np.uint8]) -> None:
    liar = tmp_path / "photo.jpg"
    liar.write_bytes(image_bytes(photo_bgr, "png"))
    assert sniff_file(liar) == "png"
    decoded = read_image(liar)
    assert decoded.format == "png"
    assert np.array_equal(decoded.bgr, photo_bgr)
    clip = tmp_path / "clip.png"
    clip.write_bytes(video_bytes("webm"))
    assert sniff_file(clip) == "webm"


def test_mime_types_and_extensions() -> None:
    assert mime_type("jpeg") == "image/jpeg"
    assert mime_type("mov") == "video/quicktime"
    assert mime_type("mkv") == "video/x-matroska"
    assert extension("jpeg") == ".jpg"
    assert extension("webm") == ".webm"
    assert all(mime_type(t).startswith("image/") for t in IMAGE_TYPES)
    assert all(mime_type(t).startswith("video/") for t in VIDEO_TYPES)
