"""The progress detail: the frame rate over the recent window, the time left from it, the stages of a
photo moving its progress, and the meter a running task reports to (a fake clock drives it)."""

from __future__ import annotations

import pytest

from faceswap.choices import TaskStage, choices
from faceswap.service.processors.meter import ProgressMeter
from faceswap.service.tasks.progress import (
    PHOTO_STAGES,
    VIDEO_STAGES,
    ProgressDetail,
    eta_seconds,
    frame_rate,
    read_detail,
    stored_detail,
    window,
)


def test_no_rate_until_two_samples_some_time_apart() -> None:
    assert frame_rate([]) is None
    assert frame_rate([(5.0, 8)]) is None
    assert frame_rate([(5.0, 8), (5.0, 16)]) is None  # no time between them
    assert frame_rate([(5.0, 8), (6.0, 16)]) == pytest.approx(8.0)


def test_rate_is_the_recent_windows_not_the_average_since_the_start() -> None:
    # 10 fps for 20 s, then 40 fps for 10 s: the last 10 s say 40
    slow = [(float(t), 10 * t) for t in range(0, 21)]
    fast = [(20.0 + t, 200 + 40 * t) for t in range(1, 11)]
    samples = slow + fast
    assert frame_rate(samples, window_s=10.0) == pytest.approx(40.0)
    assert frame_rate(samples, window_s=30.0) == pytest.approx(600 / 30)  # the whole history
    # a window that starts between two samples begins at the one just before it
    assert window(samples, 9.5)[0] == (20.0, 200)


def test_batches_further_apart_than_the_window_still_give_a_rate() -> None:
    samples = [(0.0, 8), (30.0, 16), (60.0, 24)]
    assert window(samples, 10.0) == [(30.0, 16), (60.0, 24)]
    assert frame_rate(samples, 10.0) == pytest.approx(8 / 30)


def test_eta_from_the_rate() -> None:
    assert eta_seconds(120, 600, 24.0) == pytest.approx(20.0)
    assert eta_seconds(600, 600, 24.0) == 0.0
    assert eta_seconds(650, 600, 24.0) == 0.0  # the header undercounted: never negative
    assert eta_seconds(120, None, 24.0) is None
    assert eta_seconds(120, 600, None) is None
    assert eta_seconds(120, 600, 0.0) is None  # stalled: no estimate rather than "forever"


def test_photo_stages_move_the_progress_forward_in_order() -> None:
    order: list[TaskStage] = ["reading", "loading_engine", "detecting", "swapping", "enhancing"]
    order += ["upscaling", "encoding", "saving"]
    assert list(PHOTO_STAGES.starts) == order == list(choices(TaskStage))
    starts = [PHOTO_STAGES.start(stage) for stage in order]
    assert all(start is not None and 0 < start < 1 for start in starts)
    assert starts == sorted(starts)
    assert len(set(starts)) == len(starts)


def test_video_frames_fill_the_swapping_part() -> None:
    assert VIDEO_STAGES.frames_fraction(0, 600) == pytest.approx(VIDEO_STAGES.start("swapping"))
    assert VIDEO_STAGES.frames_fraction(300, 600) == pytest.approx((0.05 + 0.99) / 2)
    assert VIDEO_STAGES.frames_fraction(600, 600) == pytest.approx(VIDEO_STAGES.start("saving"))
    assert VIDEO_STAGES.frames_fraction(700, 600) == pytest.approx(0.99)
    assert VIDEO_STAGES.start("detecting") is None  # a video's stages are its frames


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_meter_reports_frames_rate_and_time_left_as_they_change() -> None:
    clock = Clock()
    meter = ProgressMeter(clock, window_s=10.0)
    assert meter.detail() == ProgressDetail()
    meter.stage("swapping")
    assert meter.detail() == ProgressDetail(stage="swapping")
    meter.frames(24, 600)
    first = meter.detail()
    assert (first.frames_done, first.frames_total, first.fps, first.eta_s) == (24, 600, None, None)
    eta: list[float] = []
    for _ in range(5):  # 24 fps
        clock.now += 1.0
        meter.frames((first.frames_done or 0) + 24 * (len(eta) + 1), 600)
        detail = meter.detail()
        assert detail.fps == pytest.approx(24.0)
        assert detail.eta_s is not None
        eta.append(detail.eta_s)
    assert eta == sorted(eta, reverse=True)  # counts down at a steady rate
    assert eta[-1] == pytest.approx((600 - 144) / 24, abs=0.1)
    # it slows to 12 fps for a whole window: the rate follows, the time left grows
    done = 144
    for _ in range(12):
        clock.now += 1.0
        done += 12
        meter.frames(done, 600)
    slowed = meter.detail()
    assert slowed.fps == pytest.approx(12.0)
    assert slowed.eta_s == pytest.approx((600 - done) / 12, abs=0.1)
    assert slowed.eta_s > eta[-1]


def test_meter_keeps_a_window_of_samples_only() -> None:
    clock = Clock()
    meter = ProgressMeter(clock, window_s=5.0)
    for frame in range(1, 1000):
        clock.now += 0.1
        meter.frames(frame, 1000)
    assert len(meter._samples) <= 52  # 5 s of samples at 10 a second, and the one before
    assert meter.detail().fps == pytest.approx(10.0)


def test_stored_detail_is_read_back_for_its_own_attempt_only() -> None:
    detail = ProgressDetail(stage="swapping", frames_done=10, frames_total=20, fps=5.0, eta_s=2.0)
    stored = stored_detail(detail, "a1")
    assert read_detail(stored, "a1") == detail
    assert read_detail(stored, "a2") == ProgressDetail()  # an earlier attempt's: not this one's
    assert read_detail(None, "a1") == ProgressDetail()
    assert read_detail({**stored, "fps": -1}, "a1") == ProgressDetail()  # unreadable: nothing shown
