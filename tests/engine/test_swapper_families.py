"""Each swapper family's pre- and post-processing against the published convention.

A random-weight stand-in per family (``W x + b + t(source)``, :func:`write_random_swapper_standin`) runs
inside the real swapper; the test computes the same swap independently from the published facts written
out below (FaceFusion's model table: template points, crop size, RGB ``(x / 255 - mean) / std``, which
families de-normalise, what the ``source`` input is) and compares. Each test also shows that the stand-in
is sensitive: a channel swap, a wrong mean/std, a wrong template, a missing or extra de-normalisation or
a wrong source changes the expected result by far more than the tolerance.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from faceswap.choices import EmbeddingConverterName, SwapperName
from faceswap.config import EngineSettings
from faceswap.engine.geometry import paste_back_all, paste_mask
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.swap_sources import EmbeddingConverter
from faceswap.engine.onnx.swapper import OnnxSwapper, load_swapper
from faceswap.engine.options import SwapOptions
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.errors import BadOptionError
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.photos import ASTRONAUT, GRACE_HOPPER, PhotoFace
from faceswap.testing.swapper_standins import (
    RandomSwapper,
    write_converter_standin,
    write_random_swapper_standin,
)

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
SETTINGS = EngineSettings(providers=["cpu"])

# Published facts (FaceFusion's face swapper table and warp templates), independent of our catalog.
TEMPLATES = {
    "arcface_112_v1": [(0.35473214, 0.45658929), (0.64526786, 0.45658929), (0.5, 0.61154464), (0.37913393, 0.776875), (0.62086607, 0.776875)],
    "arcface_112_v2": [(0.34191607, 0.46157411), (0.65653393, 0.45983393), (0.500225, 0.64050536), (0.37097589, 0.82469196), (0.63151696, 0.82325089)],
    "arcface_128": [(0.36167656, 0.40387734), (0.63696719, 0.40235469), (0.50019687, 0.56044219), (0.38710391, 0.72160547), (0.61507734, 0.72034453)],
    "ffhq_512": [(0.37691676, 0.46864664), (0.62285697, 0.46912813), (0.50123859, 0.61331904), (0.39308822, 0.725411), (0.61150205, 0.72490465)],
    "mtcnn_512": [(0.36562865, 0.46733799), (0.63305391, 0.46585885), (0.50019127, 0.61942959), (0.39032951, 0.77598822), (0.61178945, 0.77476328)],
}  # fmt: skip
UNIT = ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0))
HALF = ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
IMAGENET = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
# name: template, size, (mean, std), output de-normalised, source, source crop (template, size)
FACTS: dict[SwapperName, tuple[str, int, tuple[tuple[float, ...], tuple[float, ...]], bool, str, tuple[str, int] | None]] = {
    "inswapper_128": ("arcface_128", 128, UNIT, False, "emap", None),
    "hyperswap_1a_256": ("arcface_128", 256, HALF, True, "embedding", None),
    "simswap_256": ("arcface_112_v1", 256, IMAGENET, False, "converted", None),
    "simswap_unofficial_512": ("arcface_112_v1", 512, UNIT, False, "converted", None),
    "ghost_1_256": ("arcface_112_v1", 256, HALF, True, "converted_raw", None),
    "hififace_unofficial_256": ("mtcnn_512", 256, HALF, True, "converted", None),
    "blendswap_256": ("ffhq_512", 256, UNIT, False, "image", ("arcface_112_v2", 112)),
    "uniface_256": ("ffhq_512", 256, HALF, True, "image", ("ffhq_512", 256)),
}  # fmt: skip
FAMILIES = list(FACTS)


def photo(face: PhotoFace) -> tuple[np.ndarray, Face]:
    image = cv2.imread(str(FACES / face.file))
    assert image is not None
    return image, Face(np.array(face.box, np.float32), np.array(face.kps, np.float32), 0.9)


def unit(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def ref_warp(image: np.ndarray, kps: np.ndarray, template: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    points = np.array(TEMPLATES[template], np.float32) * size
    matrix = cv2.estimateAffinePartial2D(kps, points, method=cv2.RANSAC, ransacReprojThreshold=100.0)[0]
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return crop, matrix


def ref_prepare(
    crop: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...], rgb: bool = True
) -> np.ndarray:
    pixels = crop[:, :, ::-1] if rgb else crop
    x = (pixels.astype(np.float64) / 255.0 - np.array(mean)) / np.array(std)
    return x.transpose(2, 0, 1)[None]


def ref_forward(weights: RandomSwapper, x: np.ndarray, source: np.ndarray) -> np.ndarray:
    term = source.mean(axis=(2, 3)) @ weights.project if source.ndim == 4 else source @ weights.project
    mixed = np.einsum("ck,bkhw->bchw", weights.mix.astype(np.float64), x)
    return mixed + weights.bias.reshape(1, 3, 1, 1) + term.reshape(-1, 3, 1, 1)


def ref_post(y: np.ndarray, mean: tuple[float, ...], std: tuple[float, ...], denormalise: bool) -> np.ndarray:
    if denormalise:
        y = y * np.array(std).reshape(1, 3, 1, 1) + np.array(mean).reshape(1, 3, 1, 1)
    rgb = np.rint(np.clip(y, 0.0, 1.0) * 255.0)[0].transpose(1, 2, 0)
    return rgb[:, :, ::-1].astype(np.uint8)


class Case:
    """One family's stand-in swapper, its weights, the converter matrix and the photos."""

    def __init__(self, tmp_path: Path, name: SwapperName) -> None:
        self.name = name
        self.weights = write_random_swapper_standin(tmp_path / f"{name}.onnx", name, seed=7)
        spec = SWAPPERS[name]
        converter = None
        self.matrix: np.ndarray | None = None
        if spec.converter is not None:
            self.matrix = write_converter_standin(tmp_path / "converter.onnx", seed=5)
            converter_name: EmbeddingConverterName = spec.converter
            converter = EmbeddingConverter(
                open_session(converter_name, tmp_path / "converter.onnx", SETTINGS)
            )
        model = open_session(name, tmp_path / f"{name}.onnx", SETTINGS)
        self.swapper: OnnxSwapper = load_swapper(model, spec, converter)
        self.frame, self.target = photo(ASTRONAUT)
        source_image, source_face = photo(GRACE_HOPPER)
        vector = np.random.default_rng(3).standard_normal(512).astype(np.float32)
        self.identity = Identity((SourceFace(source_image, source_face),), unit(vector))

    def source(self, kind: str, crop: tuple[str, int] | None) -> np.ndarray:
        """The ``source`` input as the published convention of ``kind`` makes it."""
        e = self.identity.embedding.astype(np.float64)[None]
        if kind == "emap":
            assert self.weights.emap is not None
            return unit(unit(e) @ self.weights.emap)
        if kind == "embedding":
            return unit(e)
        if kind in ("converted", "converted_raw"):
            assert self.matrix is not None
            converted = e @ self.matrix
            return unit(converted) if kind == "converted" else converted
        assert crop is not None
        face = self.identity.faces[0]
        source_crop, _ = ref_warp(face.image, face.face.kps, *crop)
        return source_crop[:, :, ::-1].astype(np.float64).transpose(2, 0, 1)[None] / 255.0

    def expected(
        self,
        template: str,
        size: int,
        mean: tuple[float, ...],
        std: tuple[float, ...],
        denormalise: bool,
        source: np.ndarray,
        rgb: bool = True,
    ) -> np.ndarray:
        """The swapped frame computed from the facts given (masked and pasted back as the engine does)."""
        crop, matrix = ref_warp(self.frame, self.target.kps, template, size)
        y = ref_forward(self.weights, ref_prepare(crop, mean, std, rgb), source)
        swapped = ref_post(y, mean, std, denormalise)
        return paste_back_all([self.frame], [swapped], paste_mask(size, 0.3), [matrix])[0]


