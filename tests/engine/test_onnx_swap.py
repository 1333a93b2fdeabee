"""The neural engine end to end on stand-ins and a real photo: swap, emap, batching, enhancement."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.choices import ModelName
from faceswap.config import EngineSettings, Settings
from faceswap.engine.geometry import paste_box, warp_face
from faceswap.engine.onnx.engine import build_enhancer, build_neural_engine
from faceswap.engine.onnx.enhancer import OnnxEnhancer
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.swap_sources import prepare_latents, read_emap
from faceswap.engine.onnx.swapper import load_swapper
from faceswap.engine.protocols import Engine
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.errors import ModelSignatureError
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER, PhotoFace
from faceswap.testing.standins import (
    StandinFace,
    letterboxed,
    write_arcface_standin,
    write_enhancer_standin,
    write_inswapper_standin,
    write_standin_models,
)

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
COLOUR_BGR = (102, 204, 51)  # the constant stand-in's (0.2, 0.8, 0.4) RGB


def face_of(photo: PhotoFace) -> Face:
    return Face(box=np.array(photo.box, np.float32), kps=np.array(photo.kps, np.float32), score=0.9)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return cv2.imread(str(FACES / ASTRONAUT.file))


@pytest.fixture(scope="module")
def identity() -> Identity:
    hopper = cv2.imread(str(FACES / GRACE_HOPPER.file))
    embedding = np.random.default_rng(3).standard_normal(512).astype(np.float32)
    return Identity((SourceFace(hopper, face_of(GRACE_HOPPER)),), embedding / np.linalg.norm(embedding))


def outside_mask(image: np.ndarray, face: Face) -> np.ndarray:
    _, matrix = warp_face(image, face.kps, "arcface_128", 128)
    x0, y0, x1, y1 = paste_box((128, 128), matrix, image.shape[:2])
    outside = np.ones(image.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    return outside


@dataclass(frozen=True)
class Standins:
    settings: Settings
    paths: dict[str, dict[ModelName, Path]]  # by swapper kind
    engines: dict[str, Engine]  # "kind/swapper"


@pytest.fixture(scope="module")
def standins(tmp_path_factory: pytest.TempPathFactory, astronaut: np.ndarray) -> Standins:
    settings = Settings(data_dir=tmp_path_factory.mktemp("data"))
    faces = letterboxed([StandinFace(ASTRONAUT.box, ASTRONAUT.kps)], astronaut.shape)
    paths = {
        "identity": write_standin_models(tmp_path_factory.mktemp("identity"), faces, "identity"),
        "constant": write_standin_models(tmp_path_factory.mktemp("constant"), faces, "constant"),
    }
    engines = {
        f"{kind}/{swapper}": build_neural_engine(settings, swapper, model_path=paths[kind].__getitem__)
        for kind in paths
        for swapper in ("inswapper_128", "inswapper_128_fp16")
    }
    return Standins(settings, paths, engines)


def test_identity_swapper_leaves_the_face_nearly_unchanged(
    standins: Standins, astronaut: np.ndarray, identity: Identity
) -> None:
    engine = standins.engines["identity/inswapper_128"]
    faces = engine.analyser.analyse(astronaut)
    assert len(faces) == 1
    assert engine.name == "inswapper_128"
    assert engine.models == ("scrfd_2.5g", "arcface_w600k_r50", "inswapper_128")
    result = engine.swapper.swap(astronaut, faces[0], identity)
    assert result.shape == astronaut.shape
    region = (slice(95, 145), slice(200, 250))
    assert np.abs(result[region].astype(int) - astronaut[region]).mean() < 6.0  # a 128 px round trip
    outside = outside_mask(astronaut, faces[0])
    assert np.array_equal(result[outside], astronaut[outside])


@pytest.mark.parametrize("swapper", ["inswapper_128", "inswapper_128_fp16"])
def test_constant_swapper_changes_only_the_face(
    standins: Standins, astronaut: np.ndarray, identity: Identity, swapper: str
) -> None:
    engine = standins.engines[f"constant/{swapper}"]
    face = engine.analyser.analyse(astronaut)[0]
    result = engine.swapper.swap(astronaut, face, identity)
    np.testing.assert_allclose(result[120, 225], COLOUR_BGR, atol=2)
    assert np.abs(result[100:140, 205:245].astype(int) - astronaut[100:140, 205:245]).mean() > 30
    outside = outside_mask(astronaut, face)
    assert outside.mean() > 0.8
    assert np.array_equal(result[outside], astronaut[outside])
    assert np.array_equal(result[:30], astronaut[:30])  # far from the face


def test_emap_is_the_last_initializer_and_shapes_the_latent(tmp_path: Path) -> None:
    permutation = np.eye(512, dtype=np.float32)[::-1]  # reverses the embedding
    path = write_inswapper_standin(tmp_path / "s.onnx", "constant", emap=permutation * 3.0)
    emap = read_emap(path)
    np.testing.assert_array_equal(emap, permutation * 3.0)
    embedding = np.arange(1, 513, dtype=np.float32)
    latent = prepare_latents(embedding, emap)
    expected = embedding[::-1] / np.linalg.norm(embedding)
    np.testing.assert_allclose(latent[0], expected, rtol=1e-5)
    half = read_emap(write_inswapper_standin(tmp_path / "h.onnx", fp16=True, emap=permutation * 0.5))
    assert half.dtype == np.float32
    np.testing.assert_array_equal(half, permutation * 0.5)


def test_read_emap_rejects_a_model_without_a_trailing_emap(tmp_path: Path) -> None:
    with pytest.raises(ModelSignatureError, match="emap"):
        read_emap(write_arcface_standin(tmp_path / "arcface.onnx"))


@pytest.mark.parametrize("dynamic", [True, False])
def test_batch_and_single_swaps_agree(
    tmp_path: Path, astronaut: np.ndarray, identity: Identity, dynamic: bool
) -> None:
    path = write_inswapper_standin(tmp_path / "s.onnx", "constant", dynamic_batch=dynamic)
    swapper = load_swapper(open_session("inswapper_128", path, EngineSettings()), SWAPPERS["inswapper_128"])
    face = face_of(ASTRONAUT)
    flipped = np.ascontiguousarray(astronaut[:, ::-1])
    flipped_face = Face(
        box=np.array([511 - face.box[2], face.box[1], 511 - face.box[0], face.box[3]], np.float32),
        kps=np.array([[511 - x, y] for x, y in face.kps[[1, 0, 2, 4, 3]]], np.float32),
        score=0.9,
    )
    frames, targets = [astronaut, flipped, astronaut], [face, flipped_face, face]
    batch = swapper.swap_batch(frames, targets, [identity] * 3)
    for frame, target, swapped in zip(frames, targets, batch, strict=True):
        np.testing.assert_array_equal(swapped, swapper.swap(frame, target, identity))
    assert not np.array_equal(batch[0], astronaut)


def test_enhancer_blends_in_the_face_and_nothing_else(standins: Standins, astronaut: np.ndarray) -> None:
    paths, settings = standins.paths["identity"], standins.settings
    face = face_of(ASTRONAUT)
    gfpgan = build_enhancer(settings, "gfpgan_1.4", paths.__getitem__)
    assert np.array_equal(gfpgan.enhance(astronaut, face, 0.0), astronaut)
    full = gfpgan.enhance(astronaut, face, 1.0)
    partial = gfpgan.enhance(astronaut, face, 0.5)
    # the stand-in inverts colours: blend 1 gives the negative, blend 0.5 mid-grey, at the face's centre
    np.testing.assert_allclose(full[120, 225], 255 - astronaut[120, 225].astype(int), atol=4)
    np.testing.assert_allclose(partial[120, 225], [127.5] * 3, atol=4)
    _, matrix = warp_face(astronaut, face.kps, "ffhq_512", 512)
    x0, y0, x1, y1 = paste_box((512, 512), matrix, astronaut.shape[:2])
    outside = np.ones(astronaut.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert outside.any()
    assert np.array_equal(full[outside], astronaut[outside])


def test_codeformer_receives_its_fidelity_weight(standins: Standins, astronaut: np.ndarray) -> None:
    paths = standins.paths["identity"]
    codeformer = build_enhancer(standins.settings, "codeformer", paths.__getitem__)
    assert isinstance(codeformer, OnnxEnhancer)
    face = face_of(ASTRONAUT)
    zero_weight = replace(codeformer, fidelity=0.0)
    # weight 0 makes the stand-in output 0, i.e. mid-grey
    np.testing.assert_allclose(zero_weight.enhance(astronaut, face, 1.0)[120, 225], [128] * 3, atol=2)
    assert not np.array_equal(
        codeformer.enhance(astronaut, face, 1.0), zero_weight.enhance(astronaut, face, 1.0)
    )


def test_enhancer_of_the_wrong_shape_is_rejected(tmp_path: Path) -> None:
    swapper_file = write_inswapper_standin(tmp_path / "s.onnx")
    with pytest.raises(ModelSignatureError):
        open_session("gfpgan_1.4", swapper_file, EngineSettings())
    enhancer = write_enhancer_standin(tmp_path / "e.onnx", "codeformer")
    assert open_session("codeformer", enhancer, EngineSettings()).input_names() == ["input", "weight"]
