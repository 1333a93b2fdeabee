"""Per-face cost of each swapper family's pipeline outside the model, next to inswapper's.

For every swapper (or ``--swapper NAME``), the real :class:`OnnxSwapper` runs on a tiny ``constant``
stand-in of that swapper's signature (and of its CrossFace converter), so the model time is small; it is
measured anyway (each session's ``run`` is wrapped) and taken out. What is left is the family's own work
per face on a 1920x1080 frame: the source input (emap latent, converter call around its model time,
source crop), alignment at the model's size, normalisation, reading the output back, mask and paste back.

Prints one JSON line per swapper: the wall time outside the model (median over ``--repeat`` swaps, the
minimum beside it; the swappers take turns within each repetition), the calling thread's CPU time outside
the model (``cpu_ms``: steadier on a shared machine, complete with ``--opencv-threads 1``), the model's
wall time and the ratios to inswapper_128's figures (goal: at most 1.5). ``floor_cpu_ms`` is the pixel
work no pipeline at that crop size can skip (the crop warped out and back, an image source's crop), and
``floor_ratio`` the least ``cpu_ratio`` that leaves: inswapper's cost with its floor swapped for this
swapper's. See docs/benchmarks.md.
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
import numpy as np

from faceswap.choices import EmbeddingConverterName, SwapperName, choices
from faceswap.config import EngineSettings
from faceswap.engine.geometry import invert_matrix, paste_box, warp_face
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.swap_sources import EmbeddingConverter
from faceswap.engine.onnx.swapper import OnnxSwapper, load_swapper
from faceswap.engine.options import SwapOptions
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.photos import GRACE_HOPPER
from faceswap.testing.swapper_standins import write_converter_standin, write_swapper_standin
from image import HEIGHT, WIDTH, compose_target
from model_clock import ModelClock

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"


def frame_and_face() -> tuple[np.ndarray, Face]:
    """image.py's 1080p canvas of astronaut.png and its face, with a random unit embedding."""
    canvas, standin = compose_target()
    rng = np.random.default_rng(1)
    target = rng.standard_normal(512).astype(np.float32)
    box = np.array(standin.box, np.float32)
    kps = np.array(standin.kps, np.float32)
    return canvas, Face(box, kps, 0.9, embedding=target / np.linalg.norm(target))


def identity() -> Identity:
    photo = cv2.imread(str(FACES / GRACE_HOPPER.file))
    face = Face(np.array(GRACE_HOPPER.box, np.float32), np.array(GRACE_HOPPER.kps, np.float32), 0.9)
    vector = np.random.default_rng(3).standard_normal(512).astype(np.float32)
    return Identity((SourceFace(photo, face),), vector / np.linalg.norm(vector))


def build(directory: Path, name: SwapperName, clock: ModelClock) -> OnnxSwapper:
    settings = EngineSettings(providers=["cpu"])
    spec = SWAPPERS[name]
    path = write_swapper_standin(directory / f"{name}.onnx", name, "constant", fp16=name.endswith("_fp16"))
    model = open_session(name, path, settings)
    clock.wrap(model.session)
    converter = None
    if spec.converter is not None:
        converter_name: EmbeddingConverterName = spec.converter
        converter_path = directory / f"{converter_name}.onnx"
        write_converter_standin(converter_path)
        converter = EmbeddingConverter(open_session(converter_name, converter_path, settings))
        clock.wrap(converter.model.session)
    return load_swapper(model, spec, converter)


