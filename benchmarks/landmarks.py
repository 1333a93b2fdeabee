"""Milliseconds outside the models that the landmarker and the detector angles add per face and frame.

Stand-in ONNX files (tiny graphs with the real names and shapes) keep model time small; model time is
measured by wrapping each session's ``run`` and subtracted. Figures (medians):

- ``landmarks_outside_models``: ``FanLandmarker.refine`` of one face (crop, ``x/255``, layout, score,
  mapping back, 5 points from 68), with 2dfan4 confident;
- ``lift_outside_models``: the same with 2dfan4 unsure, so fan_68_5 lifts the detector's points;
- ``angles_outside_models``: ``analyse`` of a 1920x1080 frame with angles 0/90/180/270 minus with 0 only
  (rotated copies, their letterboxes, mapping back, merging), outside the models.

Run: ``PYTHONPATH=src python benchmarks/landmarks.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click
import cv2
import numpy as np

from faceswap.config import Settings
from faceswap.engine.analysis import with_analysis
from faceswap.engine.onnx.engine import build_landmarker, build_neural_engine
from faceswap.engine.onnx.landmarker import FanLandmarker
from faceswap.engine.types import Face
from faceswap.testing.landmark_standins import write_2dfan4_standin
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models
from model_clock import ModelClock, outside

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"


def clocked(landmarker: FanLandmarker, clock: ModelClock) -> FanLandmarker:
    clock.wrap(landmarker.model.session)
    clock.wrap(landmarker.lifter.model.session)
    return landmarker


@click.command()
@click.option("--repeat", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--warmup", default=5, show_default=True, type=click.IntRange(min=0))
def main(repeat: int, warmup: int) -> None:
    """Prints JSON lines, one per figure."""
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    frame = np.zeros((1080, 1920, 3), np.uint8)
    frame[284:796, 704:1216] = photo
    face = Face(box=np.array(ASTRONAUT.box, np.float32), kps=np.array(ASTRONAUT.kps, np.float32), score=0.9)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        standin = StandinFace(ASTRONAUT.box, ASTRONAUT.kps)
        paths = write_standin_models(Path(tmp), letterboxed([standin], photo.shape))
        clock = ModelClock()
        landmarker = clocked(build_landmarker(settings, paths.__getitem__), clock)
        figures["landmarks_outside_models"] = outside(
            lambda: landmarker.refine(photo, [face]), clock, warmup, repeat
        )
        write_2dfan4_standin(paths["2dfan4"], peak=0.2)
        unsure = clocked(build_landmarker(settings, paths.__getitem__), clock)
        figures["lift_outside_models"] = outside(lambda: unsure.refine(photo, [face]), clock, warmup, repeat)
        moved = StandinFace(
            (ASTRONAUT.box[0] + 704, ASTRONAUT.box[1] + 284, ASTRONAUT.box[2] + 704, ASTRONAUT.box[3] + 284),
            [(x + 704, y + 284) for x, y in ASTRONAUT.kps],
        )
        paths = write_standin_models(Path(tmp) / "frame", letterboxed([moved], frame.shape))
        engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
        analyser = engine.analyser
        clock.wrap(analyser.detector.model.session)  # type: ignore[attr-defined]
        clock.wrap(analyser.recognizer.model.session)  # type: ignore[attr-defined]
        turning = with_analysis(engine, None, (0, 90, 180, 270)).analyser
        once = outside(lambda: analyser.analyse(frame), clock, warmup, repeat)
        four = outside(lambda: turning.analyse(frame), clock, warmup, repeat)
        figures["angles_outside_models"] = four - once
        figures["analyse_outside_models"] = once
    for name, value in figures.items():
        click.echo(json.dumps({"figure": name, "value": round(value, 3), "unit": "ms", "repeat": repeat}))


if __name__ == "__main__":
    sys.exit(main())
