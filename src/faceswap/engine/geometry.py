"""Alignment templates and pure geometry: estimate a similarity, warp a face out, paste it back.

Every function here is pure (arrays in, new arrays out) but ``paste_back_into``, which writes into the
frame it is given. Matrices are OpenCV ``2x3`` affine matrices that map frame coordinates to crop
coordinates.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.choices import WarpTemplateName
from faceswap.engine.types import ImageBGR, Matrix, Points

Mask = NDArray[np.float32]
"""An ``HxW`` float32 array of weights in [0, 1]."""

TEMPLATES: dict[WarpTemplateName, Points] = {
    # 5 points (left eye, right eye, nose tip, left and right mouth corner) in the unit square.
    "arcface_112_v2": np.array(
        [
            [0.34191607, 0.46157411],
            [0.65653393, 0.45983393],
            [0.50022500, 0.64050536],
            [0.37097589, 0.82469196],
            [0.63151696, 0.82325089],
        ],
        dtype=np.float32,
    ),
    "arcface_128": np.array(
        [
            [0.36167656, 0.40387734],
            [0.63696719, 0.40235469],
            [0.50019687, 0.56044219],
            [0.38710391, 0.72160547],
            [0.61507734, 0.72034453],
        ],
        dtype=np.float32,
    ),
    "ffhq_512": np.array(
        [
            [0.37691676, 0.46864664],
            [0.62285697, 0.46912813],
            [0.50123859, 0.61331904],
            [0.39308822, 0.72541100],
            [0.61150205, 0.72490465],
        ],
        dtype=np.float32,
    ),
    "arcface_112_v1": np.array(  # the older SimSwap/MTCNN-style ArcFace crop (SimSwap, GHOST)
        [
            [0.35473214, 0.45658929],
            [0.64526786, 0.45658929],
            [0.50000000, 0.61154464],
            [0.37913393, 0.77687500],
            [0.62086607, 0.77687500],
        ],
        dtype=np.float32,
    ),
    "mtcnn_512": np.array(  # HifiFace
        [
            [0.36562865, 0.46733799],
            [0.63305391, 0.46585885],
            [0.50019127, 0.61942959],
            [0.39032951, 0.77598822],
            [0.61178945, 0.77476328],
        ],
        dtype=np.float32,
    ),
}


def estimate_matrix(kps: Points, template: WarpTemplateName, size: int) -> Matrix:
    """The similarity transform (rotation, uniform scale, translation) taking ``kps`` onto the template.

    Like FaceFusion, RANSAC with a very large reprojection threshold keeps all five points as inliers, so
    the result is the least-squares fit refined by OpenCV (what InsightFace gets from scikit-image).
    """
    destination = TEMPLATES[template] * np.float32(size)
    matrix, _ = cv2.estimateAffinePartial2D(
        np.asarray(kps, dtype=np.float32).reshape(-1, 2),
        destination,
        method=cv2.RANSAC,
        ransacReprojThreshold=100.0,
    )
    if matrix is None:  # degenerate points (all equal): fall back to a pure translation
        centre = np.asarray(kps, dtype=np.float64).reshape(-1, 2).mean(axis=0)
        matrix = np.array([[1.0, 0.0, size / 2 - centre[0]], [0.0, 1.0, size / 2 - centre[1]]])
    return np.asarray(matrix, dtype=np.float64)


def invert_matrix(matrix: Matrix) -> Matrix:
    """The affine matrix mapping crop coordinates back to frame coordinates."""
    return np.asarray(cv2.invertAffineTransform(matrix), dtype=np.float64)


def transform_points(points: Points, matrix: Matrix) -> Points:
    """``points`` (Nx2) mapped through the affine ``matrix``."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return (pts @ matrix[:, :2].T + matrix[:, 2]).astype(np.float32)


