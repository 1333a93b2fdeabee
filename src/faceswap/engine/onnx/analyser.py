"""The neural face analyser: a detector for boxes and key points, optionally a 68-point landmarker that
refines the key points, ArcFace for identities (taken on the refined points)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from faceswap.engine.onnx.detector import FaceDetector
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
