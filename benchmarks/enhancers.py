"""Per-face cost of each face enhancer's pipeline outside the model (stand-ins, one face on 1080p).

For every enhancer (or ``--enhancer NAME``), the real :class:`OnnxEnhancer` runs on the inverting
stand-in of that model's signature and crop size (``faceswap.testing.standins.write_enhancer_standin``),
aligned with its catalog template: warp, normalisation, reading the output back, mask and paste back. The
model's time (each session's ``run`` is wrapped) is taken out. Prints one JSON line per enhancer: the
calling thread's CPU ms outside the model (median over ``--repeat``; the enhancers take turns within each
repetition), the wall ms beside it, and the model's ms. See docs/benchmarks.md.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import cast, get_args

import click
import cv2

from faceswap.choices import EnhancerModelName, choices
from faceswap.config import EngineSettings
from faceswap.engine.onnx.enhancer import OnnxEnhancer
from faceswap.engine.onnx.session import open_session
from faceswap.models.catalog import spec
from faceswap.testing.standins import write_enhancer_standin
from model_clock import ModelClock
from swappers import frame_and_face


def build(directory: Path, name: EnhancerModelName, clock: ModelClock) -> OnnxEnhancer:
    entry = spec(name)
    assert entry.template is not None
    size = entry.input_size[0]
    kind = "codeformer" if name == "codeformer" else "gfpgan"
    path = write_enhancer_standin(directory / f"{name}.onnx", kind, size)
    model = open_session(name, path, EngineSettings(providers=["cpu"]))
    clock.wrap(model.session)
    return OnnxEnhancer(model, entry.template, size)


@click.command()
@click.option(
    "--enhancer", "names", multiple=True, type=click.Choice(choices(EnhancerModelName)), help="default: all"
)
@click.option("--repeat", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(min=0))
@click.option("--blend", default=0.8, show_default=True, type=click.FloatRange(0.0, 1.0))
@click.option("--opencv-threads", type=int, help="cv2.setNumThreads (default: OpenCV's own)")
def main(names: tuple[str, ...], repeat: int, warmup: int, blend: float, opencv_threads: int | None) -> None:
    """Prints JSON lines: each enhancer's per-face cost outside the model."""
    if opencv_threads is not None:
        cv2.setNumThreads(opencv_threads)
    chosen = cast(tuple[EnhancerModelName, ...], names or get_args(EnhancerModelName))
    frame, face = frame_and_face()
    with tempfile.TemporaryDirectory() as tmp:
        built = {name: (build(Path(tmp), name, clock := ModelClock()), clock) for name in chosen}
        cpu: dict[str, list[float]] = {name: [] for name in chosen}
        wall: dict[str, list[float]] = {name: [] for name in chosen}
        model: dict[str, list[float]] = {name: [] for name in chosen}
        for number in range(warmup + repeat):
            for name, (enhancer, clock) in built.items():
                clock.reset()
                start, cpu_start = time.perf_counter(), time.thread_time()
                enhancer.enhance(frame, face, blend)
                if number >= warmup:
                    wall[name].append((time.perf_counter() - start) * 1000.0 - clock.ms)
                    cpu[name].append((time.thread_time() - cpu_start) * 1000.0 - clock.cpu_ms)
                    model[name].append(clock.ms)
    for name in chosen:
        entry = spec(name)
        line = {
            "figure": "enhancer_outside_model_per_face",
            "enhancer": name,
            "size": entry.input_size[0],
            "template": entry.template,
            "value": round(statistics.median(cpu[name]), 3),
            "unit": "cpu_ms",
            "wall_ms": round(statistics.median(wall[name]), 3),
            "model_ms": round(statistics.median(model[name]), 3),
            "opencv_threads": cv2.getNumThreads(),
            "frame": f"{frame.shape[1]}x{frame.shape[0]}",
            "repeat": repeat,
        }
        click.echo(json.dumps(line))


if __name__ == "__main__":
    main()