def warp_face(image: ImageBGR, kps: Points, template: WarpTemplateName, size: int) -> tuple[ImageBGR, Matrix]:
    """The ``size`` x ``size`` aligned crop of the face with key points ``kps``, and its matrix."""
    matrix = estimate_matrix(kps, template, size)
    crop = cv2.warpAffine(
        image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(crop, dtype=np.uint8), matrix


@functools.lru_cache(maxsize=32)
def feather_mask(
    size: int, blur: float = 0.3, padding: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
) -> Mask:
    """A soft box mask: 1 in the middle, falling to 0 at the crop's edges; read-only, made once per
    arguments (a 512 px mask's blur takes about 10 ms).

    ``blur`` is the width of the soft edge as a fraction of half the crop; ``padding`` (top, right, bottom,
    left) in percent of the crop zeroes extra margins.
    """
    mask = _feather_mask(size, blur, padding)
    mask.flags.writeable = False
    return mask


PASTE_MASK_SIZE = 128
"""The least side of a :func:`paste_mask`."""

PASTE_MASK_EDGE = 4.0
"""The least width (the blur's sigma, in its own pixels) of a :func:`paste_mask`'s soft edge."""


@functools.lru_cache(maxsize=32)
def paste_mask(
    size: int, blur: float = 0.3, padding: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
) -> Mask:
    """:func:`feather_mask` as pasting back takes it: area-averaged down by the largest power of two that
    leaves at least :data:`PASTE_MASK_SIZE` px and a soft edge at least :data:`PASTE_MASK_EDGE` px wide
    (a hard edge, ``blur`` 0, keeps the full size). :func:`paste_back` stretches a mask to its crop; a
    smooth mask loses nothing by it (weights within 0.015 of the full mask's), and a 512 px crop's paste
    back reads a 64 KiB mask instead of 1 MiB. Read-only."""
    mask = feather_mask(size, blur, padding)
    sigma = size * 0.5 * blur * 0.25
    factor = 1
    while (
        size % (factor * 2) == 0
        and size // (factor * 2) >= PASTE_MASK_SIZE
        and sigma / (factor * 2) >= PASTE_MASK_EDGE
    ):
        factor *= 2
    if factor == 1:
        return mask
    small = np.asarray(
        cv2.resize(mask, (size // factor, size // factor), interpolation=cv2.INTER_AREA), np.float32
    )
    small.flags.writeable = False
    return small


def _feather_mask(size: int, blur: float, padding: tuple[float, float, float, float]) -> Mask:
    blur_amount = int(size * 0.5 * blur)
    edge = max(blur_amount // 2, 1)
    top, right, bottom, left = (int(size * p / 100) for p in padding)
    rows = _feather_profile(size, max(edge, top), max(edge, bottom), blur_amount * 0.25)
    columns = _feather_profile(size, max(edge, left), max(edge, right), blur_amount * 0.25)
    # the box is the product of a row and a column profile, and a Gaussian blur is separable: blurring
    # each profile gives the blurred box (a 2048 px mask in milliseconds instead of seconds)
    return np.clip(np.outer(rows, columns), 0.0, 1.0).astype(np.float32)


def _feather_profile(size: int, start: int, end: int, sigma: float) -> NDArray[np.float32]:
    """1 between ``start`` zeros at the front and ``end`` at the back, Gaussian-blurred (zeros outside)."""
    profile = np.ones(size, np.float32)
    profile[:start] = 0
    profile[size - end :] = 0
    if sigma <= 0:
        return profile
    ksize = round(sigma * 8 + 1) | 1  # OpenCV's own choice for float images
    kernel = cv2.getGaussianKernel(ksize, sigma, cv2.CV_32F)
    blurred = cv2.sepFilter2D(
        profile.reshape(-1, 1), -1, np.ones(1, np.float32), kernel, borderType=cv2.BORDER_CONSTANT
    )
    return np.asarray(blurred, np.float32).reshape(-1)


def paste_box(crop_shape: tuple[int, int], matrix: Matrix, frame_shape: tuple[int, int]) -> tuple[int, ...]:
    """``(x0, y0, x1, y1)``: the frame box covered by the crop's inverse-warped corners, clipped."""
    height, width = crop_shape
    corners = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    frame_corners = transform_points(corners, invert_matrix(matrix))
    frame_h, frame_w = frame_shape
    x0 = min(max(math.floor(float(frame_corners[:, 0].min())), 0), frame_w)
    y0 = min(max(math.floor(float(frame_corners[:, 1].min())), 0), frame_h)
    x1 = min(max(math.ceil(float(frame_corners[:, 0].max())), 0), frame_w)
    y1 = min(max(math.ceil(float(frame_corners[:, 1].max())), 0), frame_h)
    return x0, y0, x1, y1


def paste_back(frame: ImageBGR, crop: ImageBGR, mask: Mask, matrix: Matrix) -> ImageBGR:
    """A copy of ``frame`` with ``crop`` blended in through ``mask`` where ``matrix`` took it from.

    Only the bounding box of the crop's inverse-warped corners (clipped to the frame) is warped and
    blended; every pixel outside it, and every pixel where the warped mask is 0, is bit-identical.
    """
    result = frame.copy()
    paste_back_into(result, crop, mask, matrix)
    return result


def paste_back_into(frame: ImageBGR, crop: ImageBGR, mask: Mask, matrix: Matrix) -> None:
    """:func:`paste_back` written into ``frame`` itself (which must be writable) instead of a copy."""
    x0, y0, x1, y1 = paste_box(crop.shape[:2], matrix, frame.shape[:2])
    if x1 <= x0 or y1 <= y0:
        return
    inverse = invert_matrix(matrix)
    inverse[:, 2] -= (x0, y0)
    box_size = (x1 - x0, y1 - y0)
    warped = cv2.warpAffine(crop, inverse, box_size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    weight = cv2.warpAffine(
        np.asarray(mask, np.float32),
        stretch(inverse, crop.shape[:2], mask.shape[:2]),
        box_size,
        flags=cv2.INTER_LINEAR,
        borderValue=0.0,
    )
    np.clip(weight, 0.0, 1.0, out=weight)
    # region + (warped - region) * weight in float32, rounded to the nearest (even) level: the textbook
    # blend's arithmetic, one OpenCV pass per step (the hot loop of video). It lies between region and
    # warped, so the cast's saturation never acts.
    region = frame[y0:y1, x0:x1]
    difference = cv2.subtract(warped, region, dtype=cv2.CV_32F)
    cv2.multiply(difference, cv2.cvtColor(weight, cv2.COLOR_GRAY2BGR), dst=difference)
    np.copyto(region, cv2.add(difference, region, dtype=cv2.CV_8U))


def stretch(matrix: Matrix, crop_shape: tuple[int, ...], mask_shape: tuple[int, ...]) -> Matrix:
    """``matrix`` (crop -> frame) for a mask of ``mask_shape`` spread over a crop of ``crop_shape``: pixel
    centres line up (mask pixel ``m`` covers crop ``(m + 0.5) / k - 0.5``, ``k`` = mask / crop side)."""
    if crop_shape[:2] == mask_shape[:2]:
        return matrix
    scale = np.array([crop_shape[1] / mask_shape[1], crop_shape[0] / mask_shape[0]])
    linear = matrix[:, :2] * scale
    shift = matrix[:, :2] @ (0.5 * scale - 0.5) + matrix[:, 2]
    return np.column_stack([linear, shift])


def writable(frames: Sequence[ImageBGR], in_place: bool) -> list[ImageBGR]:
    """The arrays to paste into: ``frames`` themselves when ``in_place`` (copies of read-only ones), else
    copies."""
    return [frame if in_place and frame.flags.writeable else frame.copy() for frame in frames]


def paste_back_all(
    frames: Sequence[ImageBGR],
    crops: Sequence[ImageBGR],
    mask: Mask | Sequence[Mask],
    matrices: Sequence[Matrix],
    in_place: bool = False,
) -> list[ImageBGR]:
    """:func:`paste_back` of ``crops[i]`` into ``frames[i]`` through ``mask`` (one for all, or one per
    crop): into copies, or (``in_place``) into the frames themselves (see :func:`writable`)."""
    results = writable(frames, in_place)
    masks = [mask] * len(crops) if isinstance(mask, np.ndarray) else list(mask)
    for result, crop, each, matrix in zip(results, crops, masks, matrices, strict=True):
        paste_back_into(result, crop, each, matrix)
    return results


def letterbox_fit(image_shape: tuple[int, ...], size: tuple[int, int]) -> tuple[int, int, float]:
    """(width, height, scale) of an image of ``image_shape`` scaled to fit ``size`` keeping its aspect."""
    width, height = size
    image_h, image_w = image_shape[:2]
    scale = min(width / image_w, height / image_h)
    new_w = min(width, max(1, round(image_w * scale)))
    new_h = min(height, max(1, round(image_h * scale)))
    return new_w, new_h, scale


def letterbox(image: ImageBGR, size: tuple[int, int]) -> tuple[ImageBGR, float]:
    """``image`` resized to fit ``size`` (width, height) keeping its aspect, placed top-left on black.

    Returns the canvas and the scale; divide detector coordinates by the scale to get image coordinates.
    """
    width, height = size
    new_w, new_h, scale = letterbox_fit(image.shape, size)
    canvas = np.zeros((height, width, 3), dtype=np.uint8)
    canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    return canvas, scale
