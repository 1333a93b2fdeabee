"""Each face and frame enhancer entry: its file verifies against its CRC32 sidecar, a damaged copy does not,
and its signature check loads the right stand-in and refuses a file made for another size or scale."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from faceswap.choices import ModelName
from faceswap.config import EngineSettings
from faceswap.engine.onnx.session import open_session
from faceswap.errors import ModelSignatureError
from faceswap.models.catalog import CATALOG, names_for_role
from faceswap.models.registry import ModelRegistry
from faceswap.testing.enhancer_standins import write_frame_enhancer_standin, write_random_enhancer_standin
from faceswap.testing.standins import write_enhancer_standin, write_inswapper_standin

NEW_FACE_ENHANCERS: tuple[ModelName, ...] = (
    "gfpgan_1.2",
    "gfpgan_1.3",
    "gpen_bfr_256",
    "gpen_bfr_512",
    "gpen_bfr_1024",
    "gpen_bfr_2048",
)
FRAME_ENHANCERS = names_for_role("frame_enhancer")
SETTINGS = EngineSettings(providers=["cpu"])


def write_standin(path: Path, name: ModelName) -> Path:
    if name in FRAME_ENHANCERS:
        return write_frame_enhancer_standin(path, name)
    return write_enhancer_standin(path, "gfpgan", CATALOG[name].input_size[0])


@pytest.mark.parametrize("name", [*NEW_FACE_ENHANCERS, *FRAME_ENHANCERS])
def test_the_file_verifies_against_its_sidecar_and_a_damaged_one_does_not(
    models_dir: Path, name: ModelName
) -> None:
    spec = CATALOG[name]
    path = write_standin(models_dir / spec.file, name)
    body = path.read_bytes()
    (models_dir / spec.hash_file).write_text(f"{zlib.crc32(body):08x}")
    registry = ModelRegistry(models_dir)
    assert registry.path(name) == path
    assert registry.verify(name).outcome == "ok"
    assert registry.status(name, deep=True) == "installed"
    (models_dir / spec.hash_file).write_text(f"{zlib.crc32(body) ^ 1:08x}")
    assert registry.verify(name).outcome == "mismatch"
    assert registry.status(name, deep=True) == "corrupt"


@pytest.mark.parametrize("name", NEW_FACE_ENHANCERS)
def test_a_face_enhancer_loads_at_its_size_and_refuses_another(tmp_path: Path, name: ModelName) -> None:
    size = CATALOG[name].input_size[0]
    right = write_random_enhancer_standin(tmp_path / "right.onnx", size)
    assert open_session(name, right, SETTINGS).input_shape() == [1, 3, size, size]
    other = 512 if size != 512 else 256
    with pytest.raises(ModelSignatureError, match="expected"):
        open_session(name, write_enhancer_standin(tmp_path / "other.onnx", "gfpgan", other), SETTINGS)
    with pytest.raises(ModelSignatureError):
        open_session(name, write_inswapper_standin(tmp_path / "swapper.onnx"), SETTINGS)


@pytest.mark.parametrize("name", FRAME_ENHANCERS)
def test_a_frame_enhancer_loads_at_its_scale_and_refuses_another(tmp_path: Path, name: ModelName) -> None:
    right = write_frame_enhancer_standin(tmp_path / "right.onnx", name)
    assert open_session(name, right, SETTINGS).input_names() == ["input"]
    wrong_scale = "real_esrgan_x2" if "x4" in name else "real_esrgan_x4"
    wrong = write_frame_enhancer_standin(tmp_path / "wrong.onnx", wrong_scale)
    with pytest.raises(ModelSignatureError, match="expected"):
        open_session(name, wrong, SETTINGS)
    face = write_enhancer_standin(tmp_path / "face.onnx")
    with pytest.raises(ModelSignatureError):
        open_session(name, face, SETTINGS)
