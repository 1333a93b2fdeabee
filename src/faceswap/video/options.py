"""What a video transcode should produce: ``VideoOptions`` and the output format derived from the suffix."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from faceswap.choices import VideoContainer, VideoPreset, choices, parse_choice
from faceswap.errors import BadOptionError

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


@dataclass(frozen=True)
class VideoOptions:
    """Options of one video transcode; validated on construction.

    ``resolution``: output (width, height) in pixels, frames scaled to exactly that size; a 0 in one
    dimension keeps the aspect ratio. None keeps the input's (upright) size.
    ``start`` / ``end``: seconds from the start of the input; video and audio are cut alike.
    ``crf``: constant-quality factor (lower is better); None uses the codec's default here (x264 18,
    VP9 32). ``preset``: encoder speed (x264 names). ``batch_size``: frames per call of ``process`` (None:
    the engine's, which suits its device, in :func:`~faceswap.video.swap.swap_video`; else 8).
    ``queue_frames``: frames each queue between stages may hold (None: twice the batch).
    """

    resolution: tuple[int, int] | None = None
    start: float | None = None
    end: float | None = None
    crf: int | None = None
    preset: VideoPreset = "medium"
    batch_size: int | None = None
    queue_frames: int | None = None

    def __post_init__(self) -> None:
        parse_choice(VideoPreset, self.preset, "preset")
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


def codec_options(fmt: OutputFormat, options: VideoOptions) -> dict[str, str]:
    """Encoder options for ``fmt`` with the quality and speed of ``options``."""
    crf = options.crf if options.crf is not None else fmt.default_crf
    if fmt.video_codec == "libx264":
        if crf is not None and crf > 51:
            raise BadOptionError(f"crf for H.264 must be in 0..51; got {crf}")
        return {"crf": str(crf), "preset": options.preset}
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


def parse_resolution(text: str | None) -> tuple[int, int] | None:
    """``1280x720`` (or ``1280x0`` to keep the aspect ratio) into (width, height); None for no text."""
    if not text:
        return None
    width, sep, height = text.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise BadOptionError(f"resolution takes WIDTHxHEIGHT such as 1280x720; got {text!r}")
    return int(width), int(height)
