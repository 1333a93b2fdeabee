"""Encoders (x264, x265, NVENC) with their quality controls, and NVDEC decoding with its fallback."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from videoclips import Clip, decode_all

from faceswap.config import VideoSettings
from faceswap.errors import BadOptionError, EncoderUnavailableError
from faceswap.video import decode, options
from faceswap.video.decode import read_frames
from faceswap.video.options import (
    VideoOptions,
    codec_options,
    default_encoder_threads,
    output_format,
    with_encoder,
    with_settings,
)
from faceswap.video.probe import probe
from faceswap.video.transcode import transcode


def stream_of(path: Path) -> tuple[str, str]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return stream.codec_context.name, str(stream.codec_tag)


@pytest.mark.skipif("libx265" not in av.codecs_available, reason="this PyAV build has no libx265")
def test_libx265_writes_hevc_that_apple_players_take(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "hevc.mp4"
    report = transcode(
        clips["tone"].path, out, lambda f: f, VideoOptions(encoder="libx265", encoder_threads=1)
    )
    assert report.frames == 50
    assert stream_of(out) == ("hevc", "hvc1")
    original, written = decode_all(clips["tone"].path), decode_all(out)
    assert len(written) == len(original)
    assert np.abs(written[10].astype(int) - original[10].astype(int)).mean() < 3


def test_the_default_encoder_is_x264(tmp_path: Path, clips: dict[str, Clip]) -> None:
    out = tmp_path / "avc.mp4"
    transcode(clips["silent"].path, out, lambda f: f)
    assert stream_of(out) == ("h264", "avc1")


def test_an_encoder_missing_from_the_build_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(options, "encoder_available", lambda name: name == "libx264")
    with pytest.raises(
        EncoderUnavailableError, match=r"'libx265' is not available.*available: libx264"
    ) as caught:
        VideoOptions(encoder="libx265")
    assert caught.value.code == "encoder_unavailable"
    assert VideoOptions(encoder="libx264").encoder == "libx264"


def opens(encoder: str) -> bool:
    context: Any = av.CodecContext.create(encoder, "w")
    context.width, context.height, context.pix_fmt, context.time_base = 64, 64, "yuv420p", Fraction(1, 25)
    try:
        context.open()
    except av.FFmpegError:
        return False
    return True


def test_an_encoder_that_does_not_open_fails_cleanly(tmp_path: Path, clips: dict[str, Clip]) -> None:
    if "h264_nvenc" not in av.codecs_available:
        pytest.skip("this PyAV build has no NVENC")
    if opens("h264_nvenc"):
        pytest.skip("a GPU with NVENC is here")
    with pytest.raises(EncoderUnavailableError, match="'h264_nvenc' cannot open here"):
        transcode(clips["silent"].path, tmp_path / "nv.mp4", lambda f: f, VideoOptions(encoder="h264_nvenc"))
    assert list(tmp_path.iterdir()) == []


def test_webm_and_gif_take_no_h264_or_hevc_encoder() -> None:
    with pytest.raises(BadOptionError, match="webm container"):
        with_encoder(output_format(Path("o.webm")), "libx264")
    with pytest.raises(BadOptionError, match="gif container"):
        with_encoder(output_format(Path("o.gif")), "libx265")
    assert with_encoder(output_format(Path("o.mkv")), "libx265").video_codec == "libx265"


def test_quality_controls_map_to_each_encoder() -> None:
    mp4 = output_format(Path("o.mp4"))
    given = VideoOptions(crf=23, preset="veryfast", encoder_threads=3)
    assert codec_options(with_encoder(mp4, "libx264"), given) == {
        "crf": "23",
        "preset": "veryfast",
        "threads": "3",
    }
    assert codec_options(with_encoder(mp4, "libx265"), given) == {
        "crf": "23",
        "preset": "veryfast",
        "x265-params": "log-level=error:pools=3",
    }
    nvenc = {"preset": "p2", "rc": "vbr", "cq": "23", "b": "0"}
    assert codec_options(with_encoder(mp4, "h264_nvenc"), given) == nvenc
    assert codec_options(with_encoder(mp4, "hevc_nvenc"), VideoOptions(preset="veryslow"))["cq"] == "21"
    assert codec_options(with_encoder(mp4, "hevc_nvenc"), VideoOptions(preset="veryslow"))["preset"] == "p7"
    with pytest.raises(BadOptionError, match=r"0\.\.51"):
        codec_options(with_encoder(mp4, "libx265"), VideoOptions(crf=60))


def test_encoder_threads_leave_a_quarter_of_the_cores() -> None:
    assert [default_encoder_threads(n) for n in (1, 2, 4, 16, 64)] == [1, 2, 3, 12, 48]
    assert VideoOptions().threads == default_encoder_threads()
    assert VideoOptions(encoder_threads=5).threads == 5
    with pytest.raises(BadOptionError):
        VideoOptions(encoder_threads=0)


def test_settings_fill_what_options_leave_open() -> None:
    settings = VideoSettings(encoder="libx264", encoder_threads=4, hardware_decode=False)
    filled = with_settings(VideoOptions(), settings)
    assert (filled.encoder, filled.encoder_threads, filled.hardware_decode) == ("libx264", 4, False)
    kept = with_settings(VideoOptions(encoder_threads=2, hardware_decode=True), settings)
    assert (kept.encoder_threads, kept.hardware_decode) == (2, True)
    auto = with_settings(VideoOptions(), VideoSettings())
    assert (auto.encoder, auto.encoder_threads, auto.hardware_decode) == (None, None, None)


def test_nvdec_that_does_not_open_falls_back_to_software(
    clips: dict[str, Clip], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    opened: list[str] = []

    def refuse(name: str, stream: Any) -> Any:
        opened.append(name)
        raise av.error.PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(decode.av, "codecs_available", av.codecs_available | {"h264_cuvid"})
    monkeypatch.setattr(decode, "open_decoder", refuse)
    info = probe(clips["tone"].path)
    with caplog.at_level(logging.INFO, logger="faceswap.video.decode"):
        hardware = [(f.time, f.image) for f in read_frames(info, VideoOptions(hardware_decode=True))]
    software = [(f.time, f.image) for f in read_frames(info, VideoOptions())]
    assert opened == ["h264_cuvid"]
    assert "h264_cuvid did not open (Operation not permitted); decoding in software" in caplog.text
    assert len(hardware) == len(software) == 50
    assert all(a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(hardware, software, strict=True))


class Unstamped:
    """A decoder whose frames come out without the stream's time stamps (as a standalone NVDEC's)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def decode(self, packet: Any) -> Iterator[Any]:
        for frame in self.inner.decode(packet):
            frame.pts, frame.duration = 7, 0
            yield frame


