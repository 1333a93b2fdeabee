"""What a video transcode should produce: ``VideoOptions`` and the output format derived from the suffix."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import get_args

import av

from faceswap.choices import VideoContainer, VideoEncoderName, VideoPreset, choices, parse_choice
from faceswap.config.video import VideoSettings
from faceswap.errors import BadOptionError, EncoderUnavailableError

DEFAULT_BATCH_SIZE = 8
"""Frames per call of ``process`` when neither the options nor an engine say (a CPU's sweet spot)."""

# x264 preset names mapped to libvpx-vp9 ``cpu-used`` (0 slowest/best .. 8 fastest).
VP9_CPU_USED: dict[VideoPreset, int] = {
    "ultrafast": 8,
    "superfast": 7,
    "veryfast": 6,
    "faster": 5,
    "fast": 4,
    "medium": 3,
    "slow": 2,
    "slower": 1,
    "veryslow": 0,
}


NVENC_PRESET: dict[VideoPreset, str] = {
    "ultrafast": "p1",
    "superfast": "p1",
    "veryfast": "p2",
    "faster": "p3",
    "fast": "p3",
    "medium": "p4",
    "slow": "p5",
    "slower": "p6",
    "veryslow": "p7",
}
"""x264 preset names mapped to NVENC's ``p1`` (fastest) .. ``p7`` (slowest, best)."""

DEFAULT_CRF: dict[VideoEncoderName, int] = {
    "libx264": 18,
    "libx265": 20,
    "h264_nvenc": 19,
    "hevc_nvenc": 21,
}
"""Each encoder's constant quality when ``crf`` is not given (its own scale: x265's and NVENC's ``cq``
numbers are not x264's)."""

NVENC: tuple[VideoEncoderName, ...] = ("h264_nvenc", "hevc_nvenc")
HEVC: tuple[VideoEncoderName, ...] = ("libx265", "hevc_nvenc")


def encoder_available(name: VideoEncoderName) -> bool:
    """Whether this build of PyAV/FFmpeg has the encoder (NVENC also needs a GPU that has it to open)."""
    return name in av.codecs_available


def available_encoders() -> list[VideoEncoderName]:
    """The encoders of :data:`VideoEncoderName` this build has, in declaration order."""
    names: tuple[VideoEncoderName, ...] = get_args(VideoEncoderName)
    return [name for name in names if encoder_available(name)]


def check_encoder(name: str) -> VideoEncoderName:
    """``name`` as an encoder of this build: ``bad_option`` for a name that is none of
    :data:`VideoEncoderName`, ``encoder_unavailable`` for one this build lacks."""
    encoder: VideoEncoderName = parse_choice(VideoEncoderName, name, "video encoder")  # type: ignore[assignment]
    if not encoder_available(encoder):
        present = ", ".join(available_encoders()) or "none"
        raise EncoderUnavailableError(
            f"video encoder {name!r} is not available in this build; available: {present}"
        )
    return encoder


def default_encoder_threads(cores: int | None = None) -> int:
    """Threads of an x264/x265 encoder: three quarters of the cores (``os.cpu_count()``), at least one,
    leaving the rest to decoding, face analysis and the host side of the swap."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores - cores // 4)


@dataclass(frozen=True)
class OutputFormat:
    """How one output container is written.

    ``even_size``: the pixel format (yuv420p) needs even width and height; odd frames are padded by
    repeating their last column/row (no resampling, every source pixel kept as is).
    ``audio_codec``: the codec audio is re-encoded to when the input's cannot be stream-copied;
    None: the container takes no audio.
    """

    container: VideoContainer
    muxer: str
    video_codec: str
    pix_fmt: str
    even_size: bool
    audio_codec: str | None
    default_crf: int | None
    container_options: dict[str, str] = field(default_factory=dict)


_FORMATS: dict[VideoContainer, OutputFormat] = {
    "mp4": OutputFormat("mp4", "mp4", "libx264", "yuv420p", True, "aac", 18, {"movflags": "+faststart"}),
    "mov": OutputFormat("mov", "mov", "libx264", "yuv420p", True, "aac", 18, {"movflags": "+faststart"}),
    "mkv": OutputFormat("mkv", "matroska", "libx264", "yuv420p", True, "aac", 18),
    "webm": OutputFormat("webm", "webm", "libvpx-vp9", "yuv420p", True, "libopus", 32),
    "gif": OutputFormat("gif", "gif", "gif", "pal8", False, None, None),
}


def output_format(path: Path) -> OutputFormat:
    """The output format for ``path``'s suffix; raises :class:`BadOptionError` for any other suffix."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in choices(VideoContainer):
        raise BadOptionError(
            f"cannot write video to {path.name!r}: the output suffix must be one of "
            f"{', '.join('.' + c for c in choices(VideoContainer))}"
        )
    return _FORMATS[parse_choice(VideoContainer, suffix, "video container")]  # type: ignore[index]


def with_encoder(fmt: OutputFormat, encoder: VideoEncoderName | None) -> OutputFormat:
    """``fmt`` written with ``encoder`` (None: the container's own, x264 for MP4/MOV/MKV);
    ``bad_option`` for WebM (VP9 only) and GIF, which take no H.264/HEVC."""
    if encoder is None:
        return fmt
    if fmt.container not in ("mp4", "mov", "mkv"):
        raise BadOptionError(
            f"the {fmt.container} container takes its own codec ({fmt.video_codec}); "
            f"encoder {encoder!r} writes mp4, mov or mkv"
        )
    return dataclasses.replace(fmt, video_codec=encoder, default_crf=DEFAULT_CRF[encoder])


@dataclass(frozen=True)
class VideoOptions:
    """Options of one video transcode; validated on construction.

    ``resolution``: output (width, height) in pixels, frames scaled to exactly that size; a 0 in one
    dimension keeps the aspect ratio. None keeps the input's (upright) size.
    ``start`` / ``end``: seconds from the start of the input; video and audio are cut alike.
    ``crf``: constant-quality factor (lower is better); None uses the codec's default here (x264 18,
    VP9 32; :data:`DEFAULT_CRF` for an ``encoder``). ``preset``: encoder speed (x264 names, mapped to
    VP9's ``cpu-used`` and NVENC's ``p1``..``p7``). ``encoder``: the H.264/HEVC encoder of an MP4/MOV/MKV
    output (None: libx264); refused with ``encoder_unavailable`` when this build lacks it.
    ``encoder_threads``: x264/x265 threads (None: :func:`default_encoder_threads`). ``hardware_decode``:
    decode with NVDEC (``h264_cuvid``/``hevc_cuvid``) where the build has one for the input's codec, in
    software when it does not open (None: :func:`~faceswap.video.swap.swap_video` decides by the
    engine's device; off elsewhere). ``analysis_thread``: :func:`~faceswap.video.swap.swap_video` finds the
    next batch's faces in a thread of their own while this batch is swapped (None: when the engine runs on
    a GPU; never for an engine that cannot serve two threads at once). ``batch_size``: frames per call of ``process`` (None: the engine's,
    which suits its device, in :func:`~faceswap.video.swap.swap_video`; else 8). ``queue_frames``:
    frames each queue between stages may hold (None: twice the batch).
    """

    resolution: tuple[int, int] | None = None
    start: float | None = None
    end: float | None = None
    crf: int | None = None
    preset: VideoPreset = "medium"
    encoder: VideoEncoderName | None = None
    encoder_threads: int | None = None
    hardware_decode: bool | None = None
    analysis_thread: bool | None = None
    batch_size: int | None = None
    queue_frames: int | None = None

    def __post_init__(self) -> None:
        parse_choice(VideoPreset, self.preset, "preset")
        if self.encoder is not None:
            check_encoder(self.encoder)
        if self.encoder_threads is not None and self.encoder_threads < 1:
            raise BadOptionError(f"encoder_threads must be >= 1; got {self.encoder_threads}")
        if self.resolution is not None:
            width, height = self.resolution
            if width < 0 or height < 0 or (width == 0 and height == 0):
                raise BadOptionError(f"resolution must be two sizes >= 0, not both 0; got {width}x{height}")
        if self.start is not None and self.start < 0:
            raise BadOptionError(f"start must be >= 0 seconds; got {self.start}")
        if self.end is not None and self.end <= (self.start or 0.0):
            raise BadOptionError(f"end ({self.end}) must be after start ({self.start or 0.0})")
        if self.crf is not None and not 0 <= self.crf <= 63:
            raise BadOptionError(f"crf must be in 0..63; got {self.crf}")
        if self.batch_size is not None and self.batch_size < 1:
            raise BadOptionError(f"batch_size must be >= 1; got {self.batch_size}")
        if self.queue_frames is not None and self.queue_frames < 1:
            raise BadOptionError(f"queue_frames must be >= 1; got {self.queue_frames}")

    @property
    def frames_per_batch(self) -> int:
        """``batch_size``, or 8 when it is None."""
        return self.batch_size if self.batch_size is not None else DEFAULT_BATCH_SIZE

    @property
    def queue_size(self) -> int:
        return self.queue_frames if self.queue_frames is not None else 2 * self.frames_per_batch

    @property
    def threads(self) -> int:
        """``encoder_threads``, or :func:`default_encoder_threads` when it is None."""
        return self.encoder_threads if self.encoder_threads is not None else default_encoder_threads()


def codec_options(fmt: OutputFormat, options: VideoOptions) -> dict[str, str]:
    """Encoder options for ``fmt`` with the quality and speed of ``options``."""
    crf = options.crf if options.crf is not None else fmt.default_crf
    codec = fmt.video_codec
    if codec in ("libx264", "libx265", *NVENC) and crf is not None and crf > 51:
        raise BadOptionError(f"crf for H.264/HEVC must be in 0..51; got {crf}")
    if codec == "libx264":
        return {"crf": str(crf), "preset": options.preset, "threads": str(options.threads)}
    if codec == "libx265":
        params = f"log-level=error:pools={options.threads}"
        return {"crf": str(crf), "preset": options.preset, "x265-params": params}
    if codec in NVENC:  # constant quality: cq takes crf's place (0 there means "let NVENC choose")
        return {"preset": NVENC_PRESET[options.preset], "rc": "vbr", "cq": str(max(1, crf or 1)), "b": "0"}
    if fmt.video_codec == "libvpx-vp9":
        cpu_used = VP9_CPU_USED[options.preset]
        return {
            "crf": str(crf),
            "b": "0",
            "row-mt": "1",
            "deadline": "realtime" if cpu_used > 5 else "good",
            "cpu-used": str(cpu_used),
        }
    return {}


def with_settings(options: VideoOptions, settings: VideoSettings) -> VideoOptions:
    """``options`` with what they leave open (encoder, threads, hardware decoding) taken from ``settings``."""
    hardware = options.hardware_decode
    return dataclasses.replace(
        options,
        encoder=options.encoder or settings.encoder,
        encoder_threads=options.encoder_threads or settings.encoder_threads or None,
        hardware_decode=hardware if hardware is not None or settings.hardware_decode else False,
    )


def parse_resolution(text: str | None) -> tuple[int, int] | None:
    """``1280x720`` (or ``1280x0`` to keep the aspect ratio) into (width, height); None for no text."""
    if not text:
        return None
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise BadOptionError(f"resolution takes WIDTHxHEIGHT such as 1280x720; got {text!r}")
    return int(width), int(height)
