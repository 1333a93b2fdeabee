"""What each swap quality option costs: milliseconds per face on the 1080p image, with stand-ins.

The neural engine swaps the astronaut's face on the 1920x1080 canvas of ``benchmarks/image.py`` once per
variant: the default (box mask), box padding, the occlusion mask, the region mask, both, and pixel boost
256 and 512. Models are stand-ins (tiny graphs with the real names and shapes), so ``models_ms`` is small
and ``outside_models_ms`` shows our code around them (warp, sub-image split, mask preparation and
combination, paste back). ``vs_default`` compares each variant's time outside models with the default's
(the goal: within 2x of today's per face, pixel boost aside, whose crop is N^2 times larger).

Usage: ``python benchmarks/quality.py [--repeat 20] [--warmup 3]``; prints JSON lines.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from faceswap.config import EngineSettings, Settings
from faceswap.engine.mask_models import MaskModels
from faceswap.engine.onnx.engine import build_face_parser, build_neural_engine, build_occluder
from faceswap.engine.options import SwapOptions
from faceswap.engine.types import Face
from faceswap.testing.mask_standins import write_bisenet_standin, write_xseg_standin
from faceswap.testing.photos import GRACE_HOPPER
from faceswap.testing.standins import letterboxed, write_standin_models
from image import FACES, HEIGHT, WIDTH, ModelClock, compose_target  # type: ignore[import-not-found]

VARIANTS: dict[str, SwapOptions] = {
    "default": SwapOptions(),
    "box_padding": SwapOptions(mask_padding=(10.0, 5.0, 0.0, 5.0)),
    "occlusion": SwapOptions(masks=("box", "occlusion")),
    "region": SwapOptions(masks=("box", "region")),
    "occlusion_region": SwapOptions(masks=("box", "occlusion", "region")),
    "pixel_boost_256": SwapOptions(pixel_boost="256"),
    "pixel_boost_512": SwapOptions(pixel_boost="512"),
}


def main_measure(repeat: int, warmup: int) -> list[dict[str, Any]]:
    import cv2
    import numpy as np

    canvas, standin = compose_target()
    source = cv2.imread(str(FACES / GRACE_HOPPER.file))
    face = Face(box=np.array(standin.box, np.float32), kps=np.array(standin.kps, np.float32), score=0.9)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths: dict[Any, Path] = dict(
            write_standin_models(folder, letterboxed([standin], canvas.shape), "constant")
        )
        paths["xseg_1"] = write_xseg_standin(folder / "xseg_1.onnx")
        paths["bisenet_resnet_34"] = write_bisenet_standin(folder / "bisenet_resnet_34.onnx")
        settings = Settings(data_dir=folder, engine=EngineSettings(providers=["cpu"]))
        engine = build_neural_engine(settings, "inswapper_128", "scrfd_2.5g", model_path=paths.__getitem__)
        occluder = build_occluder(settings, "xseg_1", paths.__getitem__)
        parser = build_face_parser(settings, "bisenet_resnet_34", paths.__getitem__)
        clock = ModelClock()
        swapper: Any = engine.swapper
        for session, label in (
            (swapper.model.session, "swap"),
            (occluder.model.session, "occlude"),
            (parser.model.session, "parse"),
        ):
            clock.wrap(session, label)
        models = MaskModels(occluder=occluder, parser=parser)
        identity = engine.analyser.analyse(source)
        from faceswap.engine.selection import make_identity
        from faceswap.engine.types import SourceFace

        person = make_identity([SourceFace(source, max(identity, key=lambda f: f.area))])
        results: dict[str, tuple[float, float]] = {}
        for name, options in VARIANTS.items():
            totals, model_ms = [], []
            for index in range(warmup + repeat):
                clock.ms.clear()
                start = time.perf_counter()
                swapper.swap(canvas, face, person, options, models)
                if index >= warmup:
                    totals.append((time.perf_counter() - start) * 1000.0)
                    model_ms.append(clock.total("swap", "occlude", "parse"))
            results[name] = (statistics.median(totals), statistics.median(model_ms))
    base = results["default"][0] - results["default"][1]
    lines = []
    for name, (total, model) in results.items():
        outside = total - model
        lines.append(
            {
                "figure": "swap_per_face",
                "variant": name,
                "value": round(total, 3),
                "unit": "ms",
                "models_ms": round(model, 3),
                "outside_models_ms": round(outside, 3),
                "vs_default": round(outside / base, 2),
                "image": f"{WIDTH}x{HEIGHT}",
                "models": "stand-ins",
                "repeat": repeat,
            }
        )
    return lines


@click.command()
@click.option("--repeat", default=20, show_default=True, type=click.IntRange(min=1), help="timed runs")
@click.option("--warmup", default=3, show_default=True, type=click.IntRange(min=0), help="untimed runs")
def main(repeat: int, warmup: int) -> None:
    """Prints one JSON line per variant: the median ms of one face's swap, in and outside the models."""
    for line in main_measure(repeat, warmup):
        click.echo(json.dumps(line))


if __name__ == "__main__":
    main()
