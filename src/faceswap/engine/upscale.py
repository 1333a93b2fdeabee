"""The ``upscale`` step: a frame enhancer run on the whole photo or every video frame after the swap.

:class:`UpscaleStep` names the model and how much of its output is kept; :func:`check_upscaled_size`
refuses (``bad_option``) an output larger than the service's limits before any work is done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from faceswap.engine.types import ImageBGR
from faceswap.errors import BadOptionError


class FrameUpscaler(Protocol):
    """A whole-frame super-resolution model."""

    @property
    def scale(self) -> int:
        """How many times wider and higher its output is."""
        ...

    def upscale(self, frame: ImageBGR, blend: float = 1.0) -> ImageBGR:
        """``frame`` ``scale`` times as wide and high (``blend``: the model's share, the rest bicubic)."""
        ...


@dataclass(frozen=True)
class UpscaleStep:
    name: str
    upscaler: FrameUpscaler
    blend: float = 1.0

    @property
    def scale(self) -> int:
        return self.upscaler.scale

    def tuned(self, blend: float | None = None) -> UpscaleStep:
        """This step with another ``blend`` (None keeps it)."""
        return self if blend is None else replace(self, blend=blend)

    def apply(self, image: ImageBGR) -> ImageBGR:
        return self.upscaler.upscale(image, self.blend)

    def apply_batch(self, images: Sequence[ImageBGR]) -> list[ImageBGR]:
        """Every frame upscaled, in order (a video transcode's ``process`` after the swap)."""
        return [self.apply(image) for image in images]


def upscaled_size(width: int, height: int, step: UpscaleStep | None) -> tuple[int, int]:
    """The output size of a ``width`` x ``height`` picture after ``step`` (None: unchanged)."""
    scale = 1 if step is None else step.scale
    return width * scale, height * scale


def check_upscaled_size(
    width: int, height: int, step: UpscaleStep | None, max_pixels: int, what: str = "the output"
) -> None:
    """``bad_option`` when ``step`` would make a ``width`` x ``height`` picture larger than ``max_pixels``."""
    if step is None:
        return
    out_w, out_h = upscaled_size(width, height, step)
    if out_w * out_h > max_pixels:
        raise BadOptionError(
            f"upscale {step.name} (x{step.scale}) would make {what} {out_w}x{out_h} = {out_w * out_h} "
            f"pixels, over the limit of {max_pixels}; choose a smaller scale, a lower resolution or no upscale"
        )


def resize_alpha(alpha: NDArray[np.uint8] | None, size: tuple[int, int]) -> NDArray[np.uint8] | None:
    """An alpha channel scaled to ``size`` (width, height) with the picture it belongs to."""
    if alpha is None or (alpha.shape[1], alpha.shape[0]) == size:
        return alpha
    return np.asarray(cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR), np.uint8)
