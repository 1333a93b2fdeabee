"""Frames per second of the video pipeline (decode -> process -> encode) at 720p and 1080p.

Clips are generated at run time (``astronaut.png`` sliding across a grey frame, H.264 with an AAC tone)
into a temporary directory. For every size: ``decode_fps`` (decoding alone, NVDEC on CUDA where it
opens), ``encode_fps`` (the encoder alone, on frames decoded beforehand), and ``pipeline_fps`` with an
identity ``process`` (decode and encode overlapping: the pipeline's own bound). Then, by ``--engine``:

* ``replicas``: a clip end to end (decode, swap, encode) with the full-size random-weight replicas
  (inswapper ~354 GFLOP per face, a SCRFD-10G-sized detector following the face, the ArcFace stand-in;
  ``--standins``: tiny stand-ins of the same signatures, for a CPU run), the peers' way and ours in the
  same run. ``peers``: one frame at a time in one thread, as FaceFusion and Deep-Live-Cam do: decode a
  frame, detect and swap its face (batch-1 models, geometry on the host, pasted into a copy), encode it,
  then the next. ``ours``: ``transcode`` as ``swap_video`` runs it: stages overlapping in threads,
  batches of the engine's size, analysis a batch ahead of the swap, faces written into the decoded frames,
  NVDEC on CUDA. Each line carries ``stages``: the wall, busy, CPU and waiting seconds of each stage's
  thread (``cpu_s / busy_s`` near 1: the thread computes the whole time it works; the stage with the least
  ``wait_s`` bounds the run).
* ``standins``: the neural engine on tiny stand-ins in three batching modes (below), and ``classic``: the
  dlib engine on a short clip.

One JSON object per line on stdout, e.g.

    {"figure": "pipeline_fps", "value": 83.1, "unit": "frames/s", "frames": 150, "elapsed_s": 1.8,
     "process_s": 0.0, "audio": "copy", "resolution": "1280x720", "process": "identity",
     "preset": "medium", "batch_size": 8}

``value`` is frames / wall time of the whole ``transcode`` (probe, decode, process, encode with the
audio copied); ``process_s`` the part spent inside ``process``.

    python benchmarks/video.py [--frames 150] [--size 720p --size 1080p] [--preset medium]
                               [--engine none|standins|classic|replicas] [--device cpu|cuda:0]
                               [--standins] [--encoder libx264] [--batch-size 8] [--repeat 3]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from clips import emit, frame_rate, moving_detector, source_identities, write_clip
from faceswap.choices import DynamicBatch, VideoEncoderName, VideoPreset, choices
from faceswap.config import EngineSettings, Settings
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.selection import Selection
from faceswap.engine.types import ImageBGR
from faceswap.models.catalog import spec
from faceswap.testing.standins import write_arcface_standin, write_inswapper_standin
from faceswap.video import VideoOptions, probe, transcode
from faceswap.video.decode import Frame, read_frames
from faceswap.video.encode import VideoEncoder
from faceswap.video.options import output_format, with_encoder
from faceswap.video.stages import Channel
from video_replicas import replica_figures

log = logging.getLogger("benchmarks.video")

SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
DYNAMIC: dict[str, DynamicBatch] = {"on": "auto", "dynamic": "on", "off": "off"}
"""``--engine standins`` runs: batching mode -> the engine's ``dynamic_batch`` setting."""


def identity(frames: list[ImageBGR]) -> list[ImageBGR]:
    return frames


def classic_swapper() -> Callable[[list[ImageBGR]], list[ImageBGR]] | None:
    """The classic engine's frame function with grace_hopper.jpg as the source, or None if unavailable."""
    try:
        from faceswap.config import Settings
        from faceswap.engine.classic.engine import build_classic_engine
        from faceswap.engine.frames import FrameSwapper
        from faceswap.engine.selection import Selection
        from faceswap.errors import FaceswapError
    except ImportError as exc:
        log.warning("no engine frame function: %s", exc)
        return None
    try:
        engine = build_classic_engine(Settings())
        return FrameSwapper(engine, source_identities(engine), Selection())
    except FaceswapError as exc:
        log.warning("classic engine unavailable: %s", exc)
        return None


