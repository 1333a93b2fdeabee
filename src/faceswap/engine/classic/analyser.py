"""Face analysis from the models that ship inside registry packages (dlib + face-recognition-models).

Detection is dlib's HOG frontal detector run on a copy of the image resized towards a longer side of
``detect_long_side`` (2048) pixels: large photos are shrunk to it (at most by ``min_detect_scale``),
smaller ones upscaled at most ``detect_max_upscale`` (2x) towards it but always to a longer side of at
least ``detect_min_long_side`` (1024; at most ``max_detect_scale``, 4x, so faces down to ~20 px are found
in small photos). HOG's window is 80 px, so in photos of 1024 px and more the smallest face found is
about 4 % of the longer side (8 % if detection ran at 1024 px, where a group photo of six people 1200 px
wide, faces 60 to 85 px, loses two of them: :mod:`faceswap.testing.six_people`). HOG alone reports false
positives on textured areas (the suit in ``astronaut.png`` scores about 0.1 to 0.5 depending on scale
and rotation), so every candidate is verified: the 68-point landmarks give an upright, aligned face chip and the HOG detector must
find a face in that chip with a score of at least ``verify_threshold``. Real faces score 0.96 to 1.57 there
(the two shared photos flipped, rescaled 0.3x to 1.7x, rotated +-25 degrees, and the six-person photos),
false positives at most 0.37 (the suit: -0.04 to 0.18). ``Face.score`` is that aligned-chip score. dlib's
CNN (MMOD) detector is not used: on a 2-core CPU it takes ~1.5 s on a 512 px photo (~8 s with one
upsampling) against ~0.35 s for HOG at 2048 px.

Timings on a shared 2-core CPU: HOG ~0.1 s at 1024 px and ~0.3 to 0.45 s at 2048 px, landmarks and
verification ~5 ms per candidate, embedding ~85 ms per face. Faces are returned sorted left to right.

A box drawn by hand around a face (``analyse_box``, :mod:`faceswap.engine.extra_faces`) is searched at its
own scale with dlib's upsampling and lower thresholds (the ``box_*`` options).

The identity embedding is dlib's ResNet (``dlib_face_recognition_resnet_model_v1``) 128-d descriptor,
L2-normalised; face distance is ``1 - cosine``. Measured on the shared photos: the same person against
flipped, rescaled (0.3x to 1.7x) and rotated (10 degrees) copies of their photo is at most 0.030; Eileen
Collins (astronaut.png) against Grace Hopper is 0.118. dlib's own threshold of 0.6 Euclidean on raw
descriptors (norm ~1.42) corresponds to ~0.09 here; the default reference threshold is 0.08.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import cv2
import dlib
import face_recognition_models
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.extra_faces import Box, search_region
from faceswap.engine.landmarks68 import five_from_68
from faceswap.engine.types import Face, ImageBGR, Points
from faceswap.errors import InputError, ModelError

logger = logging.getLogger(__name__)

DEFAULT_REFERENCE_THRESHOLD = 0.08

# 68-point scheme (iBUG 300-W), indices as seen in the picture: 36-41 the eye on the image's left,
# 42-47 the eye on the image's right, 30 the nose tip, 48 and 54 the mouth corners.


@dataclass(frozen=True)
class AnalyserOptions:
    """Detection tuning; the defaults are measured on the shared photos (see the module docstring)."""

    detect_long_side: int = 2048
    detect_max_upscale: float = 2.0
    """Photos are upscaled towards ``detect_long_side`` at most this much (a 512 px portrait is not
    analysed at 2048 px: four times the cost for faces under 20 px) ..."""
    detect_min_long_side: int = 1024
    """... but always to at least this long side (up to ``max_detect_scale``), so small photos' faces
    still reach HOG's 80 px window."""
    min_detect_scale: float = 0.5
    max_detect_scale: float = 4.0
    candidate_threshold: float = -0.5
    verify_threshold: float = 0.75
    verify_chip_size: int = 100
    verify_chip_padding: float = 0.25
    reference_threshold: float = DEFAULT_REFERENCE_THRESHOLD
    box_face_side: int = 160
    """A box drawn by hand (``analyse_box``) is resized so its longer side has this many pixels."""
    box_upsample: int = 1
    """dlib's own upsampling inside a drawn box: HOG then finds faces down to a quarter of the box."""
    box_candidate_threshold: float = -1.0
    box_verify_threshold: float = 0.25
    """The thresholds inside a drawn box: the person said a face is there, so weaker faces count."""