def differs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b.astype(int)).mean())


@pytest.mark.parametrize("name", FAMILIES)
def test_swap_follows_the_published_convention(tmp_path: Path, name: SwapperName) -> None:
    template, size, (mean, std), denormalise, kind, crop = FACTS[name]
    case = Case(tmp_path, name)
    result = case.swapper.swap(case.frame, case.target, case.identity)
    source = case.source(kind, crop)
    expected = case.expected(template, size, mean, std, denormalise, source)
    assert np.abs(result.astype(int) - expected.astype(int)).max() <= 1
    assert differs(result, case.frame) > 0.5  # the face did change

    # the stand-in tells every convention apart: each wrong variant moves the result far past 1 level
    swapped_std = (std[2], std[1], std[0]) if std[0] != std[2] else std
    wrong: dict[str, Callable[[], np.ndarray]] = {
        "BGR": lambda: case.expected(template, size, mean, std, denormalise, source, rgb=False),
        "mean/std": lambda: case.expected(
            template, size, *(HALF if (mean, std) == UNIT else UNIT), denormalise, source
        ),
        "template": lambda: case.expected("arcface_112_v2", size, mean, std, denormalise, source),
        "de-normalisation": lambda: case.expected(template, size, mean, std, not denormalise, source),
        "channel order of std": lambda: case.expected(
            template, size, mean[::-1], swapped_std, denormalise, source
        ),
    }
    if kind in ("converted", "converted_raw"):
        other = "converted_raw" if kind == "converted" else "converted"
        wrong["converter normalisation"] = lambda: case.expected(
            template, size, mean, std, denormalise, case.source(other, None)
        )
    if kind == "emap":  # the emap projection left out
        wrong["source"] = lambda: case.expected(
            template, size, mean, std, denormalise, case.source("embedding", None)
        )
    if kind == "embedding":  # a raw ArcFace embedding (norm about 20) instead of the normalised one
        wrong["source"] = lambda: case.expected(template, size, mean, std, denormalise, 20.0 * source)
    if crop is not None:
        other_crop = ("ffhq_512", 256) if crop[0] != "ffhq_512" else ("arcface_112_v2", 112)
        wrong["source crop"] = lambda: case.expected(
            template, size, mean, std, denormalise, case.source("image", other_crop)
        )
    for what, variant in wrong.items():
        if what == "channel order of std" and mean == mean[::-1]:
            continue  # symmetric mean and std: no channel order to get wrong
        if what == "de-normalisation" and (mean, std) == UNIT:
            continue  # with mean 0 and std 1 de-normalising changes nothing
        assert differs(variant(), expected) > 0.3, what


