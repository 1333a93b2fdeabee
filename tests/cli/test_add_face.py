"""``faceswap swap --add-face X1,Y1,X2,Y2``: a face the detector missed, added by hand (classic engine).

The six-person photo at 700 px (:mod:`faceswap.testing.six_people`) has one person the classic detector
misses; a box drawn around them adds face 5 (after the five detected faces)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.testing.six_people import six_people
from tests.cli.conftest import FACES, GRACE, Invoke

MISSED = 2


@pytest.fixture(scope="module")
def six(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int]]:
    image, boxes = six_people(FACES, 700)
    path = tmp_path_factory.mktemp("six") / "six.png"
    cv2.imwrite(str(path), image)
    return path, [round(v) for v in boxes[MISSED]]


def test_a_source_goes_onto_the_face_added_by_hand(
    invoke: Invoke, six: tuple[Path, list[int]], tmp_path: Path
) -> None:
    target, box = six
    output = tmp_path / "out.png"
    text = ",".join(str(v) for v in box)
    result = invoke("swap", GRACE, target, "-o", output, "--map", "0=5", "--add-face", text, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (report["faces_found"], report["faces_swapped"]) == (6, 1)
    before, after = cv2.imread(str(target)), cv2.imread(str(output))
    changed = np.argwhere(np.any(before != after, axis=2))
    centre = changed.mean(axis=0)
    assert box[0] <= centre[1] <= box[2]
    assert box[1] <= centre[0] <= box[3]


def test_without_the_box_the_face_does_not_exist(
    invoke: Invoke, six: tuple[Path, list[int]], tmp_path: Path
) -> None:
    target, _ = six
    result = invoke("swap", GRACE, target, "-o", tmp_path / "out.png", "--map", "0=5")
    assert result.exit_code == 2
    assert "face 5" in result.output


@pytest.mark.parametrize(
    ("box", "words"),
    [("10,10,20", "x1,y1,x2,y2"), ("10,10,20,60", "at least 16"), ("600,300,710,400", "outside the 700x420")],
)
def test_a_bad_box_is_a_bad_option(
    invoke: Invoke, six: tuple[Path, list[int]], tmp_path: Path, box: str, words: str
) -> None:
    target, _ = six
    result = invoke("swap", GRACE, target, "-o", tmp_path / "out.png", "--add-face", box)
    assert result.exit_code == 2
    assert words in result.output


def test_two_boxes_number_in_the_order_given(
    invoke: Invoke, six: tuple[Path, list[int]], tmp_path: Path
) -> None:
    target, box = six
    blank = "10,330,70,400"
    text = ",".join(str(v) for v in box)
    output = tmp_path / "out.png"
    result = invoke(
        "swap", GRACE, target, "-o", output, "--add-face", blank, "--add-face", text, "--map", "0=6", "--json"
    )
    assert result.exit_code == 0, result.output
    before, after = cv2.imread(str(target)), cv2.imread(str(output))
    changed = np.argwhere(np.any(before != after, axis=2))
    assert box[0] - 20 <= changed[:, 1].min()
    assert changed[:, 1].max() <= box[2] + 20
