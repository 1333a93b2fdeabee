"""`faceswap swap FACE VIDEO -o OUT` end to end: classic engine and neural stand-ins on a generated clip."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from faceswap.testing.standins import StandinFace, letterboxed
from tests.cli.conftest import ASTRONAUT, GRACE, Invoke
from tests.cli.test_swap_neural import install_standins

SIZE = (320, 256)
FRAMES = 10
RATE = 25
SAMPLE_RATE = 48000


def frame_at(index: int) -> np.ndarray:
    """The astronaut photo at 256x256, sliding right by 4 px a frame over a grey canvas."""
    photo = cv2.resize(cv2.imread(str(ASTRONAUT)), (256, 256), interpolation=cv2.INTER_AREA)
    canvas = np.full((SIZE[1], SIZE[0], 3), 110, np.uint8)
    x = 4 * index
    canvas[:, x : x + 256] = photo
    return canvas


def write_clip(path: Path, *, audio: bool = True) -> Path:
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=RATE, options={"preset": "ultrafast", "crf": "12"})
        video.width, video.height = SIZE
        video.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono") if audio else None
        for index in range(FRAMES):
            frame = av.VideoFrame.from_ndarray(frame_at(index), format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, RATE)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if sound is not None:
            samples = FRAMES * SAMPLE_RATE // RATE
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)
            for offset in range(0, samples, 1024):
                chunk = av.AudioFrame.from_ndarray(
                    tone[None, offset : offset + 1024].copy(), format="fltp", layout="mono"
                )
                chunk.sample_rate = SAMPLE_RATE
                chunk.pts = offset
                out.mux(sound.encode(chunk))
            out.mux(sound.encode(None))
    return path


def decode(path: Path) -> tuple[list[np.ndarray], float, bool]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = float(stream.average_rate or 0)
        has_audio = bool(container.streams.audio)
        frames = [f.to_ndarray(format="bgr24") for f in container.decode(stream)]
    return frames, rate, has_audio


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


def test_classic_video_swap_keeps_frames_rate_and_audio(invoke: Invoke, clip: Path, tmp_path: Path) -> None:
    output = tmp_path / "out.mp4"
    result = invoke("swap", GRACE, clip, "-o", output, "--json", "--crf", "12", "--preset", "ultrafast")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["engine"] == "classic"
    assert report["frames"] == FRAMES
    assert report["frames_with_faces"] == FRAMES
    assert report["audio"] in ("copy", "reencode")
    before, rate_in, _ = decode(clip)
    after, rate_out, has_audio = decode(output)
    assert len(after) == len(before) == FRAMES
    assert rate_out == pytest.approx(rate_in)
    assert has_audio
    for index, (a, b) in enumerate(zip(before, after, strict=True)):
        x = 4 * index
        face = (slice(40, 80), slice(x + 95, x + 125))
        assert np.abs(a[face].astype(int) - b[face].astype(int)).mean() > 8, f"frame {index}: face unchanged"
        assert np.abs(a[200:].astype(int) - b[200:].astype(int)).mean() < 2.0, "far from the face: unchanged"


def test_neural_video_swap_with_stand_ins(invoke: Invoke, data_dir: Path, clip: Path, tmp_path: Path) -> None:
    install_standins(data_dir / "models", "constant")
    # stand-ins report one face at a fixed place; put it where the astronaut's face is in frame 0
    face = StandinFace(
        box=(88.0, 38.0, 133.0, 83.0), kps=[(99, 54), (120, 54), (110, 65), (101, 74), (118, 74)]
    )
    from faceswap.testing.standins import write_scrfd_standin

    write_scrfd_standin(data_dir / "models" / "scrfd_2.5g.onnx", letterboxed([face], (SIZE[1], SIZE[0], 3)))
    from faceswap.models.verify import crc32_file, write_sidecar

    write_sidecar(
        data_dir / "models" / "scrfd_2.5g.hash", crc32_file(data_dir / "models" / "scrfd_2.5g.onnx")
    )
    output = tmp_path / "out.webm"
    result = invoke("swap", GRACE, clip, "-o", output, "--json", "--end", "0.2")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["engine"] == "inswapper_128"
    assert report["frames"] == 5
    assert report["faces_swapped"] == 5
    after, _, has_audio = decode(output)
    assert len(after) == 5
    assert has_audio


def test_video_follows_the_reference_person_only(invoke: Invoke, tmp_path: Path, clip: Path) -> None:
    output = tmp_path / "ref.mp4"
    result = invoke(
        "swap",
        GRACE,
        clip,
        "-o",
        output,
        "--faces",
        "reference",
        "--reference",
        GRACE,
        "--json",
        "--end",
        "0.12",
        "--crf",
        "0",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["faces_swapped"] == 0, "Grace Hopper is not in the clip: every frame passes through"
    before, _, _ = decode(clip)
    after, _, _ = decode(output)
    # lossless re-encode: only colour conversion and chroma re-subsampling between the two
    assert np.abs(before[0].astype(int) - after[0].astype(int)).mean() < 1.5


def test_video_reference_picked_in_a_frame(invoke: Invoke, tmp_path: Path, clip: Path) -> None:
    output = tmp_path / "ref.mp4"
    result = invoke(
        "swap",
        GRACE,
        clip,
        "-o",
        output,
        "--faces",
        "reference",
        "--reference-frame",
        "1",
        "--json",
        "--end",
        "0.12",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["faces_swapped"] == 3


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("--reference-frame", "99", "--faces", "reference"), "bad_option"),
        (("--reference-frame", "0", "--reference-face", "3", "--faces", "reference"), "no_face_in_target"),
        (("--resolution", "big"), "bad_option"),
        (("--start", "2", "--end", "1"), "bad_option"),
    ],
)
def test_video_errors(invoke: Invoke, tmp_path: Path, clip: Path, args: tuple[str, ...], code: str) -> None:
    output = tmp_path / "bad.mp4"
    result = invoke("swap", GRACE, clip, "-o", output, *args)
    assert result.exit_code != 0
    assert f"error [{code}]" in result.output
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [], "no temp files left behind"


def test_corrupt_video_is_unreadable(invoke: Invoke, tmp_path: Path, clip: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(clip.read_bytes()[:600])
    result = invoke("swap", GRACE, broken, "-o", tmp_path / "out.mp4")
    assert result.exit_code == 3
    assert "error [unreadable_input]" in result.output


def test_a_video_too_thin_to_hold_a_face_is_bad_input(invoke: Invoke, tmp_path: Path) -> None:
    thin = tmp_path / "thin.mp4"
    with av.open(str(thin), "w") as out:
        video = out.add_stream("libx264", rate=RATE, options={"preset": "ultrafast"})
        video.width, video.height = 1, 300
        video.pix_fmt = "yuv444p"
        for _ in range(3):
            frame = av.VideoFrame.from_ndarray(np.full((300, 1, 3), 120, np.uint8), format="bgr24")
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
    output = tmp_path / "out.mp4"
    result = invoke("swap", GRACE, thin, "-o", output, "--engine", "classic")
    assert result.exit_code == 3, result.output
    assert "error [bad_input]: thin.mp4 is 1x300 pixels, too thin to hold a face" in result.output
    assert not output.exists()