def standins_swapper(
    folder: Path, size: tuple[int, int], swapper: str, batching: str
) -> Callable[[list[ImageBGR]], list[ImageBGR]]:
    """The neural engine's ``FrameSwapper`` on tiny stand-in models saved with a batch of 1 (as the
    public files are), ``grace_hopper.jpg`` as the source.

    The detector stand-in follows the clip's sliding face (``faceswap.testing.moving``). ``batching``:
    ``on``: the defaults (``dynamic_batch="auto"``: batch-1 models stay so on a CPU; a batch's frames
    analysed together, all its faces embedded and swapped per call the models allow); ``dynamic``: the
    same with the models opened with a symbolic batch (what a GPU gets); ``off``: one frame, one face
    per model call (single-image pipelines looped over frames).
    """
    width, height = size
    models = folder / f"models_{width}x{height}"
    paths = {
        "scrfd_2.5g": moving_detector(models / spec("scrfd_2.5g").file, size),
        "arcface_w600k_r50": write_arcface_standin(models / spec("arcface_w600k_r50").file),
        "inswapper_128": write_inswapper_standin(models / spec("inswapper_128").file, swapper),  # type: ignore[arg-type]
    }
    settings = Settings(data_dir=folder, engine=EngineSettings(dynamic_batch=DYNAMIC[batching]))
    engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    together = batching != "off"
    # transcode's frames are the process's own, as in swap_video: faces are written into them
    return FrameSwapper(
        engine,
        source_identities(engine),
        Selection(),
        batch_analysis=together,
        batch_swaps=together,
        overwrite=True,
    )


def run(
    clip: Path, out: Path, process: Callable[[list[ImageBGR]], list[ImageBGR]], options: VideoOptions
) -> dict[str, Any]:
    report = transcode(clip, out, process, options)
    return {
        "value": round(report.fps, 2),
        "unit": "frames/s",
        "frames": report.frames,
        "elapsed_s": round(report.elapsed_s, 3),
        "process_s": round(report.process_s, 3),
        "audio": report.audio,
    }


def decode_only(clip: Path, hardware: bool) -> dict[str, Any]:
    """Frames/s of decoding alone (to upright BGR frames, as the pipeline hands them on)."""
    info = probe(clip)
    started = time.perf_counter()
    count = sum(1 for _ in read_frames(info, VideoOptions(hardware_decode=hardware)))
    elapsed = time.perf_counter() - started
    return frame_rate(count, elapsed)


def encode_only(clip: Path, out: Path, options: VideoOptions) -> dict[str, Any]:
    """Frames/s of the encoder alone (audio copied alongside), on the clip's frames decoded beforehand."""
    info = probe(clip)
    frames: list[Frame] = list(read_frames(info, options))
    abort = threading.Event()
    channel: Channel[Frame] = Channel(len(frames) + 1, abort)
    for frame in frames:
        channel.put(frame)
    channel.close()
    encoder = VideoEncoder(out, info, with_encoder(output_format(out), options.encoder), options, abort)
    started = time.perf_counter()
    encoder.run(channel)
    elapsed = time.perf_counter() - started
    count = encoder.result.frames
    return frame_rate(count, elapsed)


