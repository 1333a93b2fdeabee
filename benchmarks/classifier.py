"""Milliseconds outside the model that the face classifier (fairface, for face filters) adds per face.

A stand-in ONNX file with fairface's real signature keeps model time small; model time is measured by
wrapping the session's ``run`` and subtracted. Figures (medians):

- ``classify_outside_model``: ``FairFaceClassifier.classify`` of one face in a 1920x1080 frame (the
  arcface_112_v2 warp at 224 px, RGB, ImageNet mean and std, layout, reading the three ids);
- ``classify_per_face_of_4``: the same for four faces at once, per face;
- ``select_outside_model``: ordering and filtering 4 classified faces (``candidates``).

Run: ``PYTHONPATH=src python benchmarks/classifier.py``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import click
import cv2
import numpy as np

from faceswap.config import Settings
from faceswap.engine.face_filters import FaceFilters
from faceswap.engine.onnx.engine import build_classifier
from faceswap.engine.selection import Selection, candidates
from faceswap.engine.types import Face
from faceswap.testing.classifier_standins import write_fairface_standin
from faceswap.testing.photos import ASTRONAUT
from model_clock import ModelClock, outside

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"


@click.command()
@click.option("--repeat", default=50, show_default=True, type=click.IntRange(min=1))
@click.option("--warmup", default=5, show_default=True, type=click.IntRange(min=0))
def main(repeat: int, warmup: int) -> None:
    """Prints JSON lines, one per figure."""
    photo = cv2.imread(str(FACES / ASTRONAUT.file))
    frame = np.zeros((1080, 1920, 3), np.uint8)
    faces = []
    for index, (dx, dy) in enumerate(((0, 0), (520, 0), (1040, 0), (520, 540))):
        frame[dy : dy + 512, dx : dx + 512] = photo
        box = np.array(ASTRONAUT.box, np.float32) + np.array([dx, dy, dx, dy], np.float32)
        kps = np.array(ASTRONAUT.kps, np.float32) + np.array([dx, dy], np.float32)
        faces.append(Face(box=box, kps=kps, score=0.9 - index / 10))
    settings = Settings(data_dir=Path(tempfile.mkdtemp()))
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        path = write_fairface_standin(Path(tmp) / "fairface.onnx")
        classifier = build_classifier(settings, lambda name: path)
        clock = ModelClock()
        clock.wrap(classifier.model.session)
        figures["classify_outside_model"] = outside(
            lambda: classifier.classify(frame, faces[:1]), clock, warmup, repeat
        )
        four = outside(lambda: classifier.classify(frame, faces), clock, warmup, repeat)
        figures["classify_per_face_of_4"] = four / len(faces)
        traits = classifier.classify(frame, faces)
        classified = [replace(face, traits=trait) for face, trait in zip(faces, traits, strict=True)]
        keep = FaceFilters(gender=traits[0].gender, age=(0, 100))
        selection = Selection(mode="many", order="best-worst", filters=keep)
        figures["select_outside_model"] = outside(
            lambda: candidates(classified, selection), ModelClock(), warmup, repeat
        )
    for name, value in figures.items():
        click.echo(json.dumps({"figure": name, "value": round(value, 3), "unit": "ms", "repeat": repeat}))


if __name__ == "__main__":
    sys.exit(main())
