"""The 68-point landmark scheme (iBUG 300-W), as seen in the picture: indices and the 5 alignment points.

36-41 the eye on the image's left, 42-47 the eye on the image's right, 30 the nose tip, 48 and 54 the
mouth corners, 48-59 the outer lip line, 60-67 the inner one. dlib's predictor (the classic engine),
2dfan4 and fan_68_5 all use it.
"""

from __future__ import annotations

import numpy as np

from faceswap.engine.types import Points
from faceswap.errors import InputError

LANDMARK_COUNT = 68
LEFT_EYE = slice(36, 42)
RIGHT_EYE = slice(42, 48)
NOSE_TIP = 30
MOUTH_LEFT = 48
MOUTH_RIGHT = 54


def has_68(landmarks: Points | None) -> bool:
    """Whether ``landmarks`` are a full set of 68 points."""
    return landmarks is not None and np.shape(landmarks) == (LANDMARK_COUNT, 2)


def five_from_68(landmarks: Points) -> Points:
    """The 5 alignment points of 68 landmarks: eye centres, nose tip, left and right mouth corner."""
    if not has_68(landmarks):
        raise InputError(f"expected {LANDMARK_COUNT}x2 landmarks, got shape {np.shape(landmarks)}")
    points = np.asarray(landmarks, np.float32)
    return np.stack(
        [
            points[LEFT_EYE].mean(axis=0),
            points[RIGHT_EYE].mean(axis=0),
            points[NOSE_TIP],
            points[MOUTH_LEFT],
            points[MOUTH_RIGHT],
        ]
    ).astype(np.float32)
