"""fairface on ONNX Runtime: each face's gender, age bucket and race, for the face filters.

Input ``input`` ``Nx3x224x224``: the face aligned with ``arcface_112_v2`` at 224 px, RGB,
``(x/255 - mean) / std`` with ImageNet's mean and std (the FairFace authors' torchvision transform).
Outputs, in order: the race id, the gender id and the age id of each face, each already the argmax of its
classes (int64). The ids follow the FairFace authors' label order: race White, Black, Latino_Hispanic,
East Asian, Southeast Asian, Indian, Middle Eastern (both Asian classes read ``asian``, Middle Eastern
``arabic``, as FaceFusion names them); gender Male, Female; age 0-2, 3-9, ... 60-69, 70+
(:data:`~faceswap.engine.face_filters.AGE_BUCKETS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.choices import FaceGender, FaceRace, WarpTemplateName
from faceswap.engine.face_filters import AGE_BUCKETS
from faceswap.engine.geometry import warp_face
from faceswap.engine.onnx.masker import IMAGENET_MEAN, IMAGENET_STD
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.onnx.signature import FAIRFACE_SIZE
from faceswap.engine.types import Face, FaceTraits, ImageBGR
from faceswap.errors import ModelSignatureError

FAIRFACE_TEMPLATE: WarpTemplateName = "arcface_112_v2"
RACES: tuple[FaceRace, ...] = ("white", "black", "latino", "asian", "asian", "indian", "arabic")
"""fairface's race ids 0-6, by name."""
GENDERS: tuple[FaceGender, ...] = ("male", "female")
"""fairface's gender ids 0-1, by name."""


def prepare_fairface_crops(image: ImageBGR, faces: Sequence[Face]) -> NDArray[np.float32]:
    """``Nx3x224x224``: each face aligned with ``arcface_112_v2`` at 224 px, RGB, ImageNet mean and std."""
    crops = [warp_face(image, face.kps, FAIRFACE_TEMPLATE, FAIRFACE_SIZE)[0] for face in faces]
    if not crops:
        return np.zeros((0, 3, FAIRFACE_SIZE, FAIRFACE_SIZE), np.float32)
    blob: NDArray[np.float32] = np.asarray(
        cv2.dnn.blobFromImages(crops, 1.0 / 255.0, swapRB=True), np.float32
    )
    blob -= IMAGENET_MEAN[None, :, None, None]
    blob /= IMAGENET_STD[None, :, None, None]
    return blob


def categorize(race_id: int, gender_id: int, age_id: int) -> FaceTraits:
    """The traits of fairface's class ids; ``model_signature`` for an id fairface does not have."""
    if not (0 <= race_id < len(RACES) and 0 <= gender_id < len(GENDERS) and 0 <= age_id < len(AGE_BUCKETS)):
        raise ModelSignatureError(
            f"the face classifier answered race {race_id}, gender {gender_id}, age {age_id}: "
            f"fairface has races 0-{len(RACES) - 1}, genders 0-1 and ages 0-{len(AGE_BUCKETS) - 1}"
        )
    return FaceTraits(gender=GENDERS[gender_id], age=AGE_BUCKETS[age_id], race=RACES[race_id])


@dataclass(frozen=True)
class FairFaceClassifier:
    """Implements :class:`faceswap.engine.classify.FaceClassifier`."""

    model: ModelSession
    models: tuple[str, ...] = ("fairface",)

    def forward_classify(self, batch: NDArray[np.float32]) -> NDArray[np.int64]:
        """``Nx3`` class ids (race, gender, age) of prepared crops: one call when the batch dimension is
        dynamic, else one per crop."""
        name = self.model.input_names()[0]
        step = len(batch) if self.model.batch_dynamic else 1
        parts = []
        for start in range(0, len(batch), max(step, 1)):
            chunk = batch[start : start + step]
            race, gender, age = self.model.run({name: chunk})[:3]
            parts.append(
                np.stack([np.asarray(o).reshape(len(chunk), -1)[:, 0] for o in (race, gender, age)], 1)
            )
        return np.concatenate(parts).astype(np.int64) if parts else np.zeros((0, 3), np.int64)

    def classify(self, image: ImageBGR, faces: Sequence[Face]) -> list[FaceTraits]:
        """The traits of each face of ``image``."""
        if not faces:
            return []
        ids = self.forward_classify(prepare_fairface_crops(image, faces))
        return [categorize(int(race), int(gender), int(age)) for race, gender, age in ids]