@dataclass(frozen=True)
class DlibModels:
    """The dlib objects, loaded once and shared by the analyser and the swapper of one engine."""

    detector: dlib.fhog_object_detector
    shape_predictor: dlib.shape_predictor
    recognizer: dlib.face_recognition_model_v1

    @classmethod
    def load(cls) -> DlibModels:
        try:
            detector = dlib.get_frontal_face_detector()
            predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
            recognizer = dlib.face_recognition_model_v1(
                face_recognition_models.face_recognition_model_location()
            )
        except RuntimeError as exc:  # dlib reports unreadable model files as RuntimeError
            raise ModelError(
                f"cannot load the dlib models shipped in face-recognition-models: {exc}"
            ) from exc
        return cls(detector=detector, shape_predictor=predictor, recognizer=recognizer)


def to_rgb(image: ImageBGR) -> NDArray[np.uint8]:
    """The contiguous RGB uint8 copy dlib wants; rejects anything but an ``HxWx3`` uint8 image."""
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise InputError(f"expected an HxWx3 uint8 BGR image, got {image.dtype} of shape {image.shape}")
    return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))


def detection_scale(height: int, width: int, options: AnalyserOptions) -> float:
    """The factor the image is resized by before HOG detection: towards ``detect_long_side`` (upscaling
    at most ``detect_max_upscale``), at least to ``detect_min_long_side``, within the min and max scale."""
    long_side = max(height, width, 1)
    fine = min(options.detect_long_side / long_side, options.detect_max_upscale)
    scale = max(fine, options.detect_min_long_side / long_side)
    return float(np.clip(scale, options.min_detect_scale, options.max_detect_scale))


def kps_from_landmarks(landmarks: Points) -> Points:
    """The 5 key points (left eye, right eye, nose tip, left and right mouth corner) of 68 landmarks."""
    return five_from_68(landmarks)


def shape_to_points(shape: dlib.full_object_detection) -> Points:
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)


def box_rect(box: NDArray[np.float32]) -> dlib.rectangle:
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    return dlib.rectangle(x1, y1, x2, y2)


def predict_landmarks(models: DlibModels, rgb: NDArray[np.uint8], rect: dlib.rectangle) -> Points:
    """The 68 landmarks of the face in ``rect`` (image coordinates)."""
    return shape_to_points(models.shape_predictor(rgb, rect))


