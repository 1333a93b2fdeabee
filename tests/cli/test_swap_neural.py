"""`faceswap swap` end to end with the neural engine on stand-in ONNX models in a models directory."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.imaging.provenance import read_provenance
from faceswap.models.verify import crc32_file, write_sidecar
from faceswap.testing.standins import StandinFace, letterboxed, write_standin_models
from tests.cli.conftest import ASTRONAUT, Invoke

# the astronaut's face in image pixels (512x512 photo)
ASTRONAUT_FACE = StandinFace(
    box=(175.0, 76.0, 265.0, 166.0),
    kps=[(199.0, 108.0), (240.0, 108.0), (220.0, 130.0), (203.0, 148.0), (237.0, 148.0)],
)
FACE_REGION = (slice(95, 150), slice(190, 250))


def install_standins(models_dir: Path, swapper: str) -> None:
    models_dir.mkdir(parents=True, exist_ok=True)
    faces = letterboxed([ASTRONAUT_FACE], (512, 512, 3))
    for path in write_standin_models(models_dir, faces, swapper).values():  # type: ignore[arg-type]
        write_sidecar(path.with_suffix(".hash"), crc32_file(path))


@pytest.fixture
def constant_models(data_dir: Path) -> Path:
    install_standins(data_dir / "models", "constant")
    return data_dir / "models"


def run_swap(invoke: Invoke, tmp_path: Path, *options: str) -> tuple[dict[str, object], np.ndarray]:
    output = tmp_path / "out.png"
    result = invoke("swap", ASTRONAUT, ASTRONAUT, "-o", output, "--json", *options)
    assert result.exit_code == 0, result.output
    return json.loads(result.output), cv2.imread(str(output))


def test_auto_uses_the_installed_neural_engine(invoke: Invoke, constant_models: Path, tmp_path: Path) -> None:
    report, swapped = run_swap(invoke, tmp_path)
    assert report["engine"] == "inswapper_128"
    assert report["models"] == ["scrfd_2.5g", "arcface_w600k_r50", "inswapper_128"]
    before = cv2.imread(str(ASTRONAUT))
    assert np.abs(before[FACE_REGION].astype(int) - swapped[FACE_REGION].astype(int)).mean() > 20
    rows = np.flatnonzero(np.any(before != swapped, axis=(1, 2)))
    columns = np.flatnonzero(np.any(before != swapped, axis=(0, 2)))
    # the 128 px crop spans ~150 image px around the face; nothing outside that box changes
    assert rows.min() > 20
    assert rows.max() < 230
    assert columns.min() > 120
    assert columns.max() < 320
    record = read_provenance((tmp_path / "out.png").read_bytes())
    assert record is not None
    assert record["models"] == report["models"]


def test_fp16_engine_and_enhancer(invoke: Invoke, constant_models: Path, tmp_path: Path) -> None:
    plain, without = run_swap(invoke, tmp_path, "--engine", "inswapper_128_fp16")
    assert plain["engine"] == "inswapper_128_fp16"
    enhanced, with_enhancer = run_swap(
        invoke, tmp_path, "--engine", "inswapper_128_fp16", "--enhancer", "gfpgan_1.4"
    )
    assert enhanced["enhancer"] == "gfpgan_1.4"
    assert np.abs(without[FACE_REGION].astype(int) - with_enhancer[FACE_REGION].astype(int)).mean() > 5
    assert np.array_equal(without[300:], with_enhancer[300:])


def test_identity_swapper_leaves_the_face_nearly_unchanged(
    invoke: Invoke, data_dir: Path, tmp_path: Path
) -> None:
    install_standins(data_dir / "models", "identity")
    _, swapped = run_swap(invoke, tmp_path, "--engine", "inswapper_128")
    before = cv2.imread(str(ASTRONAUT))
    assert np.abs(before[FACE_REGION].astype(int) - swapped[FACE_REGION].astype(int)).mean() < 6


def test_classic_can_still_be_chosen(invoke: Invoke, constant_models: Path, tmp_path: Path) -> None:
    report, _ = run_swap(invoke, tmp_path, "--engine", "classic")
    assert report["engine"] == "classic"


def test_corrupt_model_file_is_a_model_error(invoke: Invoke, constant_models: Path, tmp_path: Path) -> None:
    swapper = constant_models / "inswapper_128.onnx"
    swapper.write_bytes(b"not an onnx file")
    write_sidecar(swapper.with_suffix(".hash"), crc32_file(swapper))
    result = invoke("swap", ASTRONAUT, ASTRONAUT, "-o", tmp_path / "x.png", "--engine", "inswapper_128")
    assert result.exit_code == 5
    assert "error [model_signature]" in result.output


def test_landmarker_and_detector_angles_options(
    invoke: Invoke, constant_models: Path, tmp_path: Path
) -> None:
    report, swapped = run_swap(
        invoke, tmp_path, "--landmarker", "2dfan4", "--detector-angles", "0,90,180,270", "--faces", "many"
    )
    assert report["models"] == ["scrfd_2.5g", "arcface_w600k_r50", "inswapper_128", "2dfan4", "fan_68_5"]
    # the constant stand-in reports its face in every turned copy: 4 places once mapped back
    assert report["faces_found"] == report["faces_swapped"] == 4
    before = cv2.imread(str(ASTRONAUT))
    assert np.abs(before[FACE_REGION].astype(int) - swapped[FACE_REGION].astype(int)).mean() > 20
    turned = (slice(190, 250), slice(360, 420))  # the face's place turned 90 degrees clockwise
    assert np.abs(before[turned].astype(int) - swapped[turned].astype(int)).mean() > 20


def test_bad_detector_angles_are_refused(invoke: Invoke, constant_models: Path, tmp_path: Path) -> None:
    result = invoke("swap", ASTRONAUT, ASTRONAUT, "-o", tmp_path / "out.png", "--detector-angles", "0,45")
    assert result.exit_code != 0
    assert "0, 90, 180, 270" in result.output


def test_a_missing_landmark_model_is_named(invoke: Invoke, constant_models: Path, tmp_path: Path) -> None:
    (constant_models / "fan_68_5.onnx").unlink()
    result = invoke("swap", ASTRONAUT, ASTRONAUT, "-o", tmp_path / "out.png", "--landmarker", "2dfan4")
    assert result.exit_code != 0
    assert "faceswap models download fan_68_5" in result.output
