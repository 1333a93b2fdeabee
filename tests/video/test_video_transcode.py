from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from videoclips import Clip, audio_seconds, decode_all, frame_times

from faceswap.engine.types import ImageBGR
from faceswap.video import Progress, VideoOptions, probe, transcode


def identity(frames: list[ImageBGR]) -> list[ImageBGR]:
    return frames


def invert(frames: list[ImageBGR]) -> list[ImageBGR]:
    return [255 - frame for frame in frames]


def mean_abs_diff(a: ImageBGR, b: ImageBGR) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def test_identity_keeps_frames_rate_duration_audio_and_pixels(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["tone"]
    out = tmp_path / "out.mp4"
    seen: list[Progress] = []
    report = transcode(clip.path, out, identity, VideoOptions(batch_size=4), progress=seen.append)

    info = probe(out)
    assert report.frames == info.frame_count == len(clip.times)
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(clip.duration, abs=0.04)
    assert report.audio == "copy"
    assert info.audio_codec == "aac"
    assert audio_seconds(out) == pytest.approx(audio_seconds(clip.path), abs=0.03)
    for before, after in zip(decode_all(clip.path), decode_all(out), strict=True):
        assert mean_abs_diff(before, after) < 6.0
    assert [p.frames_done for p in seen] == [*range(4, 50, 4), 50]
    assert seen[-1].frames_total == 50
    assert seen[-1].fraction == 1.0
    assert all(p.fps > 0 for p in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4"]


def test_invert_changes_pixels(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["silent"]
    out = tmp_path / "inverted.mp4"
    transcode(clip.path, out, invert)
    for before, after in zip(decode_all(clip.path), decode_all(out), strict=True):
        assert mean_abs_diff(255 - before, after) < 6.0
        assert mean_abs_diff(before, after) > 40.0


def test_no_audio_in_no_audio_out(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "silent.mp4"
    report = transcode(clips["silent"].path, out, identity)
    assert report.audio == "none"
    assert not probe(out).has_audio


def test_variable_frame_rate_keeps_every_time_stamp(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["vfr"]
    out = tmp_path / "vfr.mp4"
    transcode(clip.path, out, identity)
    assert frame_times(out) == list(clip.times)
    info = probe(out)
    assert info.variable_fps
    assert info.has_audio
    assert info.duration == pytest.approx(clip.duration, abs=0.1)


def test_odd_size_is_padded_to_even_by_repeating_the_edge(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["odd"]
    out = tmp_path / "odd.mp4"
    report = transcode(clip.path, out, identity)
    assert (report.width, report.height) == (322, 244)
    first_in, first_out = decode_all(clip.path)[0], decode_all(out)[0]
    assert mean_abs_diff(first_in, first_out[:243, :321]) < 6.0
    assert mean_abs_diff(first_out[:, 321], first_out[:, 320]) < 6.0
    assert probe(out).frame_count == len(clip.times)


def test_trimming_cuts_video_and_audio_alike(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "trimmed.mp4"
    report = transcode(clips["tone"].path, out, identity, VideoOptions(start=0.48, end=1.48))
    times = frame_times(out)
    assert report.frames == len(times) == 25
    assert times[0] == 0
    assert times[-1] == pytest.approx(0.96)
    assert audio_seconds(out) == pytest.approx(1.0, abs=0.05)
    assert probe(out).duration == pytest.approx(1.0, abs=0.05)


def test_trimmed_frames_are_the_right_ones(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["silent"]
    out = tmp_path / "cut.mkv"
    transcode(clip.path, out, identity, VideoOptions(start=1.0, end=1.2))
    source = decode_all(clip.path)
    kept = decode_all(out)
    assert len(kept) == 5
    for offset, frame in enumerate(kept):
        assert mean_abs_diff(source[25 + offset], frame) < 6.0


def test_resolution_option_scales_frames(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "small.mp4"
    sizes: set[tuple[int, ...]] = set()

    def record(frames: list[ImageBGR]) -> list[ImageBGR]:
        sizes.update(frame.shape for frame in frames)
        return frames

    report = transcode(clips["silent"].path, out, record, VideoOptions(resolution=(80, 0)))
    assert sizes == {(60, 80, 3)}
    info = probe(out)
    assert (info.width, info.height) == (report.width, report.height) == (80, 60)
    assert info.frame_count == 50


def test_batches_never_exceed_batch_size(tmp_path: Path, clips: dict[str, Clip]) -> None:
    lengths: list[int] = []

    def record(frames: list[ImageBGR]) -> list[ImageBGR]:
        lengths.append(len(frames))
        return frames

    transcode(clips["silent"].path, tmp_path / "b.mp4", record, VideoOptions(batch_size=7, queue_frames=3))
    assert max(lengths) == 7
    assert sum(lengths) == 50


def test_output_time_stamps_are_exact_fractions(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "exact.mp4"
    transcode(clips["tone"].path, out, identity)
    assert frame_times(out) == [Fraction(i, 25) for i in range(50)]


def test_matroska_output_keeps_frame_intervals(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["vfr"]
    out = tmp_path / "vfr.mkv"
    transcode(clip.path, out, identity)
    times = frame_times(out)
    assert [b - a for a, b in itertools.pairwise(times)] == [b - a for a, b in itertools.pairwise(clip.times)]
