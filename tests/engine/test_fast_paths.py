"""The optimised pixel paths give bit for bit what the plain formulas give."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from faceswap.engine.geometry import feather_mask, letterbox, paste_back, paste_box, warp_face
from faceswap.engine.onnx.detector import prepare_scrfd_frames, prepare_yunet_frames

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
