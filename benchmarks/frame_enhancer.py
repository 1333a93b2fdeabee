"""Milliseconds per frame and peak memory of the tiled frame enhancer (upscale) at 1080p and 4K.

Stand-in ONNX files with the real names, tile sizes and scales (every pixel repeated ``scale`` x ``scale``
times, so the model itself costs little): the figures are the tiling, the pixel conversions, the model
calls' overhead and the stitching with blended seams. Model time is measured by wrapping the session's
``run`` and reported apart. Peak memory is what Python and NumPy allocate during one frame (tracemalloc;
ONNX Runtime's own arena is not counted), next to the output frame's own size.

One JSON line per case: model, frame size, output size, tile, overlap, tiles, ms per frame (median),
ms inside the model, peak MiB and output MiB.

Run: ``PYTHONPATH=src python benchmarks/frame_enhancer.py [--repeat 3]``.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import click
import numpy as np

from faceswap.choices import FrameEnhancerName
from faceswap.config import EngineSettings, Settings
from faceswap.engine.onnx.engine import build_frame_enhancer
from faceswap.engine.tiles import tile_starts
from faceswap.models.catalog import spec
from faceswap.testing.enhancer_standins import write_frame_enhancer_standin
from model_clock import ModelClock

CASES: tuple[tuple[FrameEnhancerName, tuple[int, int]], ...] = (
    ("real_esrgan_x2", (1920, 1080)),
    ("real_esrgan_x2", (3840, 2160)),
    ("real_esrgan_x4", (1920, 1080)),
    ("span_kendata_x4", (1920, 1080)),
)
MIB = 1024 * 1024


def measure(name: FrameEnhancerName, size: tuple[int, int], folder: Path, repeat: int) -> dict[str, Any]:
    path = write_frame_enhancer_standin(folder / spec(name).file, name)
    settings = Settings(data_dir=folder, engine=EngineSettings(providers=["cpu"]))
    upscaler = build_frame_enhancer(settings, name, lambda _: path)
    clock = ModelClock(upscaler.model.session)
    width, height = size
    frame = np.random.default_rng(0).integers(0, 256, (height, width, 3), dtype=np.uint8)
    upscaler.upscale(frame)  # warm-up
    times, inside = [], []
    peak = 0
    output_bytes = 0
    for _ in range(repeat):
        clock.ms = 0.0
        tracemalloc.start()
        start = time.perf_counter()
        result = upscaler.upscale(frame)
        times.append((time.perf_counter() - start) * 1000.0)
        peak = max(peak, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        inside.append(clock.ms)
        output_bytes = result.nbytes
        del result
    grid = upscaler.grid
    tiles = len(tile_starts(height, grid.tile, grid.overlap)) * len(
        tile_starts(width, grid.tile, grid.overlap)
    )
    return {
        "benchmark": "frame_enhancer",
        "model": name,
        "frame": f"{width}x{height}",
        "output": f"{width * grid.scale}x{height * grid.scale}",
        "tile": grid.tile,
        "overlap": grid.overlap,
        "tiles": tiles,
        "ms_per_frame": round(statistics.median(times), 1),
        "ms_in_model": round(statistics.median(inside), 1),
        "peak_mib": round(peak / MIB, 1),
        "output_mib": round(output_bytes / MIB, 1),
    }


@click.command()
@click.option("--repeat", default=3, show_default=True, help="timed frames per case")
def main(repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, size in CASES:
            sys.stdout.write(json.dumps(measure(name, size, Path(folder), repeat)) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