def floor_ms(
    swapper: OnnxSwapper, frame: np.ndarray, face: Face, person: Identity, options: SwapOptions, fresh: bool
) -> float:
    """CPU ms of the pixel work no pipeline of this swapper can skip: the target's crop warped out of the
    frame at the crop size, warped back into its box in the frame and, for an image source with a new
    identity (``fresh``), the source photo's crop warped out at the source size (the same OpenCV calls the swapper
    makes, on the same data)."""
    spec = swapper.spec
    start = time.thread_time()
    crop, matrix = warp_face(frame, face.kps, spec.template, options.crop_size(spec.size))
    x0, y0, x1, y1 = paste_box(crop.shape[:2], matrix, frame.shape[:2])
    inverse = invert_matrix(matrix)
    inverse[:, 2] -= (x0, y0)
    cv2.warpAffine(crop, inverse, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if fresh and spec.source_template is not None and spec.source_size is not None:
        photo = person.primary
        warp_face(photo.image, photo.face.kps, spec.source_template, spec.source_size)
    return (time.thread_time() - start) * 1000.0


def measure(
    swappers: dict[str, tuple[OnnxSwapper, ModelClock, SwapOptions]], repeat: int, warmup: int, reuse: bool
) -> dict[str, dict[str, float]]:
    """Median and minimum ms outside the model per swap, the median model ms and the median floor (see
    :func:`floor_ms`, taken right after each swap). The swappers take turns within each repetition, so a
    busy neighbour on a shared machine slows all of them alike. ``reuse``: one identity for every swap (a
    video, or the further faces of one photo) instead of a new one each."""
    frame, face = frame_and_face()
    source = identity()
    outside: dict[str, list[float]] = {name: [] for name in swappers}
    cpu: dict[str, list[float]] = {name: [] for name in swappers}
    model: dict[str, list[float]] = {name: [] for name in swappers}
    floor: dict[str, list[float]] = {name: [] for name in swappers}
    for number in range(warmup + repeat):
        for name, (swapper, clock, options) in swappers.items():
            # a new identity per swap, as for one photo (an image source crops its photo every time)
            person = source if reuse else Identity(source.faces, source.embedding)
            clock.reset()
            start, cpu_start = time.perf_counter(), time.thread_time()
            swapper.swap(frame, face, person, options)
            total = (time.perf_counter() - start) * 1000.0
            cpu_total = (time.thread_time() - cpu_start) * 1000.0
            unskippable = floor_ms(swapper, frame, face, person, options, fresh=not reuse)
            if number >= warmup:
                outside[name].append(total - clock.ms)
                cpu[name].append(cpu_total - clock.cpu_ms)
                model[name].append(clock.ms)
                floor[name].append(unskippable)
    return {
        name: {
            "outside_model_ms": statistics.median(outside[name]),
            "outside_model_min_ms": min(outside[name]),
            "outside_model_cpu_ms": statistics.median(cpu[name]),
            "model_ms": statistics.median(model[name]),
            "floor_cpu_ms": statistics.median(floor[name]),
        }
        for name in swappers
    }


@click.command()
@click.option(
    "--swapper", "names", multiple=True, type=click.Choice(choices(SwapperName)), help="default: all"
)
@click.option("--repeat", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(min=0))
@click.option(
    "--pixel-boost", default="native", show_default=True, type=click.Choice(["native", "512", "1024"])
)
@click.option("--opencv-threads", type=int, help="cv2.setNumThreads (default: OpenCV's own)")
@click.option(
    "--identity",
    "identity_mode",
    default="fresh",
    show_default=True,
    type=click.Choice(["fresh", "reused"]),
    help="a new identity per swap (one photo, one face) or one for all (a video, a photo's further faces)",
)
def main(
    names: tuple[str, ...],
    repeat: int,
    warmup: int,
    pixel_boost: str,
    opencv_threads: int | None,
    identity_mode: str,
) -> None:
    """Prints JSON lines: each swapper's per-face cost outside the model, and its ratio to inswapper's."""
    if opencv_threads is not None:
        cv2.setNumThreads(opencv_threads)
    chosen = cast(tuple[SwapperName, ...], names or get_args(SwapperName))
    wanted = ("inswapper_128", *(n for n in chosen if n != "inswapper_128"))
    with tempfile.TemporaryDirectory() as tmp:
        built: dict[str, tuple[OnnxSwapper, ModelClock, SwapOptions]] = {}
        for name in wanted:
            clock = ModelClock()
            swapper = build(Path(tmp), name, clock)
            boost = (
                pixel_boost
                if pixel_boost == "native" or int(pixel_boost) % swapper.spec.size == 0
                else "native"
            )
            built[name] = (swapper, clock, SwapOptions(pixel_boost=boost))  # type: ignore[arg-type]
        results = measure(built, repeat, warmup, identity_mode == "reused")
    base = results["inswapper_128"]["outside_model_ms"]
    base_cpu = results["inswapper_128"]["outside_model_cpu_ms"]
    base_floor = results["inswapper_128"]["floor_cpu_ms"]
    for name, figures in results.items():
        spec = SWAPPERS[cast(SwapperName, name)]
        line = {
            "figure": "outside_model_per_face",
            "swapper": name,
            "family": spec.family,
            "size": spec.size,
            "source": spec.source,
            "pixel_boost": pixel_boost,
            "identity": identity_mode,
            "value": round(figures["outside_model_ms"], 3),
            "unit": "ms",
            "min": round(figures["outside_model_min_ms"], 3),
            "model_ms": round(figures["model_ms"], 3),
            "ratio": round(figures["outside_model_ms"] / base, 3),
            "cpu_ms": round(figures["outside_model_cpu_ms"], 3),
            "cpu_ratio": round(figures["outside_model_cpu_ms"] / base_cpu, 3),
            "floor_cpu_ms": round(figures["floor_cpu_ms"], 3),
            # everything but the floor as cheap as inswapper's: the least cpu_ratio this crop size allows
            "floor_ratio": round((base_cpu - base_floor + figures["floor_cpu_ms"]) / base_cpu, 3),
            "opencv_threads": cv2.getNumThreads(),
            "goal": "<= 1.5",
            "frame": f"{WIDTH}x{HEIGHT}",
            "repeat": repeat,
        }
        click.echo(json.dumps(line))


if __name__ == "__main__":
    main()