class ClassicAnalyser:
    """:class:`faceswap.engine.protocols.FaceAnalyser` on dlib: HOG + verification, 68 points, ResNet."""

    def __init__(self, models: DlibModels, options: AnalyserOptions | None = None) -> None:
        self.models = models
        self.options = options or AnalyserOptions()

    @property
    def default_reference_threshold(self) -> float:
        return self.options.reference_threshold

    def analyse(self, image: ImageBGR) -> list[Face]:
        rgb = to_rgb(image)
        faces = []
        for rect in self._candidates(rgb):
            shape = self.models.shape_predictor(rgb, rect)
            score = self._verify(rgb, shape)
            if score < self.options.verify_threshold:
                logger.debug("rejected HOG candidate %s (aligned score %.2f)", rect, score)
                continue
            faces.append(self._face(rgb, rect, shape, score))
        faces.sort(key=lambda face: face.center_x)
        return faces

    def analyse_box(self, image: ImageBGR, box: Box) -> Face:
        """The face inside ``box`` (:mod:`faceswap.engine.extra_faces`): HOG on the box's search region,
        resized so the box is ``box_face_side`` pixels and upsampled ``box_upsample`` times, with the
        ``box_*`` thresholds; the candidate centred in the box that verifies best. With none, the 68-point
        shape predictor run on the box itself places the landmarks (score 0)."""
        rgb = to_rgb(image)
        height, width = rgb.shape[:2]
        x0, y0, x1, y1 = search_region(box, width, height)
        scale = self.options.box_face_side / max(box[2] - box[0], box[3] - box[1], 1.0)
        crop = rgb[y0:y1, x0:x1]
        interpolation = cv2.INTER_LINEAR if scale > 1.0 else cv2.INTER_AREA
        scaled = np.ascontiguousarray(cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interpolation))
        options = self.options
        rects, _, _ = self.models.detector.run(scaled, options.box_upsample, options.box_candidate_threshold)
        best: tuple[dlib.rectangle, dlib.full_object_detection, float] | None = None
        for found in rects:
            rect = dlib.rectangle(
                round(found.left() / scale) + x0,
                round(found.top() / scale) + y0,
                round(found.right() / scale) + x0,
                round(found.bottom() / scale) + y0,
            )
            centre = rect.center()
            if not (box[0] <= centre.x <= box[2] and box[1] <= centre.y <= box[3]):
                continue
            shape = self.models.shape_predictor(rgb, rect)
            score = self._verify(rgb, shape)
            if score >= options.box_verify_threshold and (best is None or score > best[2]):
                best = (rect, shape, score)
        if best is None:
            rect = box_rect(np.array(box, dtype=np.float32))
            logger.debug("no face verified inside %s: landmarks placed in the box", rect)
            return self._face(rgb, rect, self.models.shape_predictor(rgb, rect), 0.0)
        return self._face(rgb, *best)

    def _candidates(self, rgb: NDArray[np.uint8]) -> list[dlib.rectangle]:
        height, width = rgb.shape[:2]
        scale = detection_scale(height, width, self.options)
        if scale == 1.0:
            scaled = rgb
        else:
            if min(round(height * scale), round(width * scale)) < 1:
                return []  # a side under a pixel once scaled: no face there (OpenCV would refuse it)
            interpolation = cv2.INTER_LINEAR if scale > 1.0 else cv2.INTER_AREA
            scaled = np.asarray(cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=interpolation))
        rects, scores, _ = self.models.detector.run(scaled, 0, self.options.candidate_threshold)
        logger.debug("HOG candidates at scale %.2f: %s", scale, [round(s, 3) for s in scores])
        return [
            dlib.rectangle(
                round(r.left() / scale),
                round(r.top() / scale),
                round(r.right() / scale),
                round(r.bottom() / scale),
            )
            for r in rects
        ]

    def _verify(self, rgb: NDArray[np.uint8], shape: dlib.full_object_detection) -> float:
        chip = dlib.get_face_chip(
            rgb, shape, size=self.options.verify_chip_size, padding=self.options.verify_chip_padding
        )
        _, scores, _ = self.models.detector.run(chip, 0, -2.0)
        return float(max(scores, default=-2.0))

    def _face(
        self, rgb: NDArray[np.uint8], rect: dlib.rectangle, shape: dlib.full_object_detection, score: float
    ) -> Face:
        landmarks = shape_to_points(shape)
        descriptor = np.asarray(self.models.recognizer.compute_face_descriptor(rgb, shape, 0), np.float32)
        norm = float(np.linalg.norm(descriptor))
        embedding = descriptor / norm if norm > 0 else descriptor
        # The HOG box is tight (the chin often lies below it): grow it to enclose the landmarks too.
        box = np.array(
            [
                min(float(rect.left()), float(landmarks[:, 0].min())),
                min(float(rect.top()), float(landmarks[:, 1].min())),
                max(float(rect.right()), float(landmarks[:, 0].max())),
                max(float(rect.bottom()), float(landmarks[:, 1].max())),
            ],
            dtype=np.float32,
        )
        return Face(
            box=box,
            kps=kps_from_landmarks(landmarks),
            score=score,
            embedding=embedding.astype(np.float32),
            landmarks=landmarks,
        )
