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

import json
import logging
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import click
import cv2
import numpy as np

from faceswap.choices import DynamicBatch, ExecutionProvider, VideoEncoderName, VideoPreset, choices
from faceswap.config import EngineSettings, Settings
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.pipeline import build_identities
from faceswap.engine.protocols import Engine
from faceswap.engine.selection import Selection
from faceswap.engine.types import ImageBGR
from faceswap.models.catalog import spec
from faceswap.testing.moving import write_moving_scrfd_standin
from faceswap.testing.replicas import write_detector_replica, write_inswapper_replica
from faceswap.testing.standins import write_arcface_standin, write_inswapper_standin
from faceswap.video import VideoOptions, probe, transcode
from faceswap.video.decode import Frame, read_frames
from faceswap.video.encode import VideoEncoder
from faceswap.video.options import output_format, with_encoder
from faceswap.video.stages import Channel
from faceswap.video.swap import for_engine, video_process

log = logging.getLogger("benchmarks.video")

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
FPS = 30
SAMPLE_RATE = 48000
BACKGROUND = 96
DYNAMIC: dict[str, DynamicBatch] = {"on": "auto", "dynamic": "on", "off": "off"}
"""``--engine standins`` runs: batching mode -> the engine's ``dynamic_batch`` setting."""


def write_clip(path: Path, size: tuple[int, int], frames: int) -> None:
    """An H.264/AAC clip of ``frames`` frames at 30 fps: the astronaut sliding left to right."""
    width, height = size
    photo = cv2.imread(str(FACES / "astronaut.png"))
    assert photo is not None
    side = height * 2 // 3
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "20"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        for index in range(frames):
            image = np.full((height, width, 3), BACKGROUND, np.uint8)
            x = (width - side) * index // max(1, frames - 1)
            image[(height - side) // 2 : (height - side) // 2 + side, x : x + side] = face
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = frames * SAMPLE_RATE // FPS
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)
        for offset in range(0, samples, 1024):
            chunk = av.AudioFrame.from_ndarray(
                tone[None, offset : offset + 1024].copy(), format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts, chunk.time_base = SAMPLE_RATE, offset, Fraction(1, SAMPLE_RATE)
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))


def identity(frames: list[ImageBGR]) -> list[ImageBGR]:
    return frames


def classic_swapper() -> Callable[[list[ImageBGR]], list[ImageBGR]] | None:
    """The classic engine's frame function with grace_hopper.jpg as the source, or None if unavailable."""
    try:
        from faceswap.config import Settings
        from faceswap.engine.classic.engine import build_classic_engine
        from faceswap.engine.frames import FrameSwapper
        from faceswap.engine.pipeline import build_identities
        from faceswap.engine.selection import Selection
        from faceswap.errors import FaceswapError
    except ImportError as exc:
        log.warning("no engine frame function: %s", exc)
        return None
    try:
        engine = build_classic_engine(Settings())
        source = cv2.imread(str(FACES / "grace_hopper.jpg"))
        assert source is not None
        return FrameSwapper(engine, build_identities(engine, [[source]]), Selection())
    except FaceswapError as exc:
        log.warning("classic engine unavailable: %s", exc)
        return None


