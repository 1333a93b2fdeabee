"""Encoding: processed frames into the output container, input time stamps kept, audio muxed alongside."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from faceswap.choices import AudioMode
from faceswap.errors import EncoderUnavailableError, FaceswapError
from faceswap.video.audio import AudioTrack, audio_mode
from faceswap.video.decode import Frame, Window
from faceswap.video.ffmpeg_errors import ffmpeg_reason
from faceswap.video.options import HEVC, OutputFormat, VideoOptions, codec_options
from faceswap.video.pixels import pad_to_even, to_palette, to_yuv420p
from faceswap.video.probe import VideoInfo
from faceswap.video.stages import Channel

log = logging.getLogger(__name__)

GIF_TIME_BASE = Fraction(1, 100)
GIF_MIN_TICKS = 2
"""Browsers play GIF delays under 2/100 s as 1/10 s, so frames closer than that are dropped."""


@dataclass
class EncodeResult:
    """What the encoder wrote (filled in as it goes)."""

    frames: int = 0
    dropped: int = 0
    width: int = 0
    height: int = 0
    end_time: Fraction = Fraction(0)
    audio: AudioMode = "none"


def output_time_base(info: VideoInfo, fmt: OutputFormat) -> Fraction:
    """GIF counts in 1/100 s; other outputs keep the input's time base, so every pts maps exactly."""
    return GIF_TIME_BASE if fmt.container == "gif" else info.time_base


class VideoEncoder:
    """Encoder stage: frames from a channel into ``path`` (normally a temporary file)."""

    def __init__(
        self, path: Path, info: VideoInfo, fmt: OutputFormat, options: VideoOptions, abort: threading.Event
    ) -> None:
        self.path = path
        self.abort = abort
        self.info = info
        self.fmt = fmt
        self.options = options
        self.window = Window.of(info, options)
        self.time_base = output_time_base(info, fmt)
        self.result = EncodeResult()
        self._last_pts: int | None = None

    def run(self, frames: Channel[Frame]) -> None:
        first = frames.get()
        if first is None:
            return
        try:
            with av.open(
                str(self.path), "w", format=self.fmt.muxer, options=self.fmt.container_options
            ) as out:
                self._encode_all(out, first, frames)
        except av.FFmpegError as exc:
            raise FaceswapError(f"video encoding failed: {ffmpeg_reason(exc)}") from exc

    def _encode_all(self, out: Any, first: Frame, frames: Channel[Frame]) -> None:
        image = self._prepare(first)
        stream = self._add_video_stream(out, image.shape[1], image.shape[0])
        mode = audio_mode(self.info, self.fmt, out)
        audio = AudioTrack(self.info, self.fmt, out, self.window, mode) if mode != "none" else None
        self.result.audio = mode
        try:
            frame: Frame | None = first
            while frame is not None:
                self._write(out, stream, frame)
                if audio is not None:
                    audio.write_until(frame.time)
                frame = frames.get()
            if self.abort.is_set():
                return
            out.mux(stream.encode(None))
            if audio is not None:
                audio.write_until(None)
        finally:
            if audio is not None:
                audio.close()

    def _prepare(self, frame: Frame) -> Any:
        return pad_to_even(frame.image) if self.fmt.even_size else frame.image

    def _add_video_stream(self, out: Any, width: int, height: int) -> Any:
        rate = Fraction(self.info.fps).limit_denominator(1001 * 1000) if self.info.fps > 0 else None
        stream = out.add_stream(
            self.fmt.video_codec, rate=rate, options=codec_options(self.fmt, self.options)
        )
        stream.width, stream.height = width, height
        stream.pix_fmt = self.fmt.pix_fmt
        stream.time_base = self.time_base
        stream.codec_context.time_base = self.time_base
        if self.fmt.video_codec in HEVC and self.fmt.container in ("mp4", "mov"):
            stream.codec_tag = "hvc1"  # what Apple's players need to play HEVC
        try:
            stream.codec_context.open()
        except av.FFmpegError as exc:
            raise EncoderUnavailableError(
                f"video encoder {self.fmt.video_codec!r} cannot open here: {ffmpeg_reason(exc)}"
            ) from exc
        log.info("encoding with %s %s", self.fmt.video_codec, codec_options(self.fmt, self.options))
        self.result.width, self.result.height = width, height
        return stream

    def _write(self, out: Any, stream: Any, frame: Frame) -> None:
        image = self._prepare(frame)
        if (image.shape[1], image.shape[0]) != (self.result.width, self.result.height):
            raise FaceswapError(
                f"frame {frame.index} is {image.shape[1]}x{image.shape[0]}, "
                f"not {self.result.width}x{self.result.height} like the first frame"
            )
        pts = round((frame.time - self.window.begin) / self.time_base)
        if self._last_pts is not None and pts < self._last_pts + self._min_ticks:
            if self.fmt.container == "gif":
                self.result.dropped += 1
                return
            pts = self._last_pts + 1
        self._last_pts = pts
        if self.fmt.pix_fmt == "pal8":
            video_frame = av.VideoFrame.from_ndarray(to_palette(image), format="pal8")  # type: ignore[arg-type]
        elif self.fmt.pix_fmt == "yuv420p":
            # wraps the planes without a copy: the encoder copies them itself, with the GIL released
            video_frame = av.VideoFrame.from_numpy_buffer(to_yuv420p(image), format="yuv420p")
        else:
            video_frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        video_frame.pts = pts
        video_frame.time_base = self.time_base
        if frame.duration:
            video_frame.duration = max(1, round(frame.duration / self.time_base))
        out.mux(stream.encode(video_frame))
        self.result.frames += 1
        end = frame.time + (frame.duration or Fraction(0))
        self.result.end_time = max(self.result.end_time, end - self.window.begin)

    @property
    def _min_ticks(self) -> int:
        return GIF_MIN_TICKS if self.fmt.container == "gif" else 1
