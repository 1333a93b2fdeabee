"""Fixtures of the classic engine tests: the shared photos and one engine for the whole session."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import Settings
from faceswap.engine.classic import build_classic_engine
from faceswap.engine.protocols import Engine
from faceswap.engine.types import Face, ImageBGR

FACES = Path(__file__).resolve().parents[3] / ".." / "shared" / "faces"


def read_image(name: str) -> ImageBGR:
    image = cv2.imread(str(FACES / name), cv2.IMREAD_COLOR)
    assert image is not None, f"cannot read {FACES / name}"
    return np.asarray(image, dtype=np.uint8)


@pytest.fixture(scope="session")
def astronaut() -> ImageBGR:
    return read_image("astronaut.png")


@pytest.fixture(scope="session")
def grace() -> ImageBGR:
    return read_image("grace_hopper.jpg")


@pytest.fixture(scope="session")
def classic_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return build_classic_engine(Settings(data_dir=tmp_path_factory.mktemp("data")))


@pytest.fixture(scope="session")
def astronaut_face(classic_engine: Engine, astronaut: ImageBGR) -> Face:
    faces = classic_engine.analyser.analyse(astronaut)
    assert len(faces) == 1
    return faces[0]


@pytest.fixture(scope="session")
def grace_face(classic_engine: Engine, grace: ImageBGR) -> Face:
    faces = classic_engine.analyser.analyse(grace)
    assert len(faces) == 1
    return faces[0]
