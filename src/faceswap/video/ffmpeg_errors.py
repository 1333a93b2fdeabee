"""What an FFmpeg error (``av.FFmpegError``) says, without the file path that PyAV puts in its text."""

from __future__ import annotations

from typing import Any


def ffmpeg_reason(exc: Any) -> str:
    """The reason of ``exc`` (an ``av.FFmpegError``): its ``strerror``, never its ``filename`` (a
    scratch path on the worker, which clients are not shown)."""
    reason = getattr(exc, "strerror", None)
    return str(reason) if reason else type(exc).__name__
