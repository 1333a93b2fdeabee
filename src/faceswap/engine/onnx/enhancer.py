"""Face restoration on aligned crops: GFPGAN, CodeFormer, RestoreFormer++, GPEN.

Each model's alignment template and crop size come from its catalog entry (``gpen_bfr_256``: ``arcface_128``
at 256 px; the others ``ffhq_512`` at 512, 1024 or 2048 px); every one is fed RGB in [-1, 1] and answers
the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceswap.choices import WarpTemplateName
from faceswap.engine.geometry import feather_mask, paste_back_all, paste_mask, warp_face, writable
from faceswap.engine.onnx.device_geometry import DeviceGeometry
from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.onnx.signature import ENHANCER_WEIGHT
from faceswap.engine.onnx.swap_pixels import normalize_swap_output, prepare_swap_crops
from faceswap.engine.types import Face, ImageBGR
from faceswap.models.swappers import SYMMETRIC

MASK_BLUR = 0.3
CODEFORMER_FIDELITY = 1.0
"""CodeFormer's ``weight``: 0 favours restoration quality, 1 fidelity to the input face."""


def prepare_enhance_crops(crops: Sequence[ImageBGR]) -> NDArray[np.float32]:
    """Nx3xSxS enhancer input of S x S BGR crops: RGB in [-1, 1] (one OpenCV pass per plane, as a
    swapper's)."""
    return prepare_swap_crops(crops, *SYMMETRIC)


def normalize_enhance_output(output: NDArray[Any]) -> list[ImageBGR]:
    """The enhancer's Nx3xSxS RGB [-1, 1] output as S x S BGR uint8 crops (clipped, rounded to the nearest
    level; one OpenCV pass per plane, as a swapper's)."""
    return normalize_swap_output(output, *SYMMETRIC, denormalise=True)


@dataclass(frozen=True)
class OnnxEnhancer:
    """Implements :class:`faceswap.engine.protocols.FaceEnhancer`: faces aligned with ``template`` at
    ``size`` x ``size`` pixels (the model's catalog entry, see :func:`faceswap.engine.onnx.engine.build_enhancer`)."""

    model: ModelSession
    template: WarpTemplateName
    size: int
    fidelity: float = CODEFORMER_FIDELITY
    mask_blur: float = MASK_BLUR
    geometry: DeviceGeometry | None = None
    """Warp and paste back as graphs on the model's device, crops kept there (None: OpenCV on the host)."""
    mask: NDArray[np.float32] = field(init=False, repr=False)
    """The feathered box mask, built once per loaded model, for the device path (the host pastes back
    through the coarser :func:`~faceswap.engine.geometry.paste_mask`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", feather_mask(self.size, self.mask_blur))

    def _constants(self) -> dict[str, NDArray[Any]]:
        if ENHANCER_WEIGHT not in self.model.input_names():
            return {}
        shape = [d if isinstance(d, int) else 1 for d in self.model.input_shape(ENHANCER_WEIGHT)]
        return {ENHANCER_WEIGHT: np.full(shape, self.fidelity, dtype=np.float64)}

    def _image_input(self) -> str:
        return next(n for n in self.model.input_names() if n != ENHANCER_WEIGHT)

    def forward_enhance(self, crops: NDArray[np.float32]) -> NDArray[np.float32]:
        """Restored crops for N prepared inputs (one call when the batch dim is dynamic)."""
        feeds = {self._image_input(): crops}
        return np.asarray(run_batched(self.model, feeds, self._constants()), np.float32)

    def enhance_batch(
        self, frames: Sequence[ImageBGR], faces: Sequence[Face], blend: float, *, in_place: bool = False
    ) -> list[ImageBGR]:
        """Item i: a copy of ``frames[i]`` with ``faces[i]`` restored, blended with weight ``blend``
        (``in_place``: into ``frames[i]`` itself, as :meth:`InSwapper.swap_batch` does)."""
        if not frames:
            return []
        weight = np.float32(min(max(blend, 0.0), 1.0))
        if self.geometry is not None and self.geometry.supports(frames):
            constants = self._constants()
            return self.geometry.apply_model(
                self.model,
                self._image_input(),
                frames,
                [f.kps for f in faces],
                lambda _: constants,
                self.mask * weight,
                in_place=in_place,
            )
        results = writable(frames, in_place)  # copies first: see OnnxSwapper.swap_batch
        warped = [
            warp_face(f, face.kps, self.template, self.size) for f, face in zip(frames, faces, strict=True)
        ]
        output = self.forward_enhance(prepare_enhance_crops([crop for crop, _ in warped]))
        if in_place and self.geometry is not None:
            self.geometry.uploads.forget()  # none kept for frames of mixed sizes, but to be sure
        return paste_back_all(
            results,
            normalize_enhance_output(output),
            paste_mask(self.size, self.mask_blur) * weight,
            [m for _, m in warped],
            in_place=True,
        )

    def enhance(self, frame: ImageBGR, face: Face, blend: float) -> ImageBGR:
        return self.enhance_batch([frame], [face], blend)[0]
