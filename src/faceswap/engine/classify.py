"""Face classification as part of analysis: an analyser whose faces carry their gender, age and race.

The face filters (:mod:`faceswap.engine.face_filters`) need each target face's traits. The classifier
works on a face's 5 key points in the frame, so it runs after any analyser, neural or classic, and after
the detector angles (faces found in a turned copy are mapped back first; the key points align the crop
upright). It is a per-task choice applied to the lent engine like the landmarker
(:func:`faceswap.engine.analysis.with_analysis`), and runs only when a task has a filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from faceswap.engine.extra_faces import Box, find_in_box
from faceswap.engine.protocols import FaceAnalyser
from faceswap.engine.types import Face, FaceTraits, ImageBGR


class FaceClassifier(Protocol):
    @property
    def models(self) -> tuple[str, ...]:
        """The catalog models it runs (shown in a result's model list)."""
        ...

    def classify(self, image: ImageBGR, faces: Sequence[Face]) -> list[FaceTraits]:
        """The traits of each face of ``image``, in order."""
        ...


def classified(classifier: FaceClassifier, image: ImageBGR, faces: Sequence[Face]) -> list[Face]:
    """``faces`` with their ``traits`` filled in by ``classifier``."""
    if not faces:
        return []
    traits = classifier.classify(image, faces)
    return [replace(face, traits=trait) for face, trait in zip(faces, traits, strict=True)]


@dataclass(frozen=True)
class ClassifyingAnalyser:
    """An analyser (``inner``) whose faces are also classified (``classifier``)."""

    inner: FaceAnalyser
    classifier: FaceClassifier

    @property
    def default_reference_threshold(self) -> float:
        return self.inner.default_reference_threshold

    def analyse(self, image: ImageBGR) -> list[Face]:
        return classified(self.classifier, image, self.inner.analyse(image))

    def analyse_box(self, image: ImageBGR, box: Box) -> Face:
        """The inner analyser's face inside ``box``, classified."""
        return classified(self.classifier, image, [find_in_box(self.inner, image, box)])[0]

    def analyse_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        """``analyse`` of every image, the inner analyser batched when it batches."""
        batch = getattr(self.inner, "analyse_batch", None)
        found: list[list[Face]] = batch(images) if batch else [self.inner.analyse(image) for image in images]
        return [classified(self.classifier, image, faces) for image, faces in zip(images, found, strict=True)]