@pytest.mark.parametrize("clip", ["vfr", "tone"])
def test_a_hardware_decoder_gets_the_packets_time_stamps(
    clip: str, clips: dict[str, Clip], monkeypatch: pytest.MonkeyPatch
) -> None:
    def software_stand_in(name: str, stream: Any) -> Any:
        return Unstamped(decode.open_decoder(stream.codec_context.name, stream))

    monkeypatch.setattr(decode.av, "codecs_available", av.codecs_available | {"h264_cuvid"})
    monkeypatch.setattr(decode, "hardware_decoder", lambda stream: software_stand_in("h264_cuvid", stream))
    info = probe(clips[clip].path)
    for window in (VideoOptions(), VideoOptions(start=0.3)):
        software = [(f.time, f.duration) for f in read_frames(info, window)]
        hardware_options = VideoOptions(start=window.start, hardware_decode=True)
        hardware = [(f.time, f.duration) for f in read_frames(info, hardware_options)]
        assert hardware == software
        assert len({t for t, _ in hardware}) == len(hardware) > 5


def test_a_task_names_an_encoder_of_the_list_and_a_worker_checks_its_build(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from faceswap.service.tasks.model import TaskCreate

    def body(encoder: str) -> dict[str, Any]:
        wf = {"source_url": "a", "target_url": "t.mp4", "video_encoder": encoder}
        return {"workflow": "face_swap", "params": {"input_data": {"wf_json": wf}}}

    assert TaskCreate.model_validate(body("libx264")).wf.video_encoder == "libx264"
    with pytest.raises(ValidationError, match="video_encoder"):
        TaskCreate.model_validate(body("mpeg2video"))
    # the API has no PyAV to ask: a known name is taken, and the worker's build decides
    assert TaskCreate.model_validate(body("hevc_nvenc")).wf.video_encoder == "hevc_nvenc"
    monkeypatch.setattr(options, "encoder_available", lambda name: name == "libx264")
    with pytest.raises(EncoderUnavailableError, match="'hevc_nvenc' is not available in this build"):
        options.check_encoder("hevc_nvenc")


def test_the_engine_decides_what_the_options_leave_open() -> None:
    from faceswap.engine.protocols import Engine
    from faceswap.video.swap import for_engine

    def engine(device: tuple[str, int], thread_safe: bool = True) -> Engine:
        return Engine("classic", None, None, (), 32, device=device, thread_safe=thread_safe)  # type: ignore[arg-type]

    on_gpu = for_engine(VideoOptions(), engine(("cuda", 0)))
    assert (on_gpu.batch_size, on_gpu.hardware_decode, on_gpu.analysis_thread) == (32, True, True)
    on_cpu = for_engine(VideoOptions(), engine(("cpu", 0)))
    assert (on_cpu.hardware_decode, on_cpu.analysis_thread) == (False, False)
    kept = for_engine(
        VideoOptions(batch_size=4, hardware_decode=False, analysis_thread=False), engine(("cuda", 0))
    )
    assert (kept.batch_size, kept.hardware_decode, kept.analysis_thread) == (4, False, False)
    assert for_engine(VideoOptions(analysis_thread=True), engine(("cpu", 0))).analysis_thread is True
    assert for_engine(VideoOptions(analysis_thread=True), engine(("cuda", 0), False)).analysis_thread is False
