"""Inputs for the limit checks: the shared photos, a short H.264 clip and an animated GIF, made here."""

from __future__ import annotations

import io
import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

FACES_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
CLIP_SECONDS = 2.0
CLIP_FPS = 10
CLIP_SIZE = (96, 64)


@pytest.fixture(scope="session")
def png_bytes() -> bytes:
    return (FACES_DIR / "astronaut.png").read_bytes()


@pytest.fixture(scope="session")
def jpeg_bytes() -> bytes:
    return (FACES_DIR / "grace_hopper.jpg").read_bytes()


def with_png_size(png: bytes, width: int, height: int) -> bytes:
    """``png`` with its IHDR claiming ``width`` x ``height`` (CRC fixed): a decompression-bomb header."""
    assert png[12:16] == b"IHDR"
    ihdr = png[16 : 20 + 13]
    patched = struct.pack(">II", width, height) + ihdr[8:13]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + patched) & 0xFFFFFFFF)
    return png[:16] + patched + crc + png[33:]


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2 s, 10 fps, 96x64 H.264 mp4 (20 frames) of a moving gradient."""
    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    width, height = CLIP_SIZE
    frames = round(CLIP_SECONDS * CLIP_FPS)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=CLIP_FPS)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, CLIP_FPS)
        ramp = np.linspace(0, 255, width, dtype=np.uint8)
        for i in range(frames):
            rgb = np.zeros((height, width, 3), np.uint8)
            rgb[..., 0] = np.roll(ramp, i * 4)[None, :]
            rgb[..., 1] = 128
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


@pytest.fixture(scope="session")
def gif_bytes() -> bytes:
    """A 3-frame animated GIF, 40x30."""
    frames = [Image.new("RGB", (40, 30), (60 * i, 100, 200 - 60 * i)) for i in range(3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()
