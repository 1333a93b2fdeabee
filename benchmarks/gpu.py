"""GPU throughput: faces/s of the swap stage and frames/s of 1080p frames end to end, peers' way vs ours.

Models are full-size random-weight replicas built at run time (``faceswap.testing.replicas``): inswapper
with the real widths (~139 M parameters, ~354 GFLOP per face) saved with a batch of 1 like the public
file, and a SCRFD-10G-sized detector following the clip's face; ArcFace is the tiny stand-in.

* ``swap``: ``peers`` = one ``session.run`` per face with numpy in and out (as FaceFusion and roop call
  inswapper); ``ours`` = the same file opened with a symbolic batch, ``--batch`` faces per call, inputs
  and outputs bound on the device (IO binding).
* ``e2e``: 1080p frames (astronaut sliding over grey, one face per frame) made in memory (the GPU machine
  has no PyAV) through ``FrameSwapper``: ``peers`` = one frame and one face per model call, OpenCV
  geometry on the host; ``ours`` = ``--batch`` frames per call, dynamic batch, warp and paste back on the
  device (``engine.gpu_geometry``).

One JSON object per line on stdout. ``--smoke`` runs two faces and two frames per figure, to show on a
CPU that everything runs; its figures say nothing about a GPU.

    python benchmarks/gpu.py [--device cuda:0|cpu] [--batch 32] [--fp16] [--faces 512] [--frames 256]
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import cv2
import numpy as np
import onnxruntime as ort

from faceswap.choices import ExecutionProvider, GpuGeometry
from faceswap.config import EngineSettings, Settings
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.onnx.binding import run_bound, to_device
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.onnx.session import ModelSession, open_session
from faceswap.engine.pipeline import build_identities
from faceswap.engine.selection import Selection
from faceswap.engine.types import ImageBGR
from faceswap.models.catalog import spec
from faceswap.testing.moving import write_moving_scrfd_standin
from faceswap.testing.replicas import (
    detector_stats,
    inswapper_stats,
    write_detector_replica,
    write_inswapper_replica,
)
from faceswap.testing.standins import write_arcface_standin

log = logging.getLogger("benchmarks.gpu")

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
WIDTH, HEIGHT = 1920, 1080
BACKGROUND = 96


def emit(line: dict[str, Any]) -> None:
    print(json.dumps(line), flush=True)


def engine_settings(device: str, **extra: Any) -> EngineSettings:
    providers: list[ExecutionProvider] = ["cuda", "cpu"] if device.startswith("cuda") else ["cpu"]
    device_id = int(device.partition(":")[2] or 0)
    return EngineSettings(providers=providers, device_id=device_id, **extra)


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


def swap_stage(model: ModelSession, batch: int, faces: int, warmup: int, bound: bool) -> tuple[int, float]:
    dtype = model.input_dtype()
    rng = np.random.default_rng(0)
    target = rng.random((batch, 3, 128, 128)).astype(dtype)
    source = rng.standard_normal((batch, 512)).astype(dtype)
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


def clip_frames(count: int) -> list[ImageBGR]:
    """``count`` 1080p frames: the astronaut (720 px) sliding left to right over grey."""
    photo = cv2.imread(str(FACES / "astronaut.png"))
    assert photo is not None
    side = HEIGHT * 2 // 3
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    frames = []
    for index in range(count):
        image = np.full((HEIGHT, WIDTH, 3), BACKGROUND, np.uint8)
        x = (WIDTH - side) * index // max(1, count - 1)
        image[(HEIGHT - side) // 2 : (HEIGHT - side) // 2 + side, x : x + side] = face
        frames.append(image)
    return frames


def e2e_models(folder: Path, swapper: Path) -> dict[str, Path]:
    scale = 640 / WIDTH
    side = HEIGHT * 2 // 3
    top, bottom = (HEIGHT - side) // 2 * scale, ((HEIGHT - side) // 2 + side) * scale
    third = (bottom - top) / 3
    standin = write_moving_scrfd_standin(
        folder / "moving.onnx", (round(top + third), round(bottom - third)), (top, bottom), BACKGROUND
    )
    detector = folder / spec("retinaface_10g").file
    write_detector_replica(detector, standin)
    return {
        "retinaface_10g": detector,
        "arcface_w600k_r50": write_arcface_standin(folder / spec("arcface_w600k_r50").file),
        "inswapper_128": swapper,
        "inswapper_128_fp16": swapper,
    }


def e2e(
    folder: Path,
    paths: dict[str, Path],
    settings: EngineSettings,
    swapper: str,
    ours: bool,
    frames: list[ImageBGR],
) -> tuple[int, float, int]:
    engine = build_neural_engine(
        Settings(data_dir=folder, engine=settings),
        swapper,  # type: ignore[arg-type]
        "retinaface_10g",
        model_path=paths.__getitem__,
    )
    photo = cv2.imread(str(FACES / "grace_hopper.jpg"))
    assert photo is not None
    identities = build_identities(engine, [[np.asarray(photo, np.uint8)]])
    process = FrameSwapper(engine, identities, Selection(), batch_analysis=ours, batch_swaps=ours)
    batch = engine.batch_size if ours else 1
    process(frames[:batch])  # warm up (cuDNN algorithm search, arena growth)
    process.stats.faces_swapped = 0
    start = time.perf_counter()
    for first in range(0, len(frames), batch):
        process(frames[first : first + batch])
    return len(frames), time.perf_counter() - start, process.stats.faces_swapped


@click.command()
@click.option(
    "--device",
    default="cuda:0" if "CUDAExecutionProvider" in ort.get_available_providers() else "cpu",
    show_default=True,
    help="cpu or cuda[:N]",
)
@click.option("--batch", default=32, show_default=True, help="faces (swap) and frames (e2e) per call, ours")
@click.option("--fp16", is_flag=True, help="the half-precision replica (as inswapper_128_fp16)")
@click.option("--faces", default=512, show_default=True, help="faces timed per swap figure")
@click.option("--frames", "frame_count", default=256, show_default=True, help="1080p frames per e2e figure")
@click.option("--gpu-geometry", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True)
@click.option("--smoke", is_flag=True, help="2 faces and 2 frames per figure: proves it runs (CPU)")
def main(
    device: str, batch: int, fp16: bool, faces: int, frame_count: int, gpu_geometry: GpuGeometry, smoke: bool
) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    warmup = 1 if smoke else 5
    if smoke:
        faces, frame_count, batch = 2, 2, min(batch, 2)
    common = {"device": device, "fp16": fp16, "onnxruntime": ort.__version__, "smoke": smoke}
    stats = inswapper_stats()
    emit(
        {
            "figure": "replica",
            "model": "inswapper_128",
            "params": stats.params,
            "gflop": round(stats.gflop, 1),
            **common,
        }
    )
    det = detector_stats()
    emit(
        {
            "figure": "replica",
            "model": "scrfd_10g_size",
            "params": det.params,
            "gflop": round(det.gflop, 1),
            **common,
        }
    )
    swapper = "inswapper_128_fp16" if fp16 else "inswapper_128"
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        path = folder / spec(swapper).file  # type: ignore[arg-type]
        write_inswapper_replica(path, fp16=fp16)
        for way, dynamic, size in (("peers", "off", 1), ("ours", "on", batch)):
            model = open_session(swapper, path, engine_settings(device, dynamic_batch=dynamic))  # type: ignore[arg-type]
            done, seconds = swap_stage(model, size, faces, warmup, bound=way == "ours")
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
        paths = e2e_models(folder, path)
        frames = clip_frames(frame_count)
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


if __name__ == "__main__":
    main()
