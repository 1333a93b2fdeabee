"""Whether a swap target is a still image or runs as a video (videos, animated GIF/WebP to a video suffix)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from faceswap.choices import VideoContainer, choices
from faceswap.imaging.decode import is_animated
from faceswap.imaging.sniff import is_video, sniff_file

TargetKind = Literal["image", "video"]


def target_kind(target: Path, output: Path) -> TargetKind:
    """By content: a video is a video; an animated image is one when the output is a video or GIF."""
    media = sniff_file(target)
    if is_video(media):
        return "video"
    animated_output = output.suffix.lower().lstrip(".") in choices(VideoContainer)
    if media in ("gif", "webp") and animated_output and is_animated(target.read_bytes()):
        return "video"
    return "image"
