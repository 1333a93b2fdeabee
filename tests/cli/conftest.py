"""Real photos, a group photo composed from them, and a CLI runner with an isolated data directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner, Result

from faceswap.cli.main import cli

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
ASTRONAUT = FACES / "astronaut.png"
GRACE = FACES / "grace_hopper.jpg"

Invoke = Callable[..., Result]


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(root))
    monkeypatch.delenv("FACESWAP_MODELS_DIR", raising=False)
    monkeypatch.delenv("FACESWAP_ENGINE__ENGINE", raising=False)
    return root


@pytest.fixture
def invoke(data_dir: Path) -> Invoke:
    def run(*args: str | Path) -> Result:
        return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)

    return run


@pytest.fixture(scope="session")
def group_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Astronaut on the left, Grace Hopper on the right, on a grey canvas with a margin between them."""
    left, right = cv2.imread(str(ASTRONAUT)), cv2.imread(str(GRACE))
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + right.shape[1] + 64, 3), 128, np.uint8)
    canvas[: left.shape[0], : left.shape[1]] = left
    canvas[: right.shape[0], left.shape[1] + 64 :] = right
    path = tmp_path_factory.mktemp("group") / "group.png"
    cv2.imwrite(str(path), canvas)
    return path
