"""``faceswap swap`` with a face order and face filters on a group photo of three faces (stand-in models:
the detectors find the three faces, fairface calls the outer two female and the middle one male)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from faceswap.testing.group_photo import group_faces, group_photo, install_group_standins
from tests.cli.conftest import ASTRONAUT, FACES, GRACE, Invoke


@pytest.fixture
def group(data_dir: Path, tmp_path: Path) -> Path:
    image = group_photo(FACES)
    install_group_standins(data_dir / "models", image, "constant")
    path = tmp_path / "group.png"
    cv2.imwrite(str(path), image)
    return path


def swapped(original: Path, output: Path) -> list[bool]:
    """Per face, left to right: whether its box changed."""
    before, after = cv2.imread(str(original)).astype(int), cv2.imread(str(output)).astype(int)
    result = []
    for face in group_faces():
        x1, y1, x2, y2 = (int(v) for v in face.box)
        result.append(bool(np.abs(after[y1:y2, x1:x2] - before[y1:y2, x1:x2]).mean() > 10))
    return result


def run(
    invoke: Invoke, group: Path, tmp_path: Path, *options: str, source: Path = ASTRONAUT
) -> tuple[list[bool], dict[str, object]]:
    output = tmp_path / "out.png"
    result = invoke("swap", source, group, "-o", output, "--json", *options)
    assert result.exit_code == 0, result.output
    return swapped(group, output), json.loads(result.output)


def test_many_with_a_gender_filter_swaps_only_those_faces(
    invoke: Invoke, group: Path, tmp_path: Path
) -> None:
    changed, report = run(invoke, group, tmp_path, "--faces", "many", "--face-gender", "female")
    assert changed == [True, False, True]
    assert report["faces_found"] == 3
    assert report["faces_swapped"] == 2
    assert "fairface" in report["models"]  # type: ignore[operator]
    changed, _ = run(
        invoke, group, tmp_path, "--faces", "many", "--face-gender", "male", "--face-age", "20-30"
    )
    assert report["faces_found"] == 3
    assert changed == [False, True, False]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ((), [True, False, False]),  # the largest face; all three are as large: the leftmost
        (("--face-order", "right-left"), [False, False, True]),
        (("--face-order", "worst-best"), [False, True, False]),  # scores 0.9, 0.7, 0.8
        (("--face-order", "right-left", "--face-gender", "male"), [False, True, False]),
        (("--map", "0=0", "--face-order", "right-left"), [False, False, True]),
        (("--map", "0=1", "--face-gender", "female"), [False, False, True]),  # counted among those kept
        (("--map", "0=1", "--face-order", "best-worst"), [False, False, True]),
    ],
)
def test_the_order_decides_which_face_one_takes_and_how_map_counts(
    invoke: Invoke, group: Path, tmp_path: Path, options: tuple[str, ...], expected: list[bool]
) -> None:
    changed, report = run(invoke, group, tmp_path, *options)
    assert changed == expected
    assert ("fairface" in report["models"]) == ("--face-gender" in options)  # type: ignore[operator]


def test_a_filter_that_keeps_no_face_says_which(invoke: Invoke, group: Path, tmp_path: Path) -> None:
    result = invoke("swap", ASTRONAUT, group, "-o", tmp_path / "out.png", "--face-race", "black")
    assert result.exit_code == 4, result.output
    assert "no_matching_face" in result.output
    assert "race filter (black)" in result.output
    result = invoke(
        "swap", ASTRONAUT, group, "-o", tmp_path / "out.png", "--face-gender", "female", "--face-age", "30-40"
    )
    assert result.exit_code == 4, result.output
    assert "age filter (30-40)" in result.output
    assert not (tmp_path / "out.png").exists()


def test_bad_filter_values_are_bad_options(invoke: Invoke, group: Path, tmp_path: Path) -> None:
    for age in ("30-20", "20", "0-101"):
        result = invoke("swap", ASTRONAUT, group, "-o", tmp_path / "out.png", "--face-age", age)
        assert result.exit_code == 2, result.output
        assert "bad_option" in result.output
    result = invoke("swap", ASTRONAUT, group, "-o", tmp_path / "out.png", "--face-order", "outside-in")
    assert result.exit_code == 2


def test_a_filter_without_fairface_installed_is_model_missing(
    invoke: Invoke, group: Path, data_dir: Path, tmp_path: Path
) -> None:
    (data_dir / "models" / "fairface.onnx").unlink()
    result = invoke("swap", ASTRONAUT, group, "-o", tmp_path / "out.png", "--face-gender", "male")
    assert result.exit_code == 5, result.output
    assert "model_missing" in result.output
    assert "fairface" in result.output
    changed, _ = run(invoke, group, tmp_path, "--face-order", "right-left")  # an order alone needs no model
    assert changed == [False, False, True]


def test_the_classic_engine_filters_its_own_faces(invoke: Invoke, group: Path, tmp_path: Path) -> None:
    options = ("--engine", "classic", "--faces", "many", "--face-gender", "male")
    changed, report = run(invoke, group, tmp_path, *options, source=GRACE)  # dlib finds the faces itself
    assert report["engine"] == "classic"
    assert "fairface" in report["models"]  # type: ignore[operator]
    assert report["faces_found"] == 3
    assert changed == [False, True, False]


def test_a_video_swaps_only_the_filtered_faces_in_every_frame(
    invoke: Invoke, group: Path, tmp_path: Path
) -> None:
    """Six frames of the group photo: with many + male only the middle face changes, frame after frame."""
    image = cv2.imread(str(group))
    clip = tmp_path / "group.mp4"
    with av.open(str(clip), "w") as out:
        stream = out.add_stream("libx264", rate=10, options={"preset": "ultrafast", "crf": "10"})
        stream.width, stream.height = image.shape[1], image.shape[0]
        stream.pix_fmt = "yuv420p"
        for index in range(6):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            frame.time_base = Fraction(1, 10)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    output = tmp_path / "out.mp4"
    options = ("--faces", "many", "--face-gender", "male", "--json")
    result = invoke("swap", ASTRONAUT, clip, "-o", output, *options)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["faces_swapped"] == 6
    assert "fairface" in report["models"]
    with av.open(str(clip)) as before, av.open(str(output)) as after:
        originals = [f.to_ndarray(format="bgr24") for f in before.decode(video=0)]
        swaps = [f.to_ndarray(format="bgr24") for f in after.decode(video=0)]
    assert len(swaps) == 6
    for original, swap in zip(originals, swaps, strict=True):
        changed = []
        for face in group_faces():
            x1, y1, x2, y2 = (int(v) for v in face.box)
            diff = np.abs(swap[y1:y2, x1:x2].astype(int) - original[y1:y2, x1:x2].astype(int)).mean()
            changed.append(bool(diff > 10))
        assert changed == [False, True, False]
