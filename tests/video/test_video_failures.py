from __future__ import annotations

import threading
from pathlib import Path

import pytest
from videoclips import Clip

from faceswap.engine.types import ImageBGR
from faceswap.errors import BadOptionError, CancelledError, FaceswapError, UnreadableInputError
from faceswap.video import VideoOptions, transcode


def identity(frames: list[ImageBGR]) -> list[ImageBGR]:
    return frames


def no_video_threads() -> bool:
    return not any(t.name.startswith("video-") for t in threading.enumerate())


def test_cancel_midway_leaves_nothing(tmp_path: Path, clips: dict[str, Clip]) -> None:
    calls = {"checks": 0, "frames": 0}

    def cancel_after_two_batches() -> bool:
        calls["checks"] += 1
        return calls["checks"] > 2

    def count(frames: list[ImageBGR]) -> list[ImageBGR]:
        calls["frames"] += len(frames)
        return frames

    with pytest.raises(CancelledError):
        transcode(
            clips["tone"].path,
            tmp_path / "out.mp4",
            count,
            VideoOptions(batch_size=4),
            should_cancel=cancel_after_two_batches,
        )
    assert calls["frames"] == 8
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_process_error_propagates_and_leaves_nothing(tmp_path: Path, clips: dict[str, Clip]) -> None:
    batches = 0

    def explode(frames: list[ImageBGR]) -> list[ImageBGR]:
        nonlocal batches
        batches += 1
        if batches == 3:
            raise RuntimeError("engine exploded")
        return frames

    with pytest.raises(RuntimeError, match="engine exploded"):
        transcode(clips["tone"].path, tmp_path / "out.webm", explode, VideoOptions(batch_size=2))
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_encoder_error_propagates_from_its_thread(tmp_path: Path, clips: dict[str, Clip]) -> None:
    count = 0

    def shrink_later(frames: list[ImageBGR]) -> list[ImageBGR]:
        nonlocal count
        count += 1
        return frames if count < 3 else [frame[:50, :50] for frame in frames]

    with pytest.raises(FaceswapError, match="not 160x120"):
        transcode(clips["silent"].path, tmp_path / "out.mp4", shrink_later, VideoOptions(batch_size=2))
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_process_must_return_one_frame_per_frame(tmp_path: Path, clips: dict[str, Clip]) -> None:
    with pytest.raises(FaceswapError, match="returned 1 frames for a batch of 4"):
        transcode(clips["silent"].path, tmp_path / "o.mp4", lambda f: f[:1], VideoOptions(batch_size=4))
    assert list(tmp_path.iterdir()) == []


def test_corrupt_input_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "in" / "broken.mp4"
    bad.parent.mkdir()
    bad.write_bytes(b"this is not a video at all" * 100)
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with pytest.raises(UnreadableInputError, match=r"broken\.mp4"):
        transcode(bad, out_dir / "out.mp4", identity)
    assert list(out_dir.iterdir()) == []


def test_unsupported_output_suffix(tmp_path: Path, clips: dict[str, Clip]) -> None:
    with pytest.raises(BadOptionError, match=r"\.mp4"):
        transcode(clips["tone"].path, tmp_path / "out.avi", identity)
    assert list(tmp_path.iterdir()) == []


def test_window_without_frames_is_an_input_error(tmp_path: Path, clips: dict[str, Clip]) -> None:
    with pytest.raises(FaceswapError, match="no frames"):
        transcode(clips["silent"].path, tmp_path / "o.mp4", identity, VideoOptions(start=5.0, end=6.0))
    assert list(tmp_path.iterdir()) == []


def test_existing_output_is_replaced_only_on_success(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"old")

    def explode(frames: list[ImageBGR]) -> list[ImageBGR]:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        transcode(clips["silent"].path, out, explode)
    assert out.read_bytes() == b"old"
    transcode(clips["silent"].path, out, identity)
    assert out.stat().st_size > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]
