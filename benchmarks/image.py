"""Per-stage milliseconds of the image pipeline on a 1080p photo, next to insightface 2.1's.

Both pipelines load the SAME stand-in ONNX files (tiny graphs with the real names and shapes), so model
time is small and equal on both sides and the figures show the code around the models. Model time is
measured by wrapping each ONNX Runtime session's ``run``; "outside models" is wall time minus that.

Per iteration, faceswap: ``decode_image``, ``swap_image`` (source and target analysed, swap, paste back,
enhancer stand-in), ``encode_image`` with provenance; insightface: ``FaceAnalysis.get`` on source and
target, then ``INSwapper.get(img, face, source_face, paste_back=True)`` as roop and Deep-Live-Cam call it.
``outside_models`` and ``outside_models_ratio`` cover the work both do (detect, embed, swap, paste back);
decode, encode and enhance are ours only. See benchmarks/README.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import click
import cv2
import numpy as np

from faceswap.choices import SwapperName, choices
from faceswap.config import EngineSettings, Settings
from faceswap.engine.onnx.engine import build_enhancer, build_neural_engine
from faceswap.engine.pipeline import EnhancerStep, SwapRequest, swap_image
from faceswap.engine.protocols import Engine
from faceswap.engine.types import StageTimes
from faceswap.imaging import Provenance, decode_image, encode_image
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models

log = logging.getLogger("benchmarks.image")

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
WIDTH, HEIGHT = 1920, 1080
CPU = ["CPUExecutionProvider"]
COLOUR_BGR = np.array((102, 204, 51))
"""What the "constant" inswapper stand-in paints (RGB 0.2, 0.8, 0.4): proof that a swap really happened."""


@dataclass
class ModelClock:
    """Milliseconds spent inside wrapped ONNX Runtime ``run`` calls, per label."""

    ms: dict[str, float] = field(default_factory=dict)

    def wrap(self, session: Any, label: str) -> None:
        """Replaces ``session.run`` (on this instance only) by a timed call of the original."""
        run = session.run

        def timed_run(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return run(*args, **kwargs)
            finally:
                self.ms[label] = self.ms.get(label, 0.0) + (time.perf_counter() - start) * 1000.0

        session.run = timed_run

    def total(self, *labels: str) -> float:
        return sum(self.ms.get(label, 0.0) for label in labels)


class TimedMethod:
    """A proxy of ``inner`` whose ``method`` adds its wall time to ``times`` under ``stage``."""

    def __init__(self, inner: Any, method: str, times: StageTimes, stage: str) -> None:
        self._inner, self._method, self._times, self._stage = inner, method, times, stage

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != self._method:
            return attribute

        def timed(*args: Any, **kwargs: Any) -> Any:
            with stopwatch(self._times, self._stage):
                return attribute(*args, **kwargs)

        return timed


@contextlib.contextmanager
def stopwatch(times: StageTimes, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        times.add(stage, (time.perf_counter() - start) * 1000.0)


def compose_target() -> tuple[np.ndarray, StandinFace]:
    """astronaut.png scaled to the full height and centred on a black 1920x1080 canvas, and its face."""
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    scale = HEIGHT / photo.shape[0]
    side = round(photo.shape[1] * scale)
    left = (WIDTH - side) // 2
    canvas = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    canvas[:, left : left + side] = cv2.resize(photo, (side, HEIGHT), interpolation=cv2.INTER_CUBIC)
    x1, y1, x2, y2 = ASTRONAUT.box
    face = StandinFace(
        box=(x1 * scale + left, y1 * scale, x2 * scale + left, y2 * scale),
        kps=[(x * scale + left, y * scale) for x, y in ASTRONAUT.kps],
    )
    return canvas, face


@dataclass
class Ours:
    engine: Engine
    enhancer: EnhancerStep
    clock: ModelClock
    times: StageTimes
    request: SwapRequest

    def run(self, data: bytes) -> dict[str, float]:
        self.clock.ms.clear()
        self.times.ms.clear()
        start = time.perf_counter()
        with stopwatch(self.times, "decode"):
            target = decode_image(data)
        outcome = swap_image(self.engine, target.bgr, self.request, self.enhancer)
        if outcome.faces_swapped != 1:
            raise click.ClickException(f"faceswap swapped {outcome.faces_swapped} faces, expected 1")
        provenance = Provenance(outcome.engine, outcome.models, outcome.enhancer)
        with stopwatch(self.times, "encode"):
            encode_image(outcome.image, target.alpha, target.format, provenance=provenance)
        total = (time.perf_counter() - start) * 1000.0
        stages, model = self.times.ms, self.clock.ms
        compared = sum(v for k, v in outcome.times.ms.items() if k != "enhance")
        return {
            "decode": stages["decode"],
            "detect": stages["detect"],
            "embed": stages["embed"],
            "swap": model.get("swap", 0.0),
            "paste_back": outcome.times.ms["swap"] - model.get("swap", 0.0),
            "enhance": outcome.times.ms["enhance"],
            "encode": stages["encode"],
            "total": total,
            "compared_total": compared,
            "models": self.clock.total("detect", "embed", "swap"),
            "outside_models": compared - self.clock.total("detect", "embed", "swap"),
            "outside_models_all": total - self.clock.total("detect", "embed", "swap", "enhance"),
        }


def build_ours(
    directory: Path, paths: dict[str, Path], source: np.ndarray, swapper_name: SwapperName = "inswapper_128"
) -> tuple[Ours, list[str]]:
    settings = Settings(data_dir=directory, engine=EngineSettings(providers=["cpu"]))
    engine = build_neural_engine(settings, swapper_name, "scrfd_2.5g", model_path=paths.__getitem__)
    enhancer: Any = build_enhancer(settings, "gfpgan_1.4", paths.__getitem__)
    clock, times = ModelClock(), StageTimes()
    analyser: Any = engine.analyser
    swapper: Any = engine.swapper
    for session, label in (
        (analyser.detector.model.session, "detect"),
        (analyser.recognizer.model.session, "embed"),
        (swapper.model.session, "swap"),
        (enhancer.model.session, "enhance"),
    ):
        clock.wrap(session, label)
    if swapper.converter is not None:  # the embedding converter is model time of the swap
        clock.wrap(swapper.converter.model.session, "swap")
    timed_analyser = dataclasses.replace(
        analyser,
        detector=TimedMethod(analyser.detector, "detect", times, "detect"),
        recognizer=TimedMethod(analyser.recognizer, "embed", times, "embed"),
    )
    timed_engine = dataclasses.replace(engine, analyser=timed_analyser)
    step = EnhancerStep("gfpgan_1.4", enhancer, settings.engine.enhancer_blend)
    ours = Ours(timed_engine, step, clock, times, SwapRequest(sources=[[source]]))
    return ours, list(swapper.model.providers)


@dataclass
class Theirs:
    app: Any  # insightface.app.FaceAnalysis
    swapper: Any  # insightface.model_zoo.INSwapper
    clock: ModelClock
    source: np.ndarray

    def run(self, target: np.ndarray) -> dict[str, float]:
        self.clock.ms.clear()
        start = time.perf_counter()
        source_faces = self.app.get(self.source)
        target_faces = self.app.get(target)
        analysed = time.perf_counter()
        if len(source_faces) != 1 or len(target_faces) != 1:
            raise click.ClickException("insightface did not find exactly one face in source and target")
        self.swapper.get(target, target_faces[0], source_faces[0], paste_back=True)
        done = time.perf_counter()
        total = (done - start) * 1000.0
        models = self.clock.total("detect", "embed", "swap")
        return {
            "detect_embed": (analysed - start) * 1000.0,
            "swap_paste": (done - analysed) * 1000.0,
            "total": total,
            "models": models,
            "outside_models": total - models,
        }


def build_theirs(directory: Path, paths: dict[str, Path], source: np.ndarray) -> tuple[Theirs, list[str]]:
    """FaceAnalysis over a models root holding the detector and ArcFace stand-ins, plus the inswapper."""
    from insightface.app import FaceAnalysis
    from insightface.model_zoo import get_model

    root = directory / "insightface"
    root.mkdir()
    for name, file in (("scrfd_2.5g", "det.onnx"), ("arcface_w600k_r50", "rec.onnx")):
        (root / file).write_bytes(paths[name].read_bytes())
    with contextlib.redirect_stdout(sys.stderr):  # insightface prints while loading
        app = FaceAnalysis(name=str(root), allowed_modules=["detection", "recognition"], providers=CPU)
        app.prepare(ctx_id=0, det_size=(640, 640))
        swapper = get_model(str(paths["inswapper_128"]), providers=CPU)
    clock = ModelClock()
    clock.wrap(app.models["detection"].session, "detect")
    clock.wrap(app.models["recognition"].session, "embed")
    clock.wrap(swapper.session, "swap")
    return Theirs(app, swapper, clock, source), list(swapper.session.get_providers())


def check_swapped(pipeline: str, image: np.ndarray, face: StandinFace) -> None:
    """Raises unless the face's nose tip shows the constant stand-in's colour (the swap was pasted)."""
    x, y = (round(v) for v in face.kps[2])
    if np.abs(image[y, x].astype(int) - COLOUR_BGR).max() > 3:
        raise click.ClickException(f"{pipeline} did not paste the swapped face: {image[y, x]} at the nose")


def check_both(ours: Ours, theirs: Theirs, target: np.ndarray, face: StandinFace) -> None:
    check_swapped("faceswap", swap_image(ours.engine, target, ours.request).image, face)
    found = theirs.app.get(theirs.source), theirs.app.get(target)
    check_swapped("insightface", theirs.swapper.get(target, found[1][0], found[0][0], paste_back=True), face)


def measure(
    runs: dict[str, Callable[[], dict[str, float]]], warmup: int, repeat: int
) -> dict[str, dict[str, float]]:
    """The median of every figure of every pipeline over ``repeat`` runs after ``warmup`` unrecorded ones.

    The pipelines take turns within each repetition, so a busy neighbour on a shared machine slows both.
    """
    for _ in range(warmup):
        for run in runs.values():
            run()
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            samples[name].append(run())
    return {
        name: {figure: statistics.median(s[figure] for s in rows) for figure in rows[0]}
        for name, rows in samples.items()
    }


@click.command()
@click.option("--repeat", default=20, show_default=True, type=click.IntRange(min=1), help="timed runs")
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(min=0), help="untimed runs")
@click.option("--quality", default=95, show_default=True, type=click.IntRange(1, 100), help="JPEG quality")
@click.option(
    "--swapper",
    "swapper_name",
    default="inswapper_128",
    show_default=True,
    type=click.Choice(choices(SwapperName)),
    help="our swapper (a stand-in of its real signature); insightface always runs inswapper_128",
)
def main(repeat: int, warmup: int, quality: int, swapper_name: str) -> None:
    """Prints JSON lines: per-stage medians of faceswap and insightface 2.1 on a 1920x1080 JPEG."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    warnings.filterwarnings("ignore", category=FutureWarning, module="insightface")  # skimage deprecation
    canvas, face = compose_target()
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise click.ClickException("cannot encode the 1080p test image")
    data = encoded.tobytes()
    target = decode_image(data).bgr  # the same pixels feed insightface
    source = decode_image((FACES / GRACE_HOPPER.file).read_bytes()).bgr
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        faces = letterboxed([face], canvas.shape)
        chosen = cast(SwapperName, swapper_name)
        swappers: tuple[SwapperName, ...] = ("inswapper_128", chosen)
        paths: dict[str, Path] = dict(write_standin_models(directory / "models", faces, "constant", swappers))
        ours, our_providers = build_ours(directory, paths, source, chosen)
        theirs, their_providers = build_theirs(directory, paths, source)
        check_both(ours, theirs, target, face)
        medians = measure(
            {"faceswap": lambda: ours.run(data), "insightface": lambda: theirs.run(target)}, warmup, repeat
        )
    providers = {"faceswap": our_providers, "insightface": their_providers}
    common = {"image": f"{WIDTH}x{HEIGHT}", "repeat": repeat, "models": "stand-ins", "swapper": swapper_name}
    for pipeline, figures in medians.items():
        for name, value in figures.items():
            line = {"figure": name, "value": round(value, 3), "unit": "ms", "pipeline": pipeline}
            click.echo(json.dumps({**line, **common, "providers": providers[pipeline]}))
    ratio = medians["faceswap"]["outside_models"] / medians["insightface"]["outside_models"]
    click.echo(json.dumps({"figure": "outside_models_ratio", "value": round(ratio, 3), "goal": "<= 0.5"}))


if __name__ == "__main__":
    main()
