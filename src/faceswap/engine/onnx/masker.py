"""The mask models on ONNX Runtime: XSeg (occlusion) and BiSeNet (face parsing).

XSeg: NHWC ``Nx256x256x3``, BGR in [0, 1], out ``Nx256x256x1``, the chance each pixel is face and not
something in front of it. BiSeNet: NCHW ``Nx3x512x512``, RGB ``(x/255 - mean) / std`` with ImageNet's mean
and std, out ``Nx19x512x512`` logits whose argmax is the class; the chosen regions' classes are kept.
Both run on the target's crop (:mod:`faceswap.engine.mask_models`); their masks are resized to the crop
and softened (:func:`faceswap.engine.masks.soften`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.choices import FaceRegion
from faceswap.engine.masks import Mask, soften
from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.onnx.signature import FACE_PARSER_SIZE, OCCLUDER_SIZE
from faceswap.engine.types import ImageBGR

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
REGION_CLASSES: dict[FaceRegion, int] = {
    "skin": 1,
    "left-eyebrow": 2,
    "right-eyebrow": 3,
    "left-eye": 4,
    "right-eye": 5,
    "glasses": 6,
    "nose": 10,
    "mouth": 11,
    "upper-lip": 12,
    "lower-lip": 13,
}
"""BiSeNet's class ids (CelebAMask-HQ) of the regions a region mask may keep."""


def _resized(crops: Sequence[ImageBGR], size: int) -> NDArray[np.uint8]:
    return np.stack(
        [
            crop if crop.shape[0] == size else cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA)
            for crop in crops
        ]
    )


def prepare_occluder_crops(crops: Sequence[ImageBGR]) -> NDArray[np.float32]:
    """``Nx256x256x3`` XSeg input: BGR in [0, 1], channels last."""
    return _resized(crops, OCCLUDER_SIZE).astype(np.float32) / 255.0


def prepare_parser_crops(crops: Sequence[ImageBGR]) -> NDArray[np.float32]:
    """``Nx3x512x512`` BiSeNet input: RGB with ImageNet's mean and std."""
    images = list(_resized(crops, FACE_PARSER_SIZE))
    blob: NDArray[np.float32] = np.asarray(
        cv2.dnn.blobFromImages(images, 1.0 / 255.0, swapRB=True), np.float32
    )
    blob -= IMAGENET_MEAN[None, :, None, None]
    blob /= IMAGENET_STD[None, :, None, None]
    return blob


def _to_crop(masks: NDArray[np.float32], size: int) -> list[Mask]:
    out = []
    for mask in masks:
        resized = (
            mask if mask.shape[0] == size else cv2.resize(mask, (size, size), interpolation=cv2.INTER_LINEAR)
        )
        out.append(soften(np.clip(resized, 0.0, 1.0).astype(np.float32)))
    return out


@dataclass(frozen=True)
class XSegOccluder:
    """Implements :class:`faceswap.engine.mask_models.Occluder`."""

    model: ModelSession

    def masks(self, crops: Sequence[ImageBGR]) -> list[Mask]:
        """Per crop: 1 where the face is visible, 0 where something covers it."""
        output = run_batched(self.model, {self.model.input_names()[0]: prepare_occluder_crops(crops)})
        return _to_crop(np.asarray(output, np.float32)[..., 0], crops[0].shape[0])


@dataclass(frozen=True)
class BiSeNetParser:
    """Implements :class:`faceswap.engine.mask_models.FaceParser`."""

    model: ModelSession

    def masks(self, crops: Sequence[ImageBGR], regions: Sequence[FaceRegion]) -> list[Mask]:
        """Per crop: 1 on the pixels whose class is one of ``regions``."""
        logits = np.asarray(
            run_batched(self.model, {self.model.input_names()[0]: prepare_parser_crops(crops)})
        )
        # the argmax is a wanted class where the wanted classes' best logit is the best of all (8 times
        # faster than argmax over the class axis of NCHW logits)
        best = logits.max(axis=1)
        chosen = logits[:, [REGION_CLASSES[region] for region in regions]].max(axis=1)
        return _to_crop((chosen >= best).astype(np.float32), crops[0].shape[0])
