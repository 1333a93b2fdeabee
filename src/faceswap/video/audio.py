"""The input's audio in the output: stream copy when the container takes the codec, else re-encoded.

Audio is read from its own demuxer (opened in the encoder thread) and muxed in step with the video
(``write_until``), so the file is interleaved and nothing piles up in memory.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import av
from av.container import OutputContainer

from faceswap.choices import AudioMode
from faceswap.errors import UnreadableInputError
from faceswap.video.decode import Window
from faceswap.video.ffmpeg_errors import ffmpeg_reason
from faceswap.video.options import OutputFormat
from faceswap.video.probe import VideoInfo


def audio_mode(info: VideoInfo, fmt: OutputFormat, out: OutputContainer) -> AudioMode:
    """``copy`` when ``out`` accepts the input's audio codec, ``encode`` when it takes audio at all."""
    if not info.has_audio or fmt.audio_codec is None:
        return "none"
    if info.audio_codec in out.supported_codecs:
        return "copy"
    return "encode"


class AudioTrack:
    """Writes the part of the input's first audio stream inside ``window`` into ``out``.

    Output time stamps are input time minus ``window.begin``, the same shift the video gets.
    """

    def __init__(
        self, info: VideoInfo, fmt: OutputFormat, out: OutputContainer, window: Window, mode: AudioMode
    ) -> None:
        self.mode = mode
        self._out = out
        self._window = window
        self._input = av.open(str(info.path))
        self._in_stream = self._input.streams.audio[0]
        self._time_base = self._in_stream.time_base or Fraction(1, info.audio_sample_rate or 48000)
        if window.begin > info.start_time:
            self._input.seek(int(window.begin / self._time_base), stream=self._in_stream, backward=True)
        self._packets = self._input.demux(self._in_stream)
        self._pending: Any = None
        self._done = False
        self._stream: Any
        if mode == "copy":
            self._stream = out.add_stream_from_template(self._in_stream)
        else:
            assert fmt.audio_codec is not None
            rate = 48000 if fmt.audio_codec == "libopus" else (info.audio_sample_rate or 48000)
            self._stream = out.add_stream(fmt.audio_codec, rate=rate)
            layout = self._in_stream.codec_context.layout.name
            self._stream.layout = "stereo" if layout not in ("mono", "stereo") else layout

    def _next_packet(self) -> Any:
        if self._pending is not None:
            packet, self._pending = self._pending, None
            return packet
        return next(self._packets, None)

    def write_until(self, until: Fraction | None) -> None:
        """Muxes the audio up to input time ``until`` (seconds; None: to the end of the window)."""
        try:
            while not self._done:
                packet = self._next_packet()
                if packet is None:
                    self._finish()
                    return
                if packet.pts is None:
                    continue
                time = packet.pts * self._time_base
                if self._window.after(time):
                    self._finish()
                    return
                if until is not None and time > until:
                    self._pending = packet
                    return
                if not (self._window.trimmed and self._window.before(time)):
                    self._write(packet, time)
        except av.FFmpegError as exc:
            raise UnreadableInputError(f"cannot read the audio of the input: {ffmpeg_reason(exc)}") from exc

    def _write(self, packet: Any, time: Fraction) -> None:
        if self.mode == "copy":
            shift = round(self._window.begin / self._time_base)
            packet.pts -= shift
            if packet.dts is not None:
                packet.dts -= shift
            packet.stream = self._stream
            self._out.mux(packet)
            return
        for frame in packet.decode():
            frame_time = frame.pts * self._time_base if frame.pts is not None else time
            if self._window.trimmed and self._window.before(frame_time):
                continue
            frame.pts = round((frame_time - self._window.begin) * frame.sample_rate)
            frame.time_base = Fraction(1, frame.sample_rate)
            self._out.mux(self._stream.encode(frame))

    def _finish(self) -> None:
        self._done = True
        if self.mode == "encode":
            self._out.mux(self._stream.encode(None))

    def close(self) -> None:
        self._input.close()
