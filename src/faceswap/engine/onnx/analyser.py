"""The neural face analyser: a detector for boxes and key points, optionally a 68-point landmarker that
refines the key points, ArcFace for identities (taken on the refined points)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from faceswap.engine.extra_faces import Box, best_inside, search_region, shift_face, template_face
from faceswap.engine.onnx.detector import BOX_SCORE, FaceDetector
from faceswap.engine.onnx.landmarker import FanLandmarker
from faceswap.engine.onnx.recognizer import ArcFaceRecognizer
from faceswap.engine.types import Face, ImageBGR

ARCFACE_REFERENCE_THRESHOLD = 0.6
"""Face distance (1 - cosine of L2-normalised ArcFace embeddings) below which two faces are taken as the
same person. 0.6 is FaceFusion's default ``reference_face_distance`` for the same ArcFace models: the same
person typically lands around 0.2-0.5 and different people near 0.8-1.0."""


@dataclass(frozen=True)
class NeuralAnalyser:
    """Implements :class:`faceswap.engine.protocols.FaceAnalyser`."""

    detector: FaceDetector
    recognizer: ArcFaceRecognizer
    reference_threshold: float = ARCFACE_REFERENCE_THRESHOLD
    landmarker: FanLandmarker | None = None
    """Refines the detector's 5 points before alignment and adds 68 landmarks (None: the detector's)."""

    @property
    def default_reference_threshold(self) -> float:
        return self.reference_threshold

    def analyse(self, image: ImageBGR) -> list[Face]:
        faces = self.detector.detect(image)
        if self.landmarker is not None:
            faces = self.landmarker.refine(image, faces)
        embeddings = self.recognizer.embed(image, faces)
        return [replace(face, embedding=embedding) for face, embedding in zip(faces, embeddings, strict=True)]

    def analyse_box(self, image: ImageBGR, box: Box) -> Face:
        """The face inside ``box`` (:mod:`faceswap.engine.extra_faces`): the detector on the box's search
        region with its score threshold lowered to ``BOX_SCORE``, the best face centred in the box, or
        the template's key points placed in the box (score 0); then the landmarker and ArcFace as usual."""
        height, width = image.shape[:2]
        x0, y0, x1, y1 = search_region(box, width, height)
        crop = np.ascontiguousarray(image[y0:y1, x0:x1])
        found = [shift_face(face, x0, y0) for face in self.detector.loosened(BOX_SCORE).detect(crop)]
        faces = [best_inside(found, box) or template_face(box)]
        if self.landmarker is not None:
            faces = self.landmarker.refine(image, faces)
        embedding = self.recognizer.embed(image, faces)[0]
        return replace(faces[0], embedding=embedding)

    def analyse_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        """``analyse`` of every image: the detector once for all of them (when its batch is dynamic, else
        once per image), the landmarker per face, and the recognizer once for every face found."""
        found = self.detector.detect_batch(images)
        if self.landmarker is not None:
            found = self.landmarker.refine_batch(images, found)
        embeddings = self.recognizer.embed_batch(images, found)
        return [
            [replace(face, embedding=vector) for face, vector in zip(faces, vectors, strict=True)]
            for faces, vectors in zip(found, embeddings, strict=True)
        ]
