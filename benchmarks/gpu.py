"""GPU throughput: faces/s of the swap stage and frames/s of 1080p frames end to end, peers' way vs ours.

Models are full-size random-weight replicas built at run time (``faceswap.testing.replicas``): inswapper
with the real widths (~139 M parameters, ~354 GFLOP per face) saved with a batch of 1 like the public
file, and a SCRFD-10G-sized detector following the clip's face; ArcFace is the tiny stand-in.

* ``swap``: ``peers`` = one ``session.run`` per face with numpy in and out (as FaceFusion and roop call
  inswapper); ``ours`` = the same file opened with a symbolic batch, ``--batch`` faces per call, inputs
  and outputs bound on the device (IO binding).
* ``e2e``: 1080p frames (astronaut sliding over grey, one face per frame) made in memory (the GPU machine
  has no PyAV) through ``FrameSwapper``: ``peers`` = one frame and one face per model call, OpenCV
  geometry on the host, pasted into copies; ``ours`` = ``--batch`` frames per call, dynamic batch, the
  detector's letterbox, warp and paste back on the device (``engine.gpu_geometry``), faces written into
  the frames (as ``swap_video`` does with decoded frames; the copies it writes into are made untimed).
* ``host``: our batched path (as ``e2e`` ``ours``, geometry on the device) with the tiny stand-in models
  instead of the replicas, timing every ONNX Runtime call (``benchmarks/host_time.py``): the wall time
  per frame outside them is host work that does not overlap model execution, so ``1000 / host_ms`` is
  the frame rate no GPU can lift this path above on this CPU. Reported with its split by stage, the
  median of ``--repeat`` runs. On a CPU the geometry graphs run inside ONNX Runtime, as on a GPU.

One JSON object per line on stdout. ``--smoke`` runs two faces and two frames per figure, to show on a
CPU that everything runs; its figures say nothing about a GPU.

    python benchmarks/gpu.py [--device cuda:0|tensorrt:0|cpu] [--batch 32] [--fp16] [--faces 512] [--frames 256]
                             [--figure swap|e2e|host ...] [--host-frames 96] [--repeat 3]
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import numpy as np
import onnxruntime as ort

from clips import clip_frames, emit, open_engine, source_identities
from faceswap.choices import ExecutionProvider, GpuGeometry, SwapperName, choices
from faceswap.config import EngineSettings
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.onnx.binding import run_bound, to_device
from faceswap.engine.onnx.session import ModelSession, open_session
from faceswap.engine.selection import Selection
from faceswap.engine.types import ImageBGR
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.replicas import (
    detector_stats,
    inswapper_stats,
)
from gpu_host import emit_host, host_overhead
from gpu_models import HEIGHT, WIDTH, e2e_models, swapper_file

log = logging.getLogger("benchmarks.gpu")


def engine_settings(device: str, **extra: Any) -> EngineSettings:
    """``cpu``, ``cuda[:N]`` or ``tensorrt[:N]`` (TensorRT first, CUDA behind it, where its package
    imports; engines cached in the run's temporary folder, so every run builds them and logs the time)."""
    kind, _, number = device.partition(":")
    providers: list[ExecutionProvider] = {
        "cuda": ["cuda", "cpu"],
        "tensorrt": ["tensorrt", "cuda", "cpu"],
    }.get(kind, ["cpu"])  # type: ignore[assignment]
    return EngineSettings(providers=providers, device_id=int(number or 0), **extra)


def timed(step: Callable[[], int], warmup: int, seconds_min: float, items_max: int) -> tuple[int, float]:
    """Runs ``step`` (returns items done) ``warmup`` times, then until ``items_max`` items or at least
    ``seconds_min`` seconds; returns items and seconds of the timed part."""
    for _ in range(warmup):
        step()
    done, start = 0, time.perf_counter()
    while done < items_max or time.perf_counter() - start < seconds_min:
        done += step()
        if done >= items_max:
            break
    return done, time.perf_counter() - start


def swap_stage(
    model: ModelSession, name: SwapperName, batch: int, faces: int, warmup: int, bound: bool
) -> tuple[int, float]:
    dtype = model.input_dtype()
    rng = np.random.default_rng(0)
    family = SWAPPERS[name]
    target = rng.random((batch, 3, family.size, family.size)).astype(dtype)
    side = family.source_size
    source = (rng.random((batch, 3, side, side)) if side else rng.standard_normal((batch, 512))).astype(dtype)
    if not bound:
        return timed(
            lambda: (model.session.run(None, {"target": target, "source": source}), batch)[1],
            warmup,
            0,
            faces,
        )
    device = model.device
    feeds = {"target": to_device(target, device), "source": to_device(source, device)}
    return timed(lambda: (run_bound(model.session, feeds, device), batch)[1], warmup, 0, faces)


def e2e(
    folder: Path,
    paths: dict[str, Path],
    settings: EngineSettings,
    swapper: SwapperName,
    ours: bool,
    frames: list[ImageBGR],
) -> tuple[int, float, int]:
    """Frames/s through ``FrameSwapper``. Ours writes into its frames as ``swap_video`` does (transcode's
    decoded frames are its own), so it gets copies made before the clock starts; peers paste into copies."""
    engine = open_engine(folder, paths, settings, swapper)
    identities = source_identities(engine)
    process = FrameSwapper(
        engine, identities, Selection(), batch_analysis=ours, batch_swaps=ours, overwrite=ours
    )
    batch = engine.batch_size if ours else 1
    process([frame.copy() for frame in frames[:batch]])  # warm up (cuDNN algorithm search, arena growth)
    process.stats.faces_swapped = 0
    inputs = [frame.copy() for frame in frames] if ours else frames
    start = time.perf_counter()
    for first in range(0, len(inputs), batch):
        process(inputs[first : first + batch])
    return len(frames), time.perf_counter() - start, process.stats.faces_swapped


def emit_replicas(common: dict[str, Any]) -> None:
    for model, stats in (("inswapper_128", inswapper_stats()), ("scrfd_10g_size", detector_stats())):
        emit(
            {
                "figure": "replica",
                "model": model,
                "params": stats.params,
                "gflop": round(stats.gflop, 1),
                **common,
            }
        )


def swap_figures(
    device: str, path: Path, swapper: str, batch: int, faces: int, warmup: int, common: dict[str, Any]
) -> None:
    for way, dynamic, wanted in (("peers", "off", 1), ("ours", "on", batch)):
        settings = engine_settings(device, dynamic_batch=dynamic)
        model = open_session(swapper, path, settings, cache_dir=path.parent / "tensorrt")  # type: ignore[arg-type]
        size = model.call_batch(wanted)  # a model the batch check refused takes its declared batch
        if size != wanted:
            log.warning("%s: %s runs %d face(s) per call, not %d", way, swapper, size, wanted)
        done, seconds = swap_stage(model, swapper, size, faces, warmup, bound=way == "ours")  # type: ignore[arg-type]
        emit(
            {
                "figure": "swap_faces_per_s",
                "way": way,
                "value": round(done / seconds, 2),
                "unit": "faces/s",
                "faces": done,
                "batch": size,
                "batch_dynamic": model.batch_dynamic,
                "providers": model.providers,
                **common,
            }
        )


def e2e_figures(
    device: str,
    folder: Path,
    path: Path,
    swapper: SwapperName,
    frames: list[ImageBGR],
    batch: int,
    gpu_geometry: GpuGeometry,
    common: dict[str, Any],
    weights: Path | None,
) -> None:
    paths = e2e_models(folder, path, swapper, weights)
    for way in ("peers", "ours"):
        ours = way == "ours"
        settings = engine_settings(
            device,
            dynamic_batch="on" if ours else "off",
            gpu_geometry=gpu_geometry if ours else "off",
            batch_size=batch if ours else 1,
        )
        done, seconds, swapped = e2e(folder, paths, settings, swapper, ours, frames)
        emit(
            {
                "figure": "e2e_fps",
                "way": way,
                "value": round(done / seconds, 2),
                "unit": "frames/s",
                "frames": done,
                "faces_swapped": swapped,
                "resolution": f"{WIDTH}x{HEIGHT}",
                "batch": batch if ours else 1,
                "gpu_geometry": settings.gpu_geometry,
                **common,
            }
        )


FIGURES = ("swap", "e2e", "host")


@click.command()
@click.option(
    "--device",
    default="cuda:0" if "CUDAExecutionProvider" in ort.get_available_providers() else "cpu",
    show_default=True,
    help="cpu, cuda[:N] or tensorrt[:N] (TensorRT's engines built in the run, their time logged)",
)
@click.option("--batch", default=32, show_default=True, help="faces (swap) and frames (e2e) per call, ours")
@click.option("--fp16", is_flag=True, help="the half-precision replica (as inswapper_128_fp16)")
@click.option(
    "--swapper",
    "swapper_name",
    type=click.Choice(choices(SwapperName)),
    help="another swapper: its file (and converter) from --weights when there, else a stand-in of its "
    "signature (inswapper: the full-size replica)",
)
@click.option(
    "--weights", type=click.Path(path_type=Path, file_okay=False), help="folder of real model files"
)
@click.option("--faces", default=512, show_default=True, help="faces timed per swap figure")
@click.option("--frames", "frame_count", default=256, show_default=True, help="1080p frames per e2e figure")
@click.option("--gpu-geometry", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True)
@click.option(
    "--figure",
    "figures",
    type=click.Choice(FIGURES),
    multiple=True,
    help="figures to run (repeatable; default all)",
)
@click.option("--host-frames", default=96, show_default=True, help="1080p frames per host figure run")
@click.option("--repeat", default=3, show_default=True, help="host figure runs (median shown)")
@click.option("--smoke", is_flag=True, help="2 faces and 2 frames per figure: proves it runs (CPU)")
def main(
    device: str,
    batch: int,
    fp16: bool,
    swapper_name: str | None,
    weights: Path | None,
    faces: int,
    frame_count: int,
    gpu_geometry: GpuGeometry,
    figures: tuple[str, ...],
    host_frames: int,
    repeat: int,
    smoke: bool,
) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    figures = figures or FIGURES
    warmup = 1 if smoke else 5
    if smoke:
        faces, frame_count, host_frames, batch, repeat = 2, 2, 2, min(batch, 2), 1
    swapper: SwapperName = "inswapper_128_fp16" if fp16 else "inswapper_128"
    if swapper_name:
        swapper = swapper_name  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path, model = swapper_file(folder, swapper, weights, fp16)
        common = {"device": device, "fp16": fp16, "onnxruntime": ort.__version__, "smoke": smoke}
        common |= {"swapper": swapper, "swapper_model": model}
        if "swap" in figures or "e2e" in figures:
            if model == "replica":
                emit_replicas(common)
            if "swap" in figures:
                swap_figures(device, path, swapper, batch, faces, warmup, common)
            if "e2e" in figures:
                frames = clip_frames((WIDTH, HEIGHT), frame_count)
                e2e_figures(device, folder, path, swapper, frames, batch, gpu_geometry, common, weights)
        if "host" in figures:
            settings = engine_settings(device, dynamic_batch="on", gpu_geometry="on", batch_size=batch)
            runs = host_overhead(
                folder, settings, clip_frames((WIDTH, HEIGHT), host_frames), batch, repeat, swapper
            )
            emit_host(runs, host_frames, batch, common)


if __name__ == "__main__":
    main()
