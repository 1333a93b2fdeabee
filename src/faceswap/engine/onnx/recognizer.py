"""ArcFace (``arcface_w600k_r50``) identity embeddings."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import warp_face
from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.types import Embedding, Face, ImageBGR

ARCFACE_SIZE = 112


def prepare_arcface_crops(image: ImageBGR, faces: Sequence[Face]) -> NDArray[np.float32]:
    """Nx3x112x112: each face aligned with ``arcface_112_v2``, RGB, ``(x-127.5)/127.5``."""
    return prepare_arcface_batch([image], [faces])


def prepare_arcface_batch(images: Sequence[ImageBGR], faces: Sequence[Sequence[Face]]) -> NDArray[np.float32]:
    """The crops of every face of every image (``faces[i]`` are in ``images[i]``), in that order."""
    crops = [
        warp_face(image, face.kps, "arcface_112_v2", ARCFACE_SIZE)[0]
        for image, found in zip(images, faces, strict=True)
        for face in found
    ]
    if not crops:
        return np.zeros((0, 3, ARCFACE_SIZE, ARCFACE_SIZE), np.float32)
    rgb = np.stack([cv2.cvtColor(crop, cv2.COLOR_BGR2RGB) for crop in crops]).astype(np.float32)
    return ((rgb - 127.5) / 127.5).transpose(0, 3, 1, 2)


def normalize_embeddings(raw: NDArray[Any]) -> NDArray[np.float32]:
    """Each row scaled to unit L2 norm (rows of zeros stay zero)."""
    vectors = np.asarray(raw, np.float32).reshape(len(raw), -1)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalized: NDArray[np.float32] = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalized


@dataclass(frozen=True)
class ArcFaceRecognizer:
    model: ModelSession

    def forward_embed(self, batch: NDArray[np.float32]) -> NDArray[np.float32]:
        """Raw embeddings for a batch of prepared crops (one call when the batch dim is dynamic)."""
        return np.asarray(run_batched(self.model, {self.model.input_names()[0]: batch}), np.float32)

    def embed(self, image: ImageBGR, faces: Sequence[Face]) -> list[Embedding]:
        """The L2-normalised embedding of every face in ``image``."""
        if not faces:
            return []
        return list(normalize_embeddings(self.forward_embed(prepare_arcface_crops(image, faces))))

    def embed_batch(
        self, images: Sequence[ImageBGR], faces: Sequence[Sequence[Face]]
    ) -> list[list[Embedding]]:
        """``embed`` of every image's faces, all faces in one model call when the batch is dynamic."""
        counts = [len(found) for found in faces]
        if not sum(counts):
            return [[] for _ in counts]
        vectors = list(normalize_embeddings(self.forward_embed(prepare_arcface_batch(images, faces))))
        bounds = np.cumsum([0, *counts])
        return [vectors[start:end] for start, end in itertools.pairwise(bounds)]
