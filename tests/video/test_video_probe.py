from __future__ import annotations

from pathlib import Path

import pytest
from videoclips import Clip

from faceswap.errors import InputError, UnreadableInputError, UnsupportedFormatError
from faceswap.video import probe


def test_probe_reads_size_rate_duration_and_audio(clips: dict[str, Clip]) -> None:
    info = probe(clips["tone"].path)
    assert (info.width, info.height) == (160, 120)
    assert info.fps == pytest.approx(25.0)
    assert not info.variable_fps
    assert info.frame_count == 50
    assert info.duration == pytest.approx(2.0, abs=0.04)
    assert info.has_audio
    assert info.audio_codec == "aac"
    assert info.rotation == 0


def test_probe_without_audio(clips: dict[str, Clip]) -> None:
    info = probe(clips["silent"].path)
    assert not info.has_audio
    assert info.audio_codec is None


def test_probe_tells_variable_frame_rate(clips: dict[str, Clip]) -> None:
    assert probe(clips["vfr"].path).variable_fps


def test_probe_reads_rotation_and_upright_size(clips: dict[str, Clip]) -> None:
    info = probe(clips["rotated"].path)
    assert info.rotation == 90
    assert (info.width, info.height) == (96, 64)
    assert info.display_size == (64, 96)


def test_probe_animated_gif_and_webp(clips: dict[str, Clip]) -> None:
    gif = probe(clips["gif"].path)
    assert (gif.width, gif.height) == (96, 72)
    assert gif.duration == pytest.approx(0.8, abs=0.04)
    webp = probe(clips["webp"].path)
    assert webp.via_pillow
    assert webp.frame_count == 16
    assert webp.variable_fps
    assert webp.duration == pytest.approx(clips["webp"].duration)


def test_probe_corrupt_file(tmp_path: Path, clips: dict[str, Clip]) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40)
    with pytest.raises(UnreadableInputError, match=r"garbage\.mp4"):
        probe(garbage)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clips["tone"].path.read_bytes()[:3000])
    with pytest.raises(UnreadableInputError):
        probe(truncated)


def test_probe_missing_file_and_audio_only(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        probe(tmp_path / "nope.mp4")
    import av
    import numpy as np

    sound = tmp_path / "sound.m4a"
    with av.open(str(sound), "w") as out:
        stream = out.add_stream("aac", rate=48000, layout="mono")
        chunk = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        chunk.sample_rate = 48000
        out.mux(stream.encode(chunk))
        out.mux(stream.encode(None))
    with pytest.raises(UnsupportedFormatError, match="no video"):
        probe(sound)