@pytest.mark.parametrize("name", FAMILIES)
def test_pixel_boost_runs_model_sized_sub_images(tmp_path: Path, name: SwapperName) -> None:
    """The stand-in works pixel by pixel (plus a term of the source), so swapping the interleaved
    model-sized sub-images of a boosted crop must give what the same model gives on the whole crop."""
    template, size, (mean, std), denormalise, kind, crop = FACTS[name]
    case = Case(tmp_path, name)
    boost = 2 * size if size < 512 else 1024
    boosted = case.swapper.swap(case.frame, case.target, case.identity, SwapOptions(pixel_boost=str(boost)))  # type: ignore[arg-type]
    expected = case.expected(template, boost, mean, std, denormalise, case.source(kind, crop))
    assert np.abs(boosted.astype(int) - expected.astype(int)).max() <= 1
    not_a_multiple = {128: None, 256: "128", 512: "768"}[size]
    if not_a_multiple is not None:
        with pytest.raises(BadOptionError, match="multiple"):
            case.swapper.check_options(SwapOptions(pixel_boost=not_a_multiple))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", FAMILIES)
def test_identity_weight_blends_in_the_family_space(tmp_path: Path, name: SwapperName) -> None:
    case = Case(tmp_path, name)
    kind = FACTS[name][4]
    other = Identity(
        case.identity.faces, unit(np.random.default_rng(9).standard_normal(512).astype(np.float32))
    )
    target = Face(case.target.box, case.target.kps, 0.9, embedding=other.embedding)
    if kind == "image":
        with pytest.raises(BadOptionError, match="weight"):
            case.swapper.source_inputs([target], [case.identity], 0.5)
        with pytest.raises(BadOptionError, match="weight"):
            case.swapper.check_options(SwapOptions(weight=0.5))
        return
    s, t = case.identity.embedding.astype(np.float64)[None], other.embedding.astype(np.float64)[None]
    if kind in ("emap", "embedding"):
        blended = unit(0.5 * unit(s) + 0.5 * unit(t))
        expected = unit(blended @ case.weights.emap) if kind == "emap" else blended
    elif kind == "converted":
        assert case.matrix is not None
        expected = unit(0.5 * unit(s @ case.matrix) + 0.5 * unit(t @ case.matrix))
    else:
        assert case.matrix is not None
        expected = 0.5 * (s @ case.matrix) + 0.5 * (t @ case.matrix)
    np.testing.assert_allclose(
        case.swapper.source_inputs([target], [case.identity], 0.5), expected, atol=1e-4
    )
    np.testing.assert_allclose(
        case.swapper.source_inputs([target], [case.identity], 1.0), case.source(kind, None), atol=1e-4
    )


def test_hyperswap_mask_output_is_ignored_and_the_first_output_pasted(tmp_path: Path) -> None:
    case = Case(tmp_path, "hyperswap_1a_256")
    assert case.swapper.model.output_names() == ["output", "mask"]
    crops = case.swapper.swap_crops(
        [np.full((256, 256, 3), 128, np.uint8)], case.swapper.source_inputs([case.target], [case.identity])
    )
    assert crops[0].shape == (256, 256, 3)  # fmt: skip
