"""The classic engine's detector: faces found and milliseconds per photo at two detection sizes.

For each photo, ``ClassicAnalyser.analyse`` runs with the HOG detector on a copy whose longer side is
1024 px and towards 2048 px (the default), and ``analyse_box`` once per person of the group
photo (a face drawn by hand). Photos: the six-person group photo (:mod:`faceswap.testing.six_people`) at
several widths, ``astronaut.png`` and its suit (rows 300 and down: no face). One JSON line per photo and
size (medians of ``--repeat`` runs): ``found`` (faces), ``people`` (people found, group photos only) and
``ms`` (detection, landmarks, verification and embeddings of every face).

Run: ``PYTHONPATH=src python benchmarks/classic_detect.py``.
"""

from __future__ import annotations

import functools
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import click
import cv2
import numpy as np

from faceswap.engine.classic.analyser import AnalyserOptions, ClassicAnalyser, DlibModels
from faceswap.engine.extra_faces import Box, inside
from faceswap.engine.types import Face, ImageBGR
from faceswap.testing.six_people import six_people

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
SIZES = (1024, 2048)


Photo = tuple[str, ImageBGR, list[Box] | None]


def timed_ms(run: Callable[[], list[Face]], repeat: int) -> tuple[float, list[Face]]:
    """The median milliseconds of ``repeat`` calls of ``run``, and what the last one returned."""
    times, result = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - start) * 1000.0)
    return statistics.median(times), result


def read(name: str) -> ImageBGR:
    image = cv2.imread(str(FACES / name), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(FACES / name)
    return np.asarray(image, dtype=np.uint8)


def people_found(faces: list[Face], boxes: list[Box]) -> int:
    return sum(any(inside(face, box) for face in faces) for box in boxes)


@click.command()
@click.option("--repeat", default=3, show_default=True)
@click.option("--widths", default="700,900,1200,1600,2400", show_default=True)
def main(repeat: int, widths: str) -> None:
    models = DlibModels.load()
    astronaut = read("astronaut.png")
    photos: list[Photo] = [
        ("astronaut", astronaut, None),
        ("suit", np.ascontiguousarray(astronaut[300:]), None),
    ]
    for width in (int(w) for w in widths.split(",")):
        image, found = six_people(FACES, width)
        photos.append((f"six_people_{width}", image, [(b[0], b[1], b[2], b[3]) for b in found]))
    for size in SIZES:
        analyser = ClassicAnalyser(models, AnalyserOptions(detect_long_side=size))
        for name, image, boxes in photos:
            ms, faces = timed_ms(functools.partial(analyser.analyse, image), repeat)
            line: dict[str, object] = {
                "benchmark": "classic_detect",
                "photo": name,
                "width": int(image.shape[1]),
                "detect_long_side": size,
                "found": len(faces),
                "ms": round(ms, 1),
            }
            if boxes is not None:
                line["people"] = people_found(faces, boxes)
            print(json.dumps(line), flush=True)
    analyser = ClassicAnalyser(models)
    _, image, boxes = photos[-1]
    drawn = boxes or []
    ms, _ = timed_ms(lambda: [analyser.analyse_box(image, box) for box in drawn], repeat)
    line = {
        "benchmark": "classic_analyse_box",
        "width": int(image.shape[1]),
        "ms_per_box": round(ms / len(drawn), 1),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