@click.command()
@click.option("--frames", default=150, show_default=True, help="frames per clip")
@click.option("--engine-frames", default=8, show_default=True, help="frames per clip with --engine classic")
@click.option(
    "--engine",
    "engine",
    type=click.Choice(["none", "classic", "standins", "replicas"]),
    default="none",
    show_default=True,
)
@click.option(
    "--swapper",
    "swapper_kind",
    type=click.Choice(["constant", "identity"]),
    default="constant",
    show_default=True,
    help="inswapper stand-in with --engine standins",
)
@click.option(
    "--size", "sizes", type=click.Choice(list(SIZES)), multiple=True, help="repeatable; default all"
)
@click.option("--device", default="cpu", show_default=True, help="cpu or cuda[:N] (--engine replicas, NVDEC)")
@click.option("--standins", is_flag=True, help="--engine replicas with tiny stand-ins (a CPU run)")
@click.option("--fp16", is_flag=True, help="--engine replicas: the half-precision inswapper replica")
@click.option("--encoder", type=click.Choice(choices(VideoEncoderName)), help="default libx264")
@click.option("--preset", type=click.Choice(choices(VideoPreset)), default="medium", show_default=True)
@click.option(
    "--batch-size", type=int, help="frames per process call (default 8; --engine replicas: the engine's)"
)
@click.option("--repeat", default=3, show_default=True, help="runs per --engine standins mode (median shown)")
def main(
    frames: int,
    engine: str,
    sizes: tuple[str, ...],
    repeat: int,
    **args: Any,
) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    preset: VideoPreset = args["preset"]
    batch_size = args["batch_size"] or 8
    options = VideoOptions(preset=preset, batch_size=batch_size, encoder=args["encoder"])
    hardware = args["device"].startswith("cuda")
    common = {"preset": preset, "encoder": args["encoder"] or "libx264", "device": args["device"]}
    swapper = classic_swapper() if engine == "classic" else None
    with tempfile.TemporaryDirectory() as folder:
        for label in sizes or SIZES:
            size = SIZES[label]
            resolution = f"{size[0]}x{size[1]}"
            here = {**common, "resolution": resolution}
            clip = Path(folder) / f"clip_{label}.mp4"
            write_clip(clip, size, frames)
            emit({"figure": "decode_fps", **decode_only(clip, hardware), "hardware_decode": hardware, **here})
            emit(
                {
                    "figure": "encode_fps",
                    **encode_only(clip, Path(folder) / f"enc_{label}.mp4", options),
                    **here,
                }
            )
            figures = run(clip, Path(folder) / f"out_{label}.mp4", identity, options)
            emit(
                {"figure": "pipeline_fps", **figures, "process": "identity", "batch_size": batch_size, **here}
            )
            if engine == "replicas":
                replica_figures(Path(folder), clip, size, frames, args, here)
            if engine == "standins":
                standins_figures(Path(folder), clip, size, args["swapper_kind"], options, repeat, here)
            if swapper is not None:
                short = Path(folder) / f"short_{label}.mp4"
                write_clip(short, size, args["engine_frames"])
                figures = run(short, Path(folder) / f"swap_{label}.mp4", swapper, options)
                emit(
                    {
                        "figure": "pipeline_fps",
                        **figures,
                        "process": "classic",
                        "batch_size": batch_size,
                        **here,
                    }
                )


def standins_figures(
    folder: Path,
    clip: Path,
    size: tuple[int, int],
    swapper_kind: str,
    options: VideoOptions,
    repeat: int,
    common: dict[str, Any],
) -> None:
    """``--engine standins``: the three batching modes, run interleaved ``repeat`` times, medians."""
    processes = {mode: standins_swapper(folder, size, swapper_kind, mode) for mode in DYNAMIC}
    runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in DYNAMIC}
    for _ in range(repeat):  # interleaved, so load from other jobs hits every mode alike
        for mode, process in processes.items():
            runs[mode].append(run(clip, folder / "standins.mp4", process, options))
    for mode, results in runs.items():
        figures = sorted(results, key=lambda r: float(r["value"]))[len(results) // 2]
        line = {"figure": "pipeline_fps", **figures, "process": f"standins_{swapper_kind}", "batching": mode}
        emit(
            {**line, "runs": [r["value"] for r in results], "batch_size": options.frames_per_batch, **common}
        )


if __name__ == "__main__":
    main()
