"""`faceswap swap --engine <swapper>` for the swapper families on stand-ins, and what each refuses."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import numpy as np
import pytest

from faceswap.choices import SwapperName
from faceswap.errors import BadOptionError, ModelMissingError
from faceswap.models.verify import crc32_file, write_sidecar
from faceswap.testing.standins import letterboxed, write_standin_models
from tests.cli.conftest import ASTRONAUT, Invoke
from tests.cli.test_swap_neural import ASTRONAUT_FACE, FACE_REGION, run_swap

COLOUR_BGR = np.array([102, 204, 51])


@pytest.fixture
def every_swapper(data_dir: Path) -> Path:
    folder = data_dir / "models"
    folder.mkdir(parents=True)
    faces = letterboxed([ASTRONAUT_FACE], (512, 512, 3))
    for path in write_standin_models(folder, faces, "constant", get_args(SwapperName)).values():
        write_sidecar(path.with_suffix(".hash"), crc32_file(path))
    return folder


@pytest.mark.parametrize("engine", ["hyperswap_1b_256", "simswap_256", "ghost_2_256", "uniface_256"])
def test_a_named_swapper_swaps_and_reports_its_models(
    invoke: Invoke, every_swapper: Path, tmp_path: Path, engine: str
) -> None:
    report, swapped = run_swap(invoke, tmp_path, "--engine", engine)
    assert report["engine"] == engine
    assert engine in report["models"]  # type: ignore[operator]
    centre = swapped[FACE_REGION].reshape(-1, 3).astype(int)
    assert (np.abs(centre - COLOUR_BGR).max(axis=1) <= 2).mean() > 0.5  # the stand-in's colour


def test_auto_prefers_hyperswap_when_everything_is_installed(
    invoke: Invoke, every_swapper: Path, tmp_path: Path
) -> None:
    report, _ = run_swap(invoke, tmp_path)
    assert report["engine"] == "hyperswap_1a_256"
    assert report["models"] == ["scrfd_2.5g", "arcface_w600k_r50", "hyperswap_1a_256"]


def test_an_image_source_swapper_refuses_an_identity_weight(
    invoke: Invoke, every_swapper: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.png"
    result = invoke(
        "swap", ASTRONAUT, ASTRONAUT, "-o", output, "--engine", "blendswap_256", "--swapper-weight", "0.5"
    )
    assert result.exit_code == BadOptionError.exit_code
    assert "weight" in result.output
    assert not output.exists()


def test_a_missing_converter_is_named(invoke: Invoke, every_swapper: Path, tmp_path: Path) -> None:
    (every_swapper / "crossface_hififace.onnx").unlink()
    result = invoke(
        "swap", ASTRONAUT, ASTRONAUT, "-o", tmp_path / "o.png", "--engine", "hififace_unofficial_256"
    )
    assert result.exit_code == ModelMissingError.exit_code
    assert "faceswap models download crossface_hififace" in result.output
