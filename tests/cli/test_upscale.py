"""``faceswap swap --upscale``: photos and videos come out as much larger as the frame enhancer makes them
(a video keeps its frames, time stamps and audio), and outputs over the limits are refused before any work.
``--enhancer-weight`` reaches CodeFormer's fidelity input."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from tests.cli.conftest import ASTRONAUT, GRACE, Invoke
from tests.cli.test_swap_neural import install_standins
from tests.cli.test_swap_video import FRAMES, SIZE, write_clip


@pytest.fixture
def models(data_dir: Path) -> Path:
    install_standins(data_dir / "models", "identity")
    return data_dir / "models"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


def video_facts(path: Path) -> tuple[tuple[int, int], list[Fraction], bool, list[np.ndarray]]:
    """(width, height), every frame's time, whether there is audio, and the frames."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times, frames = [], []
        for frame in container.decode(stream):
            times.append(Fraction(frame.pts) * stream.time_base)
            frames.append(frame.to_ndarray(format="bgr24"))
        return (stream.width, stream.height), times, bool(container.streams.audio), frames


def test_a_video_upscaled_x2_is_twice_as_large_with_the_same_frames_times_and_audio(
    invoke: Invoke, models: Path, clip: Path, tmp_path: Path
) -> None:
    output = tmp_path / "big.mp4"
    args = ("--engine", "classic", "--json", "--crf", "12", "--preset", "ultrafast")
    result = invoke("swap", GRACE, clip, "-o", output, "--upscale", "real_esrgan_x2", *args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["upscale"] == "real_esrgan_x2"
    assert (report["width"], report["height"]) == (2 * SIZE[0], 2 * SIZE[1])
    assert report["audio"] in ("copy", "reencode")
    size_in, times_in, _, _ = video_facts(clip)
    size_out, times_out, audio, frames = video_facts(output)
    assert size_in == SIZE
    assert size_out == (2 * SIZE[0], 2 * SIZE[1])
    assert len(times_out) == len(times_in) == FRAMES
    assert [t - times_out[0] for t in times_out] == [t - times_in[0] for t in times_in]
    assert audio
    plain = tmp_path / "plain.mp4"
    assert invoke("swap", GRACE, clip, "-o", plain, *args).exit_code == 0
    _, _, _, small = video_facts(plain)
    for big, little in zip(frames, small, strict=True):  # the stand-in repeats pixels
        shrunk = cv2.resize(big, SIZE, interpolation=cv2.INTER_AREA)
        assert np.abs(shrunk.astype(int) - little.astype(int)).mean() < 2.0


def test_a_photo_upscaled_x4_keeps_its_alpha(invoke: Invoke, models: Path, tmp_path: Path) -> None:
    target = tmp_path / "target.png"
    photo = cv2.imread(str(ASTRONAUT))
    alpha = np.full(photo.shape[:2], 255, np.uint8)
    alpha[:, :64] = 0
    cv2.imwrite(str(target), np.dstack([photo, alpha]))
    output = tmp_path / "out.png"
    result = invoke("swap", GRACE, target, "-o", output, "--json", "--upscale", "span_kendata_x4")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["width"], report["height"]) == (2048, 2048)
    written = cv2.imread(str(output), cv2.IMREAD_UNCHANGED)
    assert written.shape == (2048, 2048, 4)
    assert (written[:, :200, 3] == 0).all()
    assert (written[:, 300:, 3] == 255).all()


def test_an_upscale_over_the_limits_is_refused_before_any_work(
    invoke: Invoke, models: Path, clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FACESWAP_LIMITS__MAX_IMAGE_PIXELS", str(1000 * 1000))
    monkeypatch.setenv("FACESWAP_LIMITS__MAX_VIDEO_PIXELS", str(1000 * 1000))
    output = tmp_path / "out.png"
    result = invoke("swap", GRACE, ASTRONAUT, "-o", output, "--upscale", "real_esrgan_x4")
    assert result.exit_code == 2, result.output
    assert "bad_option" in result.output
    assert "2048x2048" in result.output
    assert not output.exists()
    video = tmp_path / "out.mp4"
    result = invoke("swap", GRACE, clip, "-o", video, "--upscale", "real_esrgan_x4")
    assert result.exit_code == 2, result.output
    assert "1280x1024" in result.output
    assert not video.exists()
    # the output resolution counts, not the input's: 160x128 upscaled x4 fits
    args = ("--upscale", "real_esrgan_x4", "--resolution", "160x0", "--json", "--preset", "ultrafast")
    result = invoke("swap", GRACE, clip, "-o", video, *args)
    assert result.exit_code == 0, result.output
    assert video_facts(video)[0] == (640, 512)


def test_the_enhancer_weight_reaches_codeformer(invoke: Invoke, models: Path, tmp_path: Path) -> None:
    """The CodeFormer stand-in answers ``-input * weight``: weight 0 turns the face mid-grey."""
    face = (slice(100, 140), slice(200, 250))
    images = {}
    for weight in ("0", "1"):
        output = tmp_path / f"w{weight}.png"
        args = ("--enhancer", "codeformer", "--enhancer-blend", "1", "--enhancer-weight", weight)
        result = invoke("swap", GRACE, ASTRONAUT, "-o", output, *args)
        assert result.exit_code == 0, result.output
        images[weight] = cv2.imread(str(output))
    assert np.abs(images["0"][face].astype(int) - 128).mean() < 3
    assert np.abs(images["1"][face].astype(int) - 128).mean() > 20
