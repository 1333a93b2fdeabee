"""Animated WebP through Pillow (FFmpeg's webp decoder reads still images only), one frame at a time."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from faceswap.engine.types import ImageBGR
from faceswap.errors import UnreadableInputError
from faceswap.video.probe import VideoInfo

WEBP_TIME_BASE = Fraction(1, 1000)
"""WebP frame times are whole milliseconds."""


def webp_frames(path: Path) -> Iterator[tuple[ImageBGR, int, int]]:
    """Each frame of ``path`` as (BGR image, timestamp ms, duration ms); alpha is dropped."""
    try:
        with Image.open(path) as image:
            for index in range(getattr(image, "n_frames", 1)):
                image.seek(index)
                image.load()
                rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
                timestamp = int(image.info.get("timestamp", 0))
                duration = int(image.info.get("duration", 0))
                yield np.ascontiguousarray(rgb[:, :, ::-1]), timestamp, duration
    except (OSError, UnidentifiedImageError, EOFError, ValueError) as exc:
        raise UnreadableInputError(f"cannot read WebP {path.name!r}: {exc}") from exc


def probe_webp(path: Path) -> VideoInfo:
    """A :class:`VideoInfo` for a still or animated WebP (every frame is decoded once to time it)."""
    count = 0
    width = height = 0
    durations: list[int] = []
    for image, _timestamp, duration in webp_frames(path):
        height, width = image.shape[:2]
        durations.append(duration)
        count += 1
    if count == 0:
        raise UnreadableInputError(f"cannot read WebP {path.name!r}: no frames")
    total_ms = sum(durations) or 100 * count
    return VideoInfo(
        path=path,
        container="webp",
        codec="webp",
        width=width,
        height=height,
        rotation=0,
        fps=count * 1000.0 / total_ms,
        variable_fps=max(durations) - min(durations) > 1,
        duration=total_ms / 1000.0,
        frame_count=count,
        frame_count_exact=True,
        time_base=WEBP_TIME_BASE,
        start_time=Fraction(0),
        has_audio=False,
        audio_codec=None,
        audio_sample_rate=None,
        via_pillow=True,
    )
