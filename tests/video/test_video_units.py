from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from faceswap.errors import BadOptionError
from faceswap.video.options import VideoOptions, codec_options, output_format
from faceswap.video.pixels import pad_to_even, target_size, to_palette, upright
from faceswap.video.stages import Channel, Stage


@pytest.mark.parametrize(
    ("name", "codec", "audio"),
    [
        ("a.mp4", "libx264", "aac"),
        ("a.MOV", "libx264", "aac"),
        ("a.mkv", "libx264", "aac"),
        ("a.webm", "libvpx-vp9", "libopus"),
        ("a.gif", "gif", None),
    ],
)
def test_output_format_by_suffix(name: str, codec: str, audio: str | None) -> None:
    fmt = output_format(Path(name))
    assert fmt.video_codec == codec
    assert fmt.audio_codec == audio


@pytest.mark.parametrize("name", ["a.avi", "a.png", "a"])
def test_output_format_rejects_other_suffixes(name: str) -> None:
    with pytest.raises(BadOptionError):
        output_format(Path(name))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_size": 0},
        {"start": -1.0},
        {"start": 2.0, "end": 1.0},
        {"crf": 70},
        {"resolution": (0, 0)},
        {"resolution": (-2, 10)},
        {"preset": "warp"},
        {"queue_frames": 0},
    ],
)
def test_video_options_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(BadOptionError):
        VideoOptions(**kwargs)  # type: ignore[arg-type]


def test_codec_options() -> None:
    options = VideoOptions(preset="veryfast", encoder_threads=2)
    expected = {"crf": "18", "preset": "veryfast", "threads": "2"}
    assert codec_options(output_format(Path("a.mp4")), options) == expected
    vp9 = codec_options(output_format(Path("a.webm")), VideoOptions(crf=40, preset="slow"))
    assert vp9["crf"] == "40"
    assert vp9["cpu-used"] == "2"
    assert vp9["b"] == "0"
    with pytest.raises(BadOptionError):
        codec_options(output_format(Path("a.mp4")), VideoOptions(crf=60))
    assert VideoOptions(batch_size=3).queue_size == 6


def test_pad_to_even_repeats_the_edge() -> None:
    image = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3)
    padded = pad_to_even(image)
    assert padded.shape == (4, 6, 3)
    assert np.array_equal(padded[:3, :5], image)
    assert np.array_equal(padded[3, :5], image[2])
    assert np.array_equal(padded[:3, 5], image[:, 4])
    even = np.zeros((4, 6, 3), np.uint8)
    assert pad_to_even(even) is even


def test_upright_and_target_size() -> None:
    image = np.zeros((2, 3, 3), np.uint8)
    image[0, 2] = 255  # top right
    turned = upright(image, 90)
    assert turned.shape == (3, 2, 3)
    assert turned[0, 0, 0] == 255  # top right goes to top left when turned counter-clockwise
    assert upright(image, -90)[2, 1, 0] == 255
    assert upright(image, 0) is image
    assert target_size((160, 120), None) == (160, 120)
    assert target_size((160, 120), (80, 0)) == (80, 60)
    assert target_size((160, 120), (0, 30)) == (40, 30)
    assert target_size((160, 120), (50, 50)) == (50, 50)


def test_to_palette_round_trips_few_colours() -> None:
    image = np.zeros((8, 8, 3), np.uint8)
    image[:4] = (10, 200, 30)
    image[4:] = (250, 5, 120)
    indices, palette = to_palette(image)
    assert indices.shape == (8, 8)
    assert palette.shape == (256, 4)
    rebuilt = palette[indices][:, :, 1:][:, :, ::-1]  # ARGB -> BGR
    assert np.array_equal(rebuilt, image)


def test_channel_is_bounded_and_abort_releases_a_blocked_put() -> None:
    abort = threading.Event()
    channel: Channel[int] = Channel(2, abort)
    assert channel.put(1)
    assert channel.put(2)
    results: list[bool] = []
    blocked = threading.Thread(target=lambda: results.append(channel.put(3)))
    blocked.start()
    time.sleep(0.2)
    assert blocked.is_alive()  # full: the producer waits
    abort.set()
    blocked.join(timeout=2)
    assert results == [False]
    assert channel.get() is None


def test_channel_end_is_sticky() -> None:
    channel: Channel[int] = Channel(4, threading.Event())
    channel.put(7)
    channel.close()
    assert channel.get() == 7
    assert channel.get() is None
    assert channel.get() is None


def test_stage_keeps_its_error_and_aborts() -> None:
    abort = threading.Event()

    def fail() -> None:
        raise ValueError("boom")

    stage = Stage("video-test", fail, abort)
    stage.start()
    stage.join(timeout=2)
    assert isinstance(stage.error, ValueError)
    assert abort.is_set()
