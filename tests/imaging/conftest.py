"""Real photographs and small pixel arrays for the imaging tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

FACES_DIR = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    return FACES_DIR


@pytest.fixture(scope="session")
def photo_bgr() -> NDArray[np.uint8]:
    """A 96x80 crop of the astronaut photo (her face), BGR, read independently of faceswap."""
    rgb = np.asarray(Image.open(FACES_DIR / "astronaut.png").convert("RGB"))
    return np.ascontiguousarray(rgb[40:136, 170:250, ::-1])


@pytest.fixture(scope="session")
def photo_alpha(photo_bgr: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A binary alpha plane: a transparent band at the top and left, opaque elsewhere."""
    alpha = np.full(photo_bgr.shape[:2], 255, np.uint8)
    alpha[:20, :] = 0
    alpha[:, :10] = 0
    return alpha
