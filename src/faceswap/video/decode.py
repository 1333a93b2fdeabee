"""Decoding: frames of the input, upright and at the output size, with their presentation times."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import av
import numpy as np

from faceswap.engine.types import ImageBGR
from faceswap.errors import UnreadableInputError
from faceswap.video.ffmpeg_errors import ffmpeg_reason
from faceswap.video.options import VideoOptions
from faceswap.video.pixels import resize, target_size, upright
from faceswap.video.probe import VideoInfo
from faceswap.video.stages import Channel

log = logging.getLogger(__name__)

CUVID: dict[str, str] = {"h264": "h264_cuvid", "hevc": "hevc_cuvid"}
"""Input codecs NVDEC decodes, with the FFmpeg decoder that does it."""


def open_decoder(name: str, stream: Any) -> Any:
    """The FFmpeg decoder ``name`` set up for ``stream``'s packets and opened; raises ``av.FFmpegError``."""
    decoder: Any = av.CodecContext.create(name, "r")
    decoder.extradata = stream.codec_context.extradata
    decoder.width, decoder.height = stream.codec_context.width, stream.codec_context.height
    decoder.options = {"pkt_timebase": str(stream.time_base)}
    decoder.open()
    return decoder


def hardware_decoder(stream: Any) -> Any | None:
    """An opened NVDEC decoder (``h264_cuvid``/``hevc_cuvid``) for ``stream``'s packets, or None (with a
    log line) when its codec has none, this build lacks it or it does not open (no NVIDIA GPU)."""
    codec = stream.codec_context.name
    name = CUVID.get(codec)
    if name is None or name not in av.codecs_available:
        log.info("no hardware decoder for %s in this build; decoding in software", codec)
        return None
    try:
        decoder = open_decoder(name, stream)
    except av.FFmpegError as exc:
        log.warning("hardware decoder %s did not open (%s); decoding in software", name, ffmpeg_reason(exc))
        return None
    log.info("decoding %s with %s (NVDEC)", codec, name)
    return decoder


def _decode(container: Any, stream: Any, hardware: bool) -> Iterator[Any]:
    """``stream``'s frames, through NVDEC when ``hardware`` and it opens, else FFmpeg's threaded decoder."""
    decoder = hardware_decoder(stream) if hardware else None
    if decoder is None:
        stream.thread_type = "AUTO"
        yield from container.decode(stream)
        return
    yield from _timed(container.demux(stream), decoder)


def _timed(packets: Iterator[Any], decoder: Any) -> Iterator[Any]:
    """``decoder``'s frames of ``packets`` with the packets' own time stamps and durations: frames come out
    in presentation order, so the n-th is given the n-th smallest packet time stamp (a standalone NVDEC
    decoder does not carry time stamps over in the stream's time base)."""
    pending: list[int] = []
    durations: dict[int, int] = {}
    for packet in packets:  # they end with an empty packet, which drains the decoder
        if packet.pts is not None:
            heapq.heappush(pending, packet.pts)
            durations[packet.pts] = packet.duration or 0
        for frame in decoder.decode(packet):
            if pending:
                frame.pts = heapq.heappop(pending)
                frame.duration = durations.pop(frame.pts, 0)
            yield frame


@dataclass(frozen=True)
class Frame:
    """One frame and where it sits on the input's time line (seconds, exact)."""

    image: ImageBGR
    time: Fraction
    duration: Fraction | None
    index: int


@dataclass(frozen=True)
class Window:
    """The part of the input's time line that is kept: ``begin <= time < end`` (seconds).

    Output time stamps are input time minus ``begin``. ``trimmed``: the start was cut, so media before
    ``begin`` is dropped; otherwise audio before it (an encoder's priming packet) is kept as is.
    """

    begin: Fraction
    end: Fraction | None
    trimmed: bool

    @classmethod
    def of(cls, info: VideoInfo, options: VideoOptions) -> Window:
        # seconds as written (0.2 means 1/5, not the binary float just above it)
        begin = info.start_time + Fraction(str(options.start or 0.0))
        end = info.start_time + Fraction(str(options.end)) if options.end is not None else None
        return cls(begin, end, bool(options.start))

    def before(self, time: Fraction) -> bool:
        return time < self.begin

    def after(self, time: Fraction) -> bool:
        return self.end is not None and time >= self.end


def _raw_frames(
    info: VideoInfo, window: Window, hardware: bool = False
) -> Iterator[tuple[ImageBGR, Fraction, Fraction | None]]:
    if info.via_pillow:
        from faceswap.video.webp import WEBP_TIME_BASE, webp_frames

        for image, timestamp, duration in webp_frames(info.path):
            yield image, timestamp * WEBP_TIME_BASE, duration * WEBP_TIME_BASE
        return
    path = info.path
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            time_base = stream.time_base or info.time_base
            if window.begin > info.start_time:
                container.seek(int(window.begin / time_base), stream=stream, backward=True)
            period = Fraction(1) / Fraction(info.fps).limit_denominator(100000) if info.fps else None
            previous: Fraction | None = None
            for frame in _decode(container, stream, hardware):
                if frame.pts is not None:
                    time = frame.pts * time_base
                elif previous is not None and period is not None:
                    time = previous + period
                else:
                    time = info.start_time
                previous = time
                length = frame.duration * time_base if frame.duration else None
                pixels: ImageBGR = np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)
                yield pixels, time, length
    except av.FFmpegError as exc:
        raise UnreadableInputError(f"cannot decode video {path.name!r}: {ffmpeg_reason(exc)}") from exc


def read_frames(info: VideoInfo, options: VideoOptions) -> Generator[Frame, None, None]:
    """The frames inside ``options``' start/end, turned upright and scaled to the output size."""
    window = Window.of(info, options)
    size = target_size(info.display_size, options.resolution)
    index = 0
    for image, time, duration in _raw_frames(info, window, bool(options.hardware_decode)):
        if window.before(time):
            continue
        if window.after(time):
            break
        yield Frame(resize(upright(image, info.rotation), size), time, duration, index)
        index += 1


def decode_into(info: VideoInfo, options: VideoOptions, out: Channel[Frame]) -> None:
    """Decoder stage: feeds ``out`` until the input ends (then closes it) or the pipeline aborts."""
    frames = read_frames(info, options)
    try:
        for frame in frames:
            if not out.put(frame):
                return
        out.close()
    finally:
        frames.close()