def moving_detector(path: Path, size: tuple[int, int]) -> Path:
    """The SCRFD stand-in that follows the clip's sliding face (in its 640 letterbox), batch 1."""
    width, height = size
    scale = 640 / max(width, height)
    side = height * 2 // 3
    top, bottom = (height - side) // 2 * scale, ((height - side) // 2 + side) * scale
    third = (bottom - top) / 3
    return write_moving_scrfd_standin(path, (round(top + third), round(bottom - third)), (top, bottom))


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
    source = cv2.imread(str(FACES / "grace_hopper.jpg"))
    assert source is not None
    identities = build_identities(engine, [[source]])
    together = batching != "off"
    # transcode's frames are the process's own, as in swap_video: faces are written into them
    return FrameSwapper(
        engine, identities, Selection(), batch_analysis=together, batch_swaps=together, overwrite=True
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


def frame_rate(count: int, elapsed: float) -> dict[str, Any]:
    """A frames/s figure: ``count`` frames in ``elapsed`` seconds."""
    return {
        "value": round(count / elapsed, 2),
        "unit": "frames/s",
        "frames": count,
        "elapsed_s": round(elapsed, 3),
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


def replica_models(folder: Path, size: tuple[int, int], standins: bool, fp16: bool) -> dict[str, Path]:
    """The models of ``--engine replicas``: the full-size inswapper replica and a SCRFD-10G-sized detector
    around the moving stand-in, or (``standins``) the tiny stand-ins alone; ArcFace is the stand-in."""
    folder.mkdir(parents=True, exist_ok=True)
    detector = moving_detector(folder / "moving.onnx", size)
    swapper = folder / spec("inswapper_128").file
    if standins:
        write_inswapper_standin(swapper, "constant")
    else:
        write_detector_replica(folder / spec("retinaface_10g").file, detector)
        detector = folder / spec("retinaface_10g").file
        write_inswapper_replica(swapper, fp16=fp16)
    return {
        "retinaface_10g": detector,
        "arcface_w600k_r50": write_arcface_standin(folder / spec("arcface_w600k_r50").file),
        "inswapper_128": swapper,
    }


def open_engine(folder: Path, paths: dict[str, Path], device: str, ours: bool, batch: int | None) -> Engine:
    """The neural engine on ``device``: ours with the defaults there (symbolic batch and geometry on a GPU,
    ``batch`` frames per batch when given); the peers' with batch-1 models and geometry on the host."""
    providers: list[ExecutionProvider] = ["cuda", "cpu"] if device.startswith("cuda") else ["cpu"]
    extra: dict[str, Any] = {"batch_size": batch} if ours else {"dynamic_batch": "off", "gpu_geometry": "off"}
    settings = EngineSettings(providers=providers, device_id=int(device.partition(":")[2] or 0), **extra)
    return build_neural_engine(
        Settings(data_dir=folder, engine=settings),
        "inswapper_128",
        "retinaface_10g",
        model_path=paths.__getitem__,
    )


def frame_swapper(engine: Engine, ours: bool) -> FrameSwapper:
    """``grace_hopper.jpg`` into every frame: ours batched and writing into its frames (as ``swap_video``),
    the peers' one frame and one face per model call, pasted into copies."""
    source = cv2.imread(str(FACES / "grace_hopper.jpg"))
    assert source is not None
    identities = build_identities(engine, [[np.asarray(source, np.uint8)]])
    return FrameSwapper(
        engine, identities, Selection(), batch_analysis=ours, batch_swaps=ours, overwrite=ours
    )


def warm_up(engine: Engine, clip: Path, ours: bool, frames: int) -> None:
    """Runs each batch shape the timed run meets once (cuDNN's algorithm search, memory arenas)."""
    images = [
        f.image
        for f, _ in zip(read_frames(probe(clip), VideoOptions()), range(engine.batch_size), strict=False)
    ]
    process = frame_swapper(engine, ours)
    shapes = {engine.batch_size, frames % engine.batch_size} if ours else {1}
    for count in sorted(shapes - {0}):
        process([image.copy() for image in images[:count]])


def peers_way(clip: Path, out: Path, process: FrameSwapper, preset: VideoPreset) -> dict[str, Any]:
    """One frame at a time in one thread: decode it, swap it, encode it (x264, same preset and crf as ours;
    PyAV's own BGR to YUV conversion; no audio), then the next."""
    info = probe(clip)
    started = time.perf_counter()
    count = 0
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=FPS, options={"crf": "18", "preset": preset})
        stream.width, stream.height = info.display_size
        stream.pix_fmt = "yuv420p"
        for frame in read_frames(info, VideoOptions()):
            image = process([frame.image])[0]
            video = av.VideoFrame.from_ndarray(image, format="bgr24")
            video.pts = count
            container.mux(stream.encode(video))
            count += 1
        container.mux(stream.encode(None))
    elapsed = time.perf_counter() - started
    return {**frame_rate(count, elapsed), "faces_swapped": process.stats.faces_swapped}


def our_way(clip: Path, out: Path, engine: Engine, options: VideoOptions) -> dict[str, Any]:
    """``transcode`` as ``swap_video`` runs it: stages overlapping, analysis a batch ahead of the swap."""
    process = frame_swapper(engine, ours=True)
    options = for_engine(options, engine)
    report = transcode(clip, out, video_process(process, bool(options.analysis_thread)), options)
    return {
        "value": round(report.fps, 2),
        "unit": "frames/s",
        "frames": report.frames,
        "elapsed_s": round(report.elapsed_s, 3),
        "faces_swapped": process.stats.faces_swapped,
        "batch_size": options.batch_size,
        "hardware_decode": options.hardware_decode,
        "analysis_thread": options.analysis_thread,
        "stages": [t.as_dict() for t in report.stages],
    }


def replica_figures(
    folder: Path, clip: Path, size: tuple[int, int], frames: int, args: dict[str, Any], common: dict[str, Any]
) -> None:
    """``--engine replicas``: the peers' way, then ours, on the same clip and models."""
    paths = replica_models(folder / f"replicas_{size[0]}x{size[1]}", size, args["standins"], args["fp16"])
    models = "standins" if args["standins"] else "replicas"
    device, preset = args["device"], args["preset"]
    peers_engine = open_engine(folder, paths, device, ours=False, batch=None)
    warm_up(peers_engine, clip, False, frames)
    peers = peers_way(clip, folder / "peers.mp4", frame_swapper(peers_engine, ours=False), preset)
    emit({"figure": "clip_fps", "way": "peers", **peers, "models": models, **common})
    del peers_engine
    ours_engine = open_engine(folder, paths, device, ours=True, batch=args["batch_size"])
    warm_up(ours_engine, clip, True, frames)
    options = VideoOptions(preset=preset, encoder=args["encoder"], batch_size=args["batch_size"])
    ours = our_way(clip, folder / "ours.mp4", ours_engine, options)
    emit({"figure": "clip_fps", "way": "ours", **ours, "models": models, **common})
    emit({"figure": "clip_speedup", "value": round(ours["value"] / peers["value"], 2), "unit": "x", **common})


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


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
