"""The classic face swap: warp the source face onto the target's 68 landmarks, recolour, blend.

All pixel work happens in the target face's region (the landmarks' bounding box grown by a margin); the
frame outside the convex hull of the target's landmarks is left bit-identical.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import cv2
import numpy as np

from faceswap.engine.classic.analyser import DlibModels, box_rect, predict_landmarks, to_rgb
from faceswap.engine.classic.blend import (
    alpha_blend,
    can_clone,
    erode_mask,
    feather_mask,
    hull_mask,
    seamless_clone,
)
from faceswap.engine.classic.colour import transfer_colour
from faceswap.engine.classic.warp import triangulate, warp_triangles
from faceswap.engine.landmarks68 import LANDMARK_COUNT
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.types import Face, Identity, ImageBGR, Points
from faceswap.errors import BadOptionError, InputError, NoFaceInSourceError

logger = logging.getLogger(__name__)

Region = tuple[int, int, int, int]
"""x1, y1, x2, y2 in pixels, end-exclusive."""


@dataclass(frozen=True)
class BlendOptions:
    """Blending tuning, as fractions of the face size (the square root of the landmark hull's area)."""

    margin: float = 0.1  # region around the landmarks' bounding box the work is done in
    erode: float = 0.03  # the clone and blend masks stay this far inside the hull
    feather: float = 0.06  # width of the soft edge of the final blend
    seamless: bool = True  # Poisson blending; False (or a face at the frame border) gives alpha only
    max_downscale: float = 0.5  # sources larger than 1/this times the target face are shrunk first


def face_region(points: Points, shape: tuple[int, ...], margin: float) -> Region:
    """The bounding box of ``points`` grown by ``margin`` times its larger side, clipped to the image."""
    height, width = shape[:2]
    x1, y1 = (float(v) for v in points.min(axis=0))
    x2, y2 = (float(v) for v in points.max(axis=0))
    pad = margin * max(x2 - x1, y2 - y1) + 2.0
    return (
        max(0, math.floor(x1 - pad)),
        max(0, math.floor(y1 - pad)),
        min(width, math.ceil(x2 + pad) + 1),
        min(height, math.ceil(y2 + pad) + 1),
    )


def face_size(points: Points) -> float:
    """The square root of the area of the points' convex hull (pixels)."""
    hull = cv2.convexHull(np.asarray(points, dtype=np.float32))
    return math.sqrt(max(float(cv2.contourArea(hull)), 1.0))


def prepare_source(
    image: ImageBGR, points: Points, target_size: float, options: BlendOptions
) -> tuple[ImageBGR, Points]:
    """The source face's region, shrunk with area averaging when it is much larger than the target's."""
    x1, y1, x2, y2 = face_region(points, image.shape, options.margin)
    crop = image[y1:y2, x1:x2]
    local = np.asarray(points - np.array([x1, y1], dtype=np.float32), dtype=np.float32)
    scale = target_size / face_size(points)
    if scale >= options.max_downscale or crop.size == 0:
        return crop, local
    size = (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale)))
    small = np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    factors = np.array([size[0] / crop.shape[1], size[1] / crop.shape[0]], dtype=np.float32)
    return small, np.asarray(local * factors, dtype=np.float32)


def swap_face(
    source: ImageBGR,
    source_points: Points,
    frame: ImageBGR,
    target_points: Points,
    options: BlendOptions | None = None,
) -> ImageBGR:
    """A copy of ``frame`` with the face at ``target_points`` replaced by the one at ``source_points``.

    Both point sets are the same landmarks (68 dlib points) of the two faces, in their images' pixels.
    """
    options = options or BlendOptions()
    if source_points.shape != target_points.shape or len(target_points) < 3:
        raise InputError(f"landmark sets differ: {source_points.shape} vs {target_points.shape}")
    x1, y1, x2, y2 = face_region(target_points, frame.shape, options.margin)
    if x2 <= x1 or y2 <= y1:
        return frame.copy()  # the face lies entirely outside the frame
    target = frame[y1:y2, x1:x2]
    points = np.asarray(target_points - np.array([x1, y1], dtype=np.float32), dtype=np.float32)
    size = face_size(points)
    src_image, src_points = prepare_source(source, source_points, size, options)

    warped = warp_triangles(src_image, src_points, points, triangulate(points), target)
    hull = hull_mask(points, target.shape[:2])
    inside = hull > 0
    recoloured = transfer_colour(warped, target, hull)
    warped[inside] = recoloured[inside]

    erode_px = max(1, round(options.erode * size))
    feather_px = max(1, round(options.feather * size))
    clone_mask = erode_mask(hull, erode_px)
    blended = warped
    if options.seamless and can_clone(clone_mask):
        blended = seamless_clone(warped, target, clone_mask)
    elif options.seamless:
        logger.debug("face touches the frame border: alpha blending without seamless cloning")
    region = alpha_blend(blended, target, feather_mask(hull, erode_px, feather_px))

    out = frame.copy()
    out[y1:y2, x1:x2] = region
    return out


def check_classic_options(options: SwapOptions) -> None:
    """``bad_option`` for a swap option the classic engine cannot honour: it warps the source photo's
    own pixels (no pixel boost, no identity weight) and masks by the landmarks' hull (box only)."""
    unsupported = []
    if options.pixel_boost not in ("native", "128"):
        unsupported.append("pixel boost")
    if options.weight != 1.0:
        unsupported.append("swapper weight")
    if not options.box_only:
        unsupported.append("mask types other than box")
    if unsupported:
        raise BadOptionError(f"the classic engine has no {', '.join(unsupported)}: use a neural engine")


class ClassicSwapper:
    """:class:`faceswap.engine.protocols.FaceSwapper` by piecewise-affine warp and seamless blending."""

    def __init__(self, models: DlibModels, options: BlendOptions | None = None) -> None:
        self.models = models
        self.options = options or BlendOptions()

    def swap(
        self,
        frame: ImageBGR,
        target: Face,
        source: Identity,
        options: SwapOptions = DEFAULT_OPTIONS,
        mask_models: MaskModels = NO_MASK_MODELS,
    ) -> ImageBGR:
        """``options`` beyond the default are the neural engine's (``bad_option`` here), but
        ``keep_mouth``, which the pipeline applies after any engine's swap."""
        check_classic_options(options)
        if not source.faces:
            raise NoFaceInSourceError("the source identity has no face photo to take pixels from")
        primary = source.primary
        source_points = self._landmarks(primary.image, primary.face)
        target_points = self._landmarks(frame, target)
        return swap_face(primary.image, source_points, frame, target_points, self.options)

    def _landmarks(self, image: ImageBGR, face: Face) -> Points:
        """The face's 68 landmarks; predicted from its box when another analyser found the face."""
        if face.landmarks is not None and face.landmarks.shape == (LANDMARK_COUNT, 2):
            return face.landmarks
        return predict_landmarks(self.models, to_rgb(image), box_rect(face.box))
