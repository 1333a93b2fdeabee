"""The optimised pixel paths give bit for bit what the plain formulas give."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.engine.geometry import feather_mask, letterbox, paste_back, paste_box, warp_face
from faceswap.engine.onnx.detector import prepare_scrfd_frames, prepare_yunet_frames
from faceswap.engine.onnx.swap_pixels import normalize_swap_output, prepare_swap_crops

KPS = np.array([[500, 300], [640, 300], [570, 380], [520, 450], [620, 450]], np.float32)


def plain_paste_back(frame: np.ndarray, crop: np.ndarray, mask: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """The textbook blend over the paste box: float32, rounded, clipped."""
    result = frame.copy()
    x0, y0, x1, y1 = paste_box(crop.shape[:2], matrix, frame.shape[:2])
    if x1 <= x0 or y1 <= y0:
        return result
    inverse = cv2.invertAffineTransform(matrix)
    inverse[:, 2] -= (x0, y0)
    size = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(crop, inverse, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    weight = np.clip(cv2.warpAffine(mask, inverse, size, flags=cv2.INTER_LINEAR, borderValue=0.0), 0, 1)
    region = frame[y0:y1, x0:x1].astype(np.float32)
    blended = region + (warped.astype(np.float32) - region) * weight[..., None]
    result[y0:y1, x0:x1] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)
    return result


@pytest.mark.parametrize("seed", range(6))
def test_paste_back_equals_the_plain_blend(seed: int) -> None:
    rng = np.random.default_rng(seed)
    frame = rng.integers(0, 256, (360, 640, 3), dtype=np.uint8)
    mask = feather_mask(128, 0.3) * np.float32(rng.uniform(0.3, 1.0))
    for _ in range(8):  # faces inside, across the border and off the frame, turned and scaled
        kps = (KPS - KPS.mean(axis=0)) * np.float32(rng.uniform(0.3, 2.0)) + rng.uniform(-100, 740, 2)
        kps = (kps + rng.normal(0, 8, kps.shape)).astype(np.float32)
        crop = rng.integers(0, 256, (128, 128, 3), dtype=np.uint8)
        _, matrix = warp_face(frame, kps, "arcface_128", 128)
        np.testing.assert_array_equal(
            paste_back(frame, crop, mask, matrix), plain_paste_back(frame, crop, mask, matrix)
        )


def test_detector_inputs_equal_blobs_of_letterboxed_canvases() -> None:
    rng = np.random.default_rng(0)
    shapes = [(720, 1280, 3), (1080, 1920, 3), (321, 243, 3), (640, 640, 3), (100, 900, 3)]
    images = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in shapes]
    families = ((prepare_scrfd_frames, 1 / 128, 127.5, True), (prepare_yunet_frames, 1.0, 0.0, False))
    for prepare, scale, mean, rgb in families:  # SCRFD is fed RGB, YuNet BGR
        blob, scales = prepare(images, (640, 640))
        assert blob.shape == (len(images), 3, 640, 640)
        for index, image in enumerate(images):
            canvas, factor = letterbox(image, (640, 640))
            want = cv2.dnn.blobFromImage(canvas, scale, mean=(mean, mean, mean), swapRB=rgb)[0]
            assert scales[index] == factor
            np.testing.assert_array_equal(blob[index], want)


MEANS_STDS = [
    ((0.0, 0.0, 0.0), (1.0, 1.0, 1.0)),
    ((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)),
    ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225)),
]


@pytest.mark.parametrize(("mean", "std"), MEANS_STDS)
def test_swap_input_equals_the_plain_normalisation(
    mean: tuple[float, float, float], std: tuple[float, float, float]
) -> None:
    rng = np.random.default_rng(1)
    crops = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(3)]
    blob = prepare_swap_crops(crops, mean, std)
    plain = np.stack(
        [((c[:, :, ::-1] / 255.0 - np.array(mean)) / np.array(std)).transpose(2, 0, 1) for c in crops]
    )
    assert blob.dtype == np.float32
    assert blob.shape == (3, 3, 64, 64)
    np.testing.assert_allclose(blob, plain, rtol=0, atol=2e-6)
    if mean == (0.0, 0.0, 0.0):  # x * (1 / 255): what blobFromImages gives, bit for bit
        want = cv2.dnn.blobFromImages(crops, 1 / 255.0, swapRB=True)
        np.testing.assert_array_equal(blob, want)


def test_swap_input_refuses_crops_of_several_sizes() -> None:
    crops = [np.zeros((64, 64, 3), np.uint8), np.zeros((32, 32, 3), np.uint8)]
    with pytest.raises(ValueError, match="one size"):
        prepare_swap_crops(crops, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


@pytest.mark.parametrize(("mean", "std"), MEANS_STDS)
@pytest.mark.parametrize("denormalise", [False, True])
def test_swap_output_equals_the_plain_read_back(
    mean: tuple[float, float, float], std: tuple[float, float, float], denormalise: bool
) -> None:
    rng = np.random.default_rng(2)
    output = rng.uniform(-2.5, 2.5, (2, 3, 48, 48)).astype(np.float32)
    crops = normalize_swap_output(output, mean, std, denormalise)
    y = output.astype(np.float64)
    if denormalise:
        y = y * np.array(std).reshape(1, 3, 1, 1) + np.array(mean).reshape(1, 3, 1, 1)
    exact = np.clip(y, 0.0, 1.0) * 255.0
    plain = np.rint(exact).transpose(0, 2, 3, 1)[..., ::-1]
    got = np.stack(crops).astype(np.float64)
    assert all(crop.dtype == np.uint8 and crop.shape == (48, 48, 3) for crop in crops)
    assert np.abs(got - plain).max() <= 1  # a float32 rounding may tip an exact half level
    ties = np.abs(exact - np.floor(exact) - 0.5).transpose(0, 2, 3, 1)[..., ::-1] < 1e-3
    np.testing.assert_array_equal(got[~ties], plain[~ties])
    assert (got == 0).any()
    assert (got == 255).any()
