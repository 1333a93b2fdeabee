from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from videoclips import Clip, audio_seconds, decode_all, frame_times

from faceswap.engine.types import ImageBGR
from faceswap.video import probe, transcode


def identity(frames: list[ImageBGR]) -> list[ImageBGR]:
    return frames


def mean_abs_diff(a: ImageBGR, b: ImageBGR) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))


def test_rotated_input_comes_out_upright_without_rotation(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["rotated"]
    out = tmp_path / "upright.mp4"
    shapes: set[tuple[int, ...]] = set()

    def record(frames: list[ImageBGR]) -> list[ImageBGR]:
        shapes.update(frame.shape for frame in frames)
        return frames

    report = transcode(clip.path, out, record)
    assert shapes == {(96, 64, 3)}
    info = probe(out)
    assert info.rotation == 0
    assert (info.width, info.height) == (report.width, report.height) == (64, 96)
    coded = decode_all(clip.path)
    for source, written in zip(coded, decode_all(out), strict=True):
        assert mean_abs_diff(np.rot90(source, k=1), written) < 6.0
        assert mean_abs_diff(np.rot90(source, k=-1), written) > 10.0


def test_mp4_to_gif_keeps_frames_and_their_durations(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["silent"]
    out = tmp_path / "anim.gif"
    report = transcode(clip.path, out, identity)
    assert report.audio == "none"
    with av.open(str(out)) as container:
        assert container.format.name == "gif"
        packets = [p for p in container.demux(video=0) if p.size]
        assert [p.duration * p.time_base for p in packets] == [Fraction(4, 100)] * 50
    for source, written in zip(decode_all(clip.path), decode_all(out), strict=True):
        assert mean_abs_diff(source, written) < 8.0


def test_gif_to_mp4(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["gif"]
    out = tmp_path / "from_gif.mp4"
    report = transcode(clip.path, out, identity)
    assert report.frames == 20
    info = probe(out)
    assert info.frame_count == 20
    assert info.fps == pytest.approx(25.0)
    assert info.duration == pytest.approx(clip.duration, abs=0.04)
    assert frame_times(out) == list(clip.times)


def test_animated_webp_to_mp4_keeps_variable_timing(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["webp"]
    out = tmp_path / "from_webp.mp4"
    report = transcode(clip.path, out, identity)
    assert report.frames == 16
    assert frame_times(out) == list(clip.times)
    assert probe(out).variable_fps
    assert report.duration == pytest.approx(clip.duration)


def test_webm_output_reencodes_aac_to_opus(tmp_path: Path, clips: dict[str, Clip]) -> None:
    clip = clips["tone"]
    out = tmp_path / "out.webm"
    report = transcode(clip.path, out, identity)
    assert report.audio == "encode"
    info = probe(out)
    assert info.codec == "vp9"
    assert info.audio_codec == "opus"
    assert info.frame_count == 50
    assert audio_seconds(out) == pytest.approx(audio_seconds(clip.path), abs=0.03)
    assert frame_times(out) == list(clip.times)


def test_mov_and_mkv_outputs_copy_audio(tmp_path: Path, clips: dict[str, Clip]) -> None:
    for name in ("out.mov", "out.mkv"):
        report = transcode(clips["tone"].path, tmp_path / name, identity)
        assert report.audio == "copy"
        info = probe(tmp_path / name)
        assert info.has_audio
        assert info.codec == "h264"
