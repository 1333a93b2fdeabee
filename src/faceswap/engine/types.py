"""Plain data that travels through the engine: images, faces, identities."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from faceswap.choices import FaceGender, FaceRace

ImageBGR = NDArray[np.uint8]
"""An ``HxWx3`` uint8 image in OpenCV's BGR order (alpha is kept aside by the I/O layer)."""
Points = NDArray[np.float32]
"""An ``Nx2`` float32 array of x, y pixel coordinates."""
Matrix = NDArray[np.float64]
"""A ``2x3`` affine matrix."""
Embedding = NDArray[np.float32]
"""A 1-D L2-normalised identity vector."""


@dataclass(frozen=True)
class FaceTraits:
    """What a face classifier (fairface) tells of a face: ``age`` is its bucket, the first and last year
    it holds (0-2, 3-9, 10-19 ... 60-69, 70-100)."""

    gender: FaceGender
    age: tuple[int, int]
    race: FaceRace


@dataclass(frozen=True)
class Face:
    """One detected face in one image.

    ``kps`` are the 5 points left eye, right eye, nose tip, left and right mouth corner (as seen in the
    picture). ``landmarks`` are dense points when the analyser has them (68 for dlib and for the neural
    engine's landmarker), else None; ``landmark_score`` is the landmarker's confidence in [0, 1] when one
    ran (at its threshold or above, ``kps`` were taken from ``landmarks``). ``traits`` are the face
    classifier's answer when one ran (face filters), else None.
    """

    box: NDArray[np.float32]  # x1, y1, x2, y2
    kps: Points
    score: float
    embedding: Embedding | None = None
    landmarks: Points | None = None
    landmark_score: float | None = None
    traits: FaceTraits | None = None

    @property
    def area(self) -> float:
        x1, y1, x2, y2 = (float(v) for v in self.box)
        return max(0.0, x2 - x1) * max(0.0, y2 - y1)

    @property
    def center_x(self) -> float:
        return float(self.box[0] + self.box[2]) / 2.0

    @property
    def center_y(self) -> float:
        return float(self.box[1] + self.box[3]) / 2.0


@dataclass(frozen=True)
class SourceFace:
    """A face in one source photo, with the photo it came from (the classic engine warps its pixels)."""

    image: ImageBGR
    face: Face


@dataclass(frozen=True)
class Identity:
    """One person to paste in: one or more photos of them and the averaged, normalised embedding."""

    faces: tuple[SourceFace, ...]
    embedding: Embedding

    @property
    def primary(self) -> SourceFace:
        """The photo whose face is largest: the one pixel-based engines use."""
        return max(self.faces, key=lambda f: f.face.area)


@dataclass
class StageTimes:
    """Milliseconds spent per stage; filled in by the pipeline, reported by benchmarks and results."""

    ms: dict[str, float] = field(default_factory=dict)

    def add(self, stage: str, ms: float) -> None:
        self.ms[stage] = self.ms.get(stage, 0.0) + ms
