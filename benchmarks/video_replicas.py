"""``benchmarks/video.py --engine replicas``: a clip end to end, the peers' way and ours, on the same models.

``peers``: one frame at a time in one thread (as FaceFusion and Deep-Live-Cam do): decode a frame, detect
and swap its face (batch-1 models, geometry on the host, pasted into a copy), encode it, then the next.
``ours``: ``transcode`` as ``swap_video`` runs it (stages overlapping in threads, batches of the engine's
size, analysis a batch ahead of the swap, faces written into the decoded frames, NVDEC on CUDA).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av

from clips import FPS, emit, frame_rate, moving_detector, open_engine, source_identities
from faceswap.choices import ExecutionProvider, VideoPreset
from faceswap.config import EngineSettings
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.protocols import Engine
from faceswap.engine.selection import Selection
from faceswap.models.catalog import spec
from faceswap.testing.replicas import write_detector_replica, write_inswapper_replica
from faceswap.testing.standins import write_arcface_standin, write_inswapper_standin
from faceswap.video import VideoOptions, probe, transcode
from faceswap.video.decode import read_frames
from faceswap.video.swap import for_engine, video_process


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


def way_engine(folder: Path, paths: dict[str, Path], device: str, ours: bool, batch: int | None) -> Engine:
    """The neural engine on ``device``: ours with the defaults there (symbolic batch and geometry on a GPU,
    ``batch`` frames per batch when given); the peers' with batch-1 models and geometry on the host."""
    providers: list[ExecutionProvider] = ["cuda", "cpu"] if device.startswith("cuda") else ["cpu"]
    extra: dict[str, Any] = {"batch_size": batch} if ours else {"dynamic_batch": "off", "gpu_geometry": "off"}
    settings = EngineSettings(providers=providers, device_id=int(device.partition(":")[2] or 0), **extra)
    return open_engine(folder, paths, settings)


def frame_swapper(engine: Engine, ours: bool) -> FrameSwapper:
    """``grace_hopper.jpg`` into every frame: ours batched and writing into its frames (as ``swap_video``),
    the peers' one frame and one face per model call, pasted into copies."""
    return FrameSwapper(
        engine, source_identities(engine), Selection(), batch_analysis=ours, batch_swaps=ours, overwrite=ours
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
    peers_engine = way_engine(folder, paths, device, ours=False, batch=None)
    warm_up(peers_engine, clip, False, frames)
    peers = peers_way(clip, folder / "peers.mp4", frame_swapper(peers_engine, ours=False), preset)
    emit({"figure": "clip_fps", "way": "peers", **peers, "models": models, **common})
    del peers_engine
    ours_engine = way_engine(folder, paths, device, ours=True, batch=args["batch_size"])
    warm_up(ours_engine, clip, True, frames)
    options = VideoOptions(preset=preset, encoder=args["encoder"], batch_size=args["batch_size"])
    ours = our_way(clip, folder / "ours.mp4", ours_engine, options)
    emit({"figure": "clip_fps", "way": "ours", **ours, "models": models, **common})
    emit({"figure": "clip_speedup", "value": round(ours["value"] / peers["value"], 2), "unit": "x", **common})
