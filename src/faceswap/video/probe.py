"""What a video file holds: ``probe(path) -> VideoInfo`` (size, rotation, frame rate, duration, audio)."""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from faceswap.errors import InputError, UnreadableInputError, UnsupportedFormatError
from faceswap.video.ffmpeg_errors import ffmpeg_reason
from faceswap.video.pixels import quarter_turns

log = logging.getLogger(__name__)

SCAN_PACKETS = 300
"""Video packets whose time stamps are compared to tell variable from constant frame rate."""


@dataclass(frozen=True)
class VideoInfo:
    """A video (or animated GIF/WebP) as the pipeline reads it.

    ``width``/``height`` are the coded size; ``rotation`` the counter-clockwise display rotation in
    degrees (a multiple of 90) and ``display_size`` the upright size frames are processed at.
    ``start_time`` is where the container's time line starts (seconds); ``frame_count`` is exact when
    ``frame_count_exact`` (the container says), else estimated from duration and average rate.
    ``via_pillow``: frames come from Pillow (animated WebP, which FFmpeg's decoder cannot read).
    """

    path: Path
    container: str
    codec: str
    width: int
    height: int
    rotation: int
    fps: float
    variable_fps: bool
    duration: float
    frame_count: int
    frame_count_exact: bool
    time_base: Fraction
    start_time: Fraction
    has_audio: bool
    audio_codec: str | None
    audio_sample_rate: int | None
    via_pillow: bool = False

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) once the frames are turned upright."""
        if quarter_turns(self.rotation) % 2:
            return self.height, self.width
        return self.width, self.height


def is_variable_rate(timestamps: list[int]) -> bool:
    """Whether frame intervals (in time-base ticks) differ by more than one tick (rounding)."""
    ordered = sorted(set(timestamps))
    deltas = [b - a for a, b in itertools.pairwise(ordered)]
    return len(deltas) > 1 and max(deltas) - min(deltas) > 1


def is_webp(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(12)
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def probe(path: Path) -> VideoInfo:
    """Reads ``path``'s headers, scans the first packets and decodes the first frame.

    Raises :class:`InputError` when the file is missing, :class:`UnreadableInputError` when it cannot
    be decoded and :class:`UnsupportedFormatError` when it holds no video.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video file {path.name!r} does not exist")
    if is_webp(path):
        from faceswap.video.webp import probe_webp

        return probe_webp(path)
    try:
        return _probe_av(path)
    except av.FFmpegError as exc:
        raise UnreadableInputError(f"cannot read video {path.name!r}: {ffmpeg_reason(exc)}") from exc


def _probe_av(path: Path) -> VideoInfo:
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise UnsupportedFormatError(f"{path.name!r} has no video stream")
        stream = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        time_base = stream.time_base or Fraction(1, 90000)
        timestamps: list[int] = []
        rotation: int | None = None
        for packet in container.demux(stream):
            if packet.pts is not None and len(timestamps) < SCAN_PACKETS:
                timestamps.append(packet.pts)
            if rotation is None:
                for frame in packet.decode():
                    rotation = quarter_turns(frame.rotation) * 90
                    break
            if rotation is not None and len(timestamps) >= SCAN_PACKETS:
                break
        if rotation is None:
            raise UnreadableInputError(f"cannot read video {path.name!r}: no frame could be decoded")

        if stream.duration:
            duration = float(stream.duration * time_base)
        else:
            duration = (container.duration or 0) / av.time_base
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else (stream.frames / duration if stream.frames and duration else 0.0)
        exact = stream.frames > 0
        frame_count = stream.frames if exact else max(1, round(duration * fps))
        if container.start_time is not None:
            start_time = Fraction(container.start_time, av.time_base)
        else:
            start_time = Fraction(stream.start_time or 0) * time_base
        info = VideoInfo(
            path=path,
            container=container.format.name,
            codec=stream.codec_context.name,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            rotation=rotation,
            fps=fps,
            variable_fps=is_variable_rate(timestamps),
            duration=duration,
            frame_count=frame_count,
            frame_count_exact=exact,
            time_base=time_base,
            start_time=start_time,
            has_audio=audio is not None,
            audio_codec=audio.codec_context.name if audio is not None else None,
            audio_sample_rate=audio.codec_context.sample_rate if audio is not None else None,
        )
    log.debug("probed %s: %s", path.name, info)
    return info
