"""The stages overlap, stop together and bound the frames in memory."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from videoclips import Clip, decode_all

from faceswap.engine.types import ImageBGR
from faceswap.errors import CancelledError, FaceswapError, UnreadableInputError
from faceswap.video import decode, encode
from faceswap.video.options import VideoOptions
from faceswap.video.transcode import SplitProcess, frames_in_flight, transcode

BOUND_S = 3.0
"""Longest a failed or cancelled run may take to return (its frames take well under a second)."""


def no_video_threads() -> bool:
    return not any(t.name.startswith("video-") for t in threading.enumerate())


def invert_split() -> SplitProcess[list[float]]:
    def prepare(frames: list[ImageBGR]) -> list[float]:
        return [float(frame.mean()) for frame in frames]

    def finish(frames: list[ImageBGR], means: list[float]) -> list[ImageBGR]:
        assert len(means) == len(frames)
        return [255 - frame for frame in frames]

    return SplitProcess(prepare, finish)


def test_split_process_gives_what_the_whole_gives(tmp_path: Path, clips: dict[str, Clip]) -> None:
    # ultrafast: x264's slower presets (medium included) are not bit-reproducible from run to run on this
    # 160 px clip (the same frames, one encoder thread, give different streams); ultrafast is
    exact = VideoOptions(preset="ultrafast")
    whole = transcode(clips["silent"].path, tmp_path / "whole.mp4", lambda fs: [255 - f for f in fs], exact)
    split = transcode(clips["silent"].path, tmp_path / "split.mp4", invert_split(), exact)
    assert split.frames == whole.frames == 50
    for a, b in zip(decode_all(whole.output), decode_all(split.output), strict=True):
        assert np.array_equal(a, b)
    assert [t.stage for t in split.stages] == [
        "video-decode",
        "video-analyse",
        "video-process",
        "video-encode",
    ]
    assert [t.stage for t in whole.stages] == ["video-decode", "video-process", "video-encode"]
    assert all(t.wall_s > 0 and t.cpu_s >= 0 and 0 <= t.wait_s <= t.wall_s + 0.1 for t in split.stages)


def test_next_batch_is_analysed_while_this_one_is_finished(tmp_path: Path, clips: dict[str, Clip]) -> None:
    started: list[int] = []
    second_started = threading.Event()
    threads: dict[str, set[str]] = {"prepare": set(), "finish": set()}
    overlapped: list[bool] = []

    def prepare(frames: list[ImageBGR]) -> int:
        threads["prepare"].add(threading.current_thread().name)
        started.append(len(started))
        if len(started) == 2:
            second_started.set()
        return started[-1]

    def finish(frames: list[ImageBGR], batch: int) -> list[ImageBGR]:
        threads["finish"].add(threading.current_thread().name)
        if batch == 0:  # the first batch is still being swapped: the second is analysed meanwhile
            overlapped.append(second_started.wait(timeout=2.0))
        return frames

    transcode(
        clips["silent"].path, tmp_path / "o.mp4", SplitProcess(prepare, finish), VideoOptions(batch_size=4)
    )
    assert overlapped == [True]
    assert threads["prepare"] == {"video-analyse"}
    assert threads["finish"] == {threading.current_thread().name}


def test_a_slow_encoder_holds_the_decoder_back(
    tmp_path: Path, clips: dict[str, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = 0
    encoded = 0
    most = 0
    real_read, real_write = decode.read_frames, encode.VideoEncoder._write

    def counted_read(*args: object) -> Iterator[decode.Frame]:
        nonlocal decoded, most
        for frame in real_read(*args):  # type: ignore[arg-type]
            decoded += 1
            most = max(most, decoded - encoded)
            yield frame

    def slow_write(self: encode.VideoEncoder, *args: object) -> None:
        nonlocal encoded
        time.sleep(0.01)
        real_write(self, *args)  # type: ignore[arg-type]
        encoded += 1

    monkeypatch.setattr(decode, "read_frames", counted_read)
    monkeypatch.setattr(encode.VideoEncoder, "_write", slow_write)
    options = VideoOptions(batch_size=2, queue_frames=3)
    report = transcode(clips["silent"].path, tmp_path / "o.mp4", invert_split(), options)
    assert report.frames == decoded == encoded == 50
    assert most <= frames_in_flight(options, split=True) == 2 * 3 + 3 * 2 + 2
    assert most > 5  # the decoder did run ahead, as far as the queues let it
    encoder = report.stages[-1]
    assert encoder.stage == "video-encode"
    assert encoder.wait_s < encoder.busy_s  # the encoder bounded the run


def test_decode_error_mid_clip_stops_every_stage(
    tmp_path: Path, clips: dict[str, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    real_raw = decode._raw_frames

    def broken(*args: object) -> Iterator[tuple[ImageBGR, Fraction, Fraction | None]]:
        for index, item in enumerate(real_raw(*args)):  # type: ignore[arg-type]
            if index == 20:
                raise UnreadableInputError("cannot decode video: corrupt packet")
            yield item

    monkeypatch.setattr(decode, "_raw_frames", broken)
    started = time.perf_counter()
    with pytest.raises(UnreadableInputError, match="corrupt packet"):
        transcode(clips["tone"].path, tmp_path / "o.mp4", invert_split(), VideoOptions(batch_size=4))
    assert time.perf_counter() - started < BOUND_S
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_analysis_error_stops_every_stage(tmp_path: Path, clips: dict[str, Clip]) -> None:
    calls = 0

    def prepare(frames: list[ImageBGR]) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("detector exploded")

    split = SplitProcess(prepare, lambda frames, _: frames)
    started = time.perf_counter()
    with pytest.raises(RuntimeError, match="detector exploded"):
        transcode(clips["tone"].path, tmp_path / "o.mp4", split, VideoOptions(batch_size=4))
    assert time.perf_counter() - started < BOUND_S
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_encode_error_stops_a_split_run(tmp_path: Path, clips: dict[str, Clip]) -> None:
    def shrink_later(frames: list[ImageBGR], batch: int) -> list[ImageBGR]:
        return frames if batch < 3 else [frame[:50, :50] for frame in frames]

    counter = iter(range(1000))
    split = SplitProcess(lambda frames: next(counter), shrink_later)
    started = time.perf_counter()
    with pytest.raises(FaceswapError, match="not 160x120"):
        transcode(clips["silent"].path, tmp_path / "o.mp4", split, VideoOptions(batch_size=2))
    assert time.perf_counter() - started < BOUND_S
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_cancel_mid_clip_stops_a_split_run(tmp_path: Path, clips: dict[str, Clip]) -> None:
    finished = 0

    def finish(frames: list[ImageBGR], _: object) -> list[ImageBGR]:
        nonlocal finished
        finished += 1
        return frames

    started = time.perf_counter()
    with pytest.raises(CancelledError):
        transcode(
            clips["tone"].path,
            tmp_path / "o.mp4",
            SplitProcess(lambda frames: None, finish),
            VideoOptions(batch_size=4),
            should_cancel=lambda: finished >= 3,
        )
    assert time.perf_counter() - started < BOUND_S
    assert finished == 3
    assert list(tmp_path.iterdir()) == []
    assert no_video_threads()


def test_swap_video_splits_only_for_an_engine_that_takes_two_threads() -> None:
    from typing import cast

    from faceswap.engine.frames import FrameSwapper
    from faceswap.video.swap import video_process

    class Halves:
        def prepare(self, frames: list[ImageBGR]) -> list[int]:
            return [1] * len(frames)

        def finish(self, frames: list[ImageBGR], plans: list[int]) -> list[ImageBGR]:
            return [frame + plan for frame, plan in zip(frames, plans, strict=True)]

        def __call__(self, frames: list[ImageBGR]) -> list[ImageBGR]:
            return self.finish(frames, self.prepare(frames))

    halves = cast(FrameSwapper, Halves())
    split = video_process(halves, concurrent=True)
    assert isinstance(split, SplitProcess)
    assert split.prepare == halves.prepare
    assert video_process(halves, concurrent=False) is halves
    frame = np.zeros((2, 2, 3), np.uint8)
    assert int(split.finish([frame], split.prepare([frame]))[0][0, 0, 0]) == 1
