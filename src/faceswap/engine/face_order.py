"""The order of a target's faces (pure functions): which face ``one`` takes, how ``mapping`` numbers them.

Faces are ordered by the centre of their box across (``left-right``, ``right-left``) or down
(``top-bottom``, ``bottom-top``), by the box's area (``small-large``, ``large-small``) or by the detector's
score (``best-worst``, ``worst-best``); equal keys fall back to left to right, so every order is total and
repeatable.

With no order given, the default keeps what each use has always done: ``one`` takes the largest face
(``large-small``); ``many``, ``reference``, a ``mapping`` and the numbered faces of ``face_detect`` count
faces left to right (``left-right``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from faceswap.choices import FaceMode, FaceOrder
from faceswap.engine.types import Face

OrderKey = Callable[[Face], tuple[float, float]]

ORDER_KEYS: dict[FaceOrder, OrderKey] = {
    "left-right": lambda f: (f.center_x, f.center_y),
    "right-left": lambda f: (-f.center_x, f.center_y),
    "top-bottom": lambda f: (f.center_y, f.center_x),
    "bottom-top": lambda f: (-f.center_y, f.center_x),
    "small-large": lambda f: (f.area, f.center_x),
    "large-small": lambda f: (-f.area, f.center_x),
    "best-worst": lambda f: (-f.score, f.center_x),
    "worst-best": lambda f: (f.score, f.center_x),
}
"""The sort key of each order (smallest first)."""


def default_order(mode: FaceMode, mapped: bool = False) -> FaceOrder:
    """The order used when none is given: the largest face first for ``one`` without a mapping (``one``
    takes the largest face), left to right for everything else (how faces are numbered)."""
    return "large-small" if mode == "one" and not mapped else "left-right"


def order_faces(faces: Sequence[Face], order: FaceOrder) -> list[Face]:
    """``faces`` sorted by ``order`` (a new list)."""
    return sorted(faces, key=ORDER_KEYS[order])
