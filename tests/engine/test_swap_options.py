"""Swap options on the neural engine with stand-ins: pixel boost, identity weight, box padding, occlusion
and region masks (each model stand-in sensitive to its input convention), and the kept mouth."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from faceswap.config import EngineSettings
from faceswap.engine.geometry import warp_face
from faceswap.engine.mask_models import MaskModels
from faceswap.engine.masks import area_mask, combine, keep_region
from faceswap.engine.onnx.masker import BiSeNetParser, XSegOccluder, prepare_occluder_crops
from faceswap.engine.onnx.session import open_session
from faceswap.engine.onnx.swap_sources import prepare_latents, read_emap
from faceswap.engine.onnx.swapper import OnnxSwapper, load_swapper
from faceswap.engine.options import SwapOptions
from faceswap.engine.pixel_boost import explode, implode
from faceswap.engine.types import Face, Identity, SourceFace
from faceswap.errors import BadOptionError
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.mask_standins import write_bisenet_standin, write_xseg_standin
from faceswap.testing.photos import ASTRONAUT
from faceswap.testing.standins import write_inswapper_standin

FACES = Path(__file__).resolve().parents[2] / ".." / "shared" / "faces"
COLOUR_BGR = np.array([102, 204, 51])  # the constant stand-in's (0.2, 0.8, 0.4) RGB
SETTINGS = EngineSettings(providers=["cpu"])


def astronaut() -> np.ndarray:
    image = cv2.imread(str(FACES / ASTRONAUT.file))
    assert image is not None
    return image


def face(embedding: np.ndarray | None = None) -> Face:
    return Face(
        box=np.array(ASTRONAUT.box, np.float32),
        kps=np.array(ASTRONAUT.kps, np.float32),
        score=0.9,
        embedding=embedding,
    )


def identity(seed: int = 3) -> Identity:
    vector = np.random.default_rng(seed).standard_normal(512).astype(np.float32)
    photo = astronaut()
    return Identity((SourceFace(photo, face()),), vector / np.linalg.norm(vector))


def swapper(tmp_path: Path, kind: str = "constant") -> OnnxSwapper:
    path = write_inswapper_standin(tmp_path / f"{kind}.onnx", kind, dynamic_batch=True)  # type: ignore[arg-type]
    return load_swapper(open_session("inswapper_128", path, SETTINGS), SWAPPERS["inswapper_128"])


def test_implode_and_explode_interleave_and_restore() -> None:
    crop = np.random.default_rng(0).integers(0, 256, (512, 512, 3), dtype=np.uint8)
    parts = implode(crop, 128)
    assert len(parts) == 16
    assert all(part.shape == (128, 128, 3) for part in parts)
    np.testing.assert_array_equal(parts[1], crop[0::4, 1::4])  # row-major (i, j): sub-image (0, 1)
    np.testing.assert_array_equal(parts[4], crop[1::4, 0::4])
    np.testing.assert_array_equal(explode(parts, 128), crop)


def test_pixel_boost_with_an_identity_swapper_gives_back_the_face(tmp_path: Path) -> None:
    """Each sub-image is swapped by the identity: re-interleaved, the 512 crop is the input's; a wrong
    order of sub-images would scramble it."""
    image = astronaut()
    swap = swapper(tmp_path, "identity")
    boosted = swap.swap(image, face(), identity(), SwapOptions(pixel_boost="512"))
    native = swap.swap(image, face(), identity())
    region = (slice(95, 150), slice(190, 250))
    boosted_error = np.abs(boosted[region].astype(int) - image[region].astype(int)).mean()
    native_error = np.abs(native[region].astype(int) - image[region].astype(int)).mean()
    assert boosted_error < 2.0
    assert boosted_error < native_error  # a 512 crop keeps more of the face than a 128 one


def test_pixel_boost_swaps_the_face_in_one_forward_of_sixteen(tmp_path: Path) -> None:
    swap = swapper(tmp_path)
    calls: list[int] = []
    forward = swap.forward_swap

    def counted(targets: np.ndarray, latents: np.ndarray) -> np.ndarray:
        calls.append(len(targets))
        return forward(targets, latents)

    object.__setattr__(swap, "forward_swap", counted)
    result = swap.swap(astronaut(), face(), identity(), SwapOptions(pixel_boost="512"))
    assert calls == [16]
    assert np.abs(result[120, 220].astype(int) - COLOUR_BGR).max() <= 2


def test_a_boost_that_is_not_a_multiple_of_the_model_is_refused() -> None:
    with pytest.raises(BadOptionError):
        SwapOptions(pixel_boost="768").crop_size(256 + 64)


def test_identity_weight_blends_the_normalised_embeddings(tmp_path: Path) -> None:
    swap = swapper(tmp_path)
    source = identity(1)
    target = face(identity(2).embedding)
    assert target.embedding is not None
    full = swap.source_inputs([target], [source], 1.0)
    none = swap.source_inputs([target], [source], 0.0)
    half = swap.source_inputs([target], [source], 0.5)
    emap = read_emap(swap.model.path)
    np.testing.assert_allclose(full, prepare_latents(source.embedding, emap), atol=1e-5)
    np.testing.assert_allclose(none, prepare_latents(target.embedding, emap), atol=1e-5)
    cosine = lambda a, b: float(np.dot(a[0], b[0]))  # noqa: E731
    assert cosine(half, full) > cosine(none, full)
    assert cosine(half, none) > cosine(full, none)
    with pytest.raises(BadOptionError):
        swap.source_inputs([face()], [source], 0.5)  # no embedding on the target


def test_box_padding_keeps_the_padded_band_of_the_target(tmp_path: Path) -> None:
    image = astronaut()
    swap = swapper(tmp_path)
    plain = swap.swap(image, face(), identity())
    padded = swap.swap(image, face(), identity(), SwapOptions(mask_padding=(40.0, 0.0, 0.0, 0.0)))
    forehead = (slice(78, 84), slice(215, 235))  # the crop's top 40 %: its top band
    assert np.abs(plain[forehead].astype(int) - image[forehead].astype(int)).mean() > 20
    assert np.abs(padded[forehead].astype(int) - image[forehead].astype(int)).mean() < 2


def red_bar(image: np.ndarray) -> np.ndarray:
    """The photo with a pure red (BGR 0, 0, 255) bar across the face, as a hand would cover it."""
    barred = image.copy()
    barred[118:132, 195:255] = (0, 0, 255)
    return barred


def test_an_occlusion_mask_keeps_what_covers_the_face(tmp_path: Path) -> None:
    occluder = XSegOccluder(open_session("xseg_1", write_xseg_standin(tmp_path / "xseg.onnx"), SETTINGS))
    image = red_bar(astronaut())
    swap = swapper(tmp_path)
    options = SwapOptions(masks=("box", "occlusion"))
    masked = swap.swap(image, face(), identity(), options, MaskModels(occluder=occluder))
    plain = swap.swap(image, face(), identity())
    bar, skin = (slice(122, 128), slice(205, 245)), (slice(100, 112), slice(205, 245))
    assert np.abs(masked[bar].astype(int) - image[bar].astype(int)).mean() < 3  # the bar stays
    assert np.abs(plain[bar].astype(int) - image[bar].astype(int)).mean() > 50
    assert np.abs(masked[skin].astype(int) - COLOUR_BGR).mean() < 10  # the face around it is swapped


def test_the_occluder_is_fed_nhwc_bgr_in_unit_range(tmp_path: Path) -> None:
    crop = np.zeros((128, 128, 3), np.uint8)
    crop[:, :64] = (0, 0, 255)  # red in BGR on the left half
    prepared = prepare_occluder_crops([crop])
    assert prepared.shape == (1, 256, 256, 3)
    assert prepared.max() == pytest.approx(1.0)
    np.testing.assert_allclose(prepared[0, 0, 0], (0.0, 0.0, 1.0))


def test_a_region_mask_keeps_only_the_chosen_regions(tmp_path: Path) -> None:
    parser = BiSeNetParser(
        open_session("bisenet_resnet_34", write_bisenet_standin(tmp_path / "b.onnx"), SETTINGS)
    )
    image = astronaut()
    image[90:150, 190:260] = (150, 190, 240)  # skin-coloured (light, warm) face
    image[118:132, 205:245] = (230, 120, 40)  # a blue patch, not skin
    swap = swapper(tmp_path)
    options = SwapOptions(masks=("box", "region"), regions=("skin",))
    masked = swap.swap(image, face(), identity(), options, MaskModels(parser=parser))
    patch, skin = (slice(123, 127), slice(215, 235)), (slice(96, 106), slice(205, 245))
    assert np.abs(masked[patch].astype(int) - image[patch].astype(int)).mean() < 3
    assert np.abs(masked[skin].astype(int) - COLOUR_BGR).mean() < 10


def test_mask_types_without_their_model_or_landmarks_are_refused(tmp_path: Path) -> None:
    swap = swapper(tmp_path)
    for masks in (("occlusion",), ("region",), ("area",)):
        with pytest.raises(BadOptionError):
            swap.swap(astronaut(), face(), identity(), SwapOptions(masks=masks))  # type: ignore[arg-type]


def test_masks_combine_by_their_minimum_and_areas_follow_the_landmarks() -> None:
    a = np.array([[0.2, 1.0], [0.5, 0.0]], np.float32)
    b = np.array([[0.9, 0.3], [0.5, 1.0]], np.float32)
    np.testing.assert_allclose(combine([a, b]), [[0.2, 0.3], [0.5, 0.0]], rtol=1e-6)
    points = np.zeros((68, 2), np.float32)
    points[:] = (64, 64)
    angles = np.linspace(0, 2 * np.pi, 12, endpoint=False)
    points[48:60] = np.stack([64 + 30 * np.cos(angles), 90 + 15 * np.sin(angles)], axis=1)  # outer lips
    mouth = area_mask(points, 128, ("mouth",))
    assert mouth[90, 64] > 0.95
    assert mouth[20, 20] == 0.0


def test_keep_region_takes_the_hull_back_from_the_original() -> None:
    original = np.full((100, 100, 3), 200, np.uint8)
    result = np.zeros((100, 100, 3), np.uint8)
    points = np.zeros((68, 2), np.float32)
    points[60:68] = [(40, 45), (50, 42), (60, 45), (62, 50), (60, 55), (50, 58), (40, 55), (38, 50)]
    kept = keep_region(result, original, points, range(60, 68))
    assert kept[50, 50].tolist() == [200, 200, 200]
    assert kept[5, 5].tolist() == [0, 0, 0]


def test_the_crop_of_the_boost_is_warped_at_its_size() -> None:
    crop, matrix = warp_face(astronaut(), np.array(ASTRONAUT.kps, np.float32), "arcface_128", 512)
    assert crop.shape == (512, 512, 3)
    assert matrix[0, 0] == pytest.approx(
        4 * warp_face(astronaut(), np.array(ASTRONAUT.kps, np.float32), "arcface_128", 128)[1][0, 0], rel=1e-3
    )


def test_the_enhancer_weight_reaches_codeformers_weight_input(tmp_path: Path) -> None:
    from faceswap.engine.onnx.enhancer import OnnxEnhancer
    from faceswap.engine.pipeline import EnhancerStep
    from faceswap.testing.standins import write_enhancer_standin

    path = write_enhancer_standin(tmp_path / "codeformer.onnx", "codeformer")  # output: -input * weight
    model = open_session("codeformer", path, SETTINGS)
    step = EnhancerStep("codeformer", OnnxEnhancer(model, "ffhq_512", 512), blend=1.0)
    image = astronaut()
    nose = (127, 225)
    full = step.enhancer.enhance(image, face(), 1.0)
    none = step.tuned(weight=0.0).enhancer.enhance(image, face(), 1.0)
    assert abs(int(full[nose][0]) - (255 - int(image[nose][0]))) <= 3  # inverted at fidelity 1
    assert np.abs(none[nose].astype(int) - 128).max() <= 2  # zero (mid grey) at fidelity 0
    assert step.tuned(blend=0.3).blend == 0.3
    assert step.tuned().enhancer is step.enhancer
