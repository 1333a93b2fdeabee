"""The face and frame enhancers' conventions, against references this test computes itself from the
published facts (FaceFusion's tables and the models' authors' code), with random-weight stand-ins.

Face enhancers: the crop is aligned on the model's template at its size (``gpen_bfr_256``: ``arcface_128``
at 256; the others ``ffhq_512`` at 512, 1024 or 2048), fed RGB in [-1, 1], and the output is RGB in
[-1, 1]. The stand-in answers ``tanh(W x + b + wave)`` with a wave in crop coordinates, so the enhanced
face lands where the reference puts it only with the right template and size; a BGR feed or a missing
de-normalisation lands far from it. A model fed at another size than its own fails outright (fixed input
shape). Frame enhancers: NCHW tiles, RGB, ``x / 255`` in, RGB in [0, 1] out, ``scale`` times larger.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from onnxruntime.capi.onnxruntime_pybind11_state import InvalidArgument

from faceswap.choices import ModelName
from faceswap.config import EngineSettings, Settings
from faceswap.engine.onnx.engine import build_enhancer, build_frame_enhancer
from faceswap.engine.types import Face
from faceswap.models.catalog import CATALOG
from faceswap.testing.enhancer_standins import (
    enhancer_pattern,
    enhancer_weights,
    frame_weights,
    write_frame_enhancer_standin,
    write_random_enhancer_standin,
)
from faceswap.testing.photos import ASTRONAUT

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"

# The published templates (unit square; left eye, right eye, nose, left and right mouth corner).
TEMPLATES = {
    "ffhq_512": [
        (0.37691676, 0.46864664),
        (0.62285697, 0.46912813),
        (0.50123859, 0.61331904),
        (0.39308822, 0.72541100),
        (0.61150205, 0.72490465),
    ],
    "arcface_128": [
        (0.36167656, 0.40387734),
        (0.63696719, 0.40235469),
        (0.50019687, 0.56044219),
        (0.38710391, 0.72160547),
        (0.61507734, 0.72034453),
    ],
}
# The published template and crop size of each new face enhancer.
FACE_FACTS: dict[ModelName, tuple[str, int]] = {
    "gfpgan_1.2": ("ffhq_512", 512),
    "gfpgan_1.3": ("ffhq_512", 512),
    "gpen_bfr_256": ("arcface_128", 256),
    "gpen_bfr_512": ("ffhq_512", 512),
    "gpen_bfr_1024": ("ffhq_512", 1024),
    "gpen_bfr_2048": ("ffhq_512", 2048),
}


@pytest.fixture(scope="module")
def astronaut() -> NDArray[np.uint8]:
    return np.asarray(cv2.imread(str(FACES / ASTRONAUT.file)), np.uint8)


def face() -> Face:
    return Face(box=np.array(ASTRONAUT.box, np.float32), kps=np.array(ASTRONAUT.kps, np.float32), score=0.9)


def reference_enhance(
    image: NDArray[np.uint8],
    template: str,
    size: int,
    model_size: int,
    *,
    rgb: bool = True,
    denormalise: bool = True,
) -> tuple[NDArray[np.uint8], NDArray[np.bool_]]:
    """The enhanced frame (blend 1) by the facts, and the frame pixels well inside the pasted crop
    (``model_size``: the stand-in's own size, ``size``: the crop the reference aligns at)."""
    destination = np.array(TEMPLATES[template], np.float32) * size
    matrix, _ = cv2.estimateAffinePartial2D(
        np.array(ASTRONAUT.kps, np.float32), destination, method=cv2.RANSAC, ransacReprojThreshold=100.0
    )
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    crop = cv2.resize(crop, (model_size, model_size), interpolation=cv2.INTER_LINEAR)
    channels = crop[..., ::-1] if rgb else crop
    x = channels.astype(np.float32) / np.float32(127.5) - np.float32(1.0)  # H x W x 3, model channel order
    mix, bias = enhancer_weights()
    y = np.tanh(x @ mix.T + bias + enhancer_pattern(model_size).transpose(1, 2, 0))
    pixels = (np.clip(y, -1, 1) + 1) * 127.5 if denormalise else np.clip(y, 0, 1) * 255
    out = np.rint(pixels[..., ::-1] if rgb else pixels).astype(np.uint8)
    out = cv2.resize(out, (size, size), interpolation=cv2.INTER_LINEAR)
    inverse = cv2.invertAffineTransform(matrix)
    height, width = image.shape[:2]
    back = cv2.warpAffine(out, inverse, (width, height), flags=cv2.INTER_LINEAR)
    core = np.zeros((size, size), np.uint8)
    core[int(size * 0.3) : int(size * 0.7), int(size * 0.3) : int(size * 0.7)] = 1
    inside = cv2.warpAffine(core, inverse, (width, height), flags=cv2.INTER_NEAREST).astype(bool)
    result = image.copy()
    result[inside] = back[inside]
    return result, inside


def mean_difference(a: NDArray[np.uint8], b: NDArray[np.uint8], where: NDArray[np.bool_]) -> float:
    return float(np.abs(a[where].astype(np.float64) - b[where].astype(np.float64)).mean())


@pytest.mark.parametrize("geometry", ["off", "on"])
@pytest.mark.parametrize("name", list(FACE_FACTS))
def test_a_face_enhancer_aligns_feeds_and_reads_back_as_published(
    tmp_path: Path, astronaut: NDArray[np.uint8], name: ModelName, geometry: str
) -> None:
    template, size = FACE_FACTS[name]
    write_random_enhancer_standin(tmp_path / CATALOG[name].file, size)
    settings = Settings(data_dir=tmp_path, engine=EngineSettings(providers=["cpu"], gpu_geometry=geometry))
    enhancer = build_enhancer(settings, name, lambda n: tmp_path / CATALOG[n].file)
    assert (enhancer.geometry is not None) == (geometry == "on")
    result = enhancer.enhance(astronaut, face(), 1.0)
    expected, inside = reference_enhance(astronaut, template, size, size)
    assert inside.sum() > 500
    assert mean_difference(result, expected, inside) < 2.0
    other = "ffhq_512" if template == "arcface_128" else "arcface_128"
    wrong = {
        "template": reference_enhance(astronaut, other, size, size)[0],
        "channel order": reference_enhance(astronaut, template, size, size, rgb=False)[0],
        "de-normalisation": reference_enhance(astronaut, template, size, size, denormalise=False)[0],
    }
    for mistake, image in wrong.items():
        assert mean_difference(result, image, inside) > 8.0, mistake


@pytest.mark.parametrize("name", ["gpen_bfr_256", "gpen_bfr_1024"])
def test_a_face_enhancer_fed_at_another_size_fails(
    tmp_path: Path, astronaut: NDArray[np.uint8], name: ModelName
) -> None:
    write_random_enhancer_standin(tmp_path / CATALOG[name].file, FACE_FACTS[name][1])
    settings = Settings(data_dir=tmp_path, engine=EngineSettings(providers=["cpu"]))
    enhancer = build_enhancer(settings, name, lambda n: tmp_path / CATALOG[n].file)
    with pytest.raises(InvalidArgument):
        replace(enhancer, size=512).enhance(astronaut, face(), 1.0)


def reference_upscale(
    image: NDArray[np.uint8], scale: int, *, rgb: bool = True, unit: bool = True, times_255: bool = True
) -> NDArray[np.uint8]:
    """The frame enhancer stand-in's answer for the whole frame, by the facts."""
    channels = image[..., ::-1] if rgb else image
    x = channels.astype(np.float64) / (255.0 if unit else 1.0)
    mix, bias = frame_weights()
    y = 0.5 + 0.5 * np.tanh(x @ mix.T.astype(np.float64) + bias)
    pixels = np.clip(y, 0, 1) * (255.0 if times_255 else 1.0)
    out = np.rint(pixels[..., ::-1] if rgb else pixels).astype(np.uint8)
    return np.repeat(np.repeat(out, scale, axis=0), scale, axis=1)


@pytest.mark.parametrize("name", ["real_esrgan_x2", "real_esrgan_x4_fp16", "span_kendata_x4"])
def test_a_frame_enhancer_feeds_and_reads_back_as_published(
    tmp_path: Path, astronaut: NDArray[np.uint8], name: ModelName
) -> None:
    write_frame_enhancer_standin(tmp_path / CATALOG[name].file, name, "random")
    settings = Settings(data_dir=tmp_path, engine=EngineSettings(providers=["cpu"]))
    upscaler = build_frame_enhancer(settings, name, lambda n: tmp_path / CATALOG[n].file)
    image = astronaut[:300, :350]  # several tiles, an odd number of them
    scale = CATALOG[name].tiling.scale  # type: ignore[union-attr]
    result = upscaler.upscale(image)
    assert result.shape == (300 * scale, 350 * scale, 3)
    everywhere = np.ones(result.shape[:2], bool)
    tolerance = 2.0 if name.endswith("_fp16") else 0.6
    assert mean_difference(result, reference_upscale(image, scale), everywhere) < tolerance
    wrong = {
        "channel order": reference_upscale(image, scale, rgb=False),
        "normalisation": reference_upscale(image, scale, unit=False),
        "de-normalisation": reference_upscale(image, scale, times_255=False),
    }
    for mistake, other in wrong.items():
        assert mean_difference(result, other, everywhere) > 8.0, mistake
