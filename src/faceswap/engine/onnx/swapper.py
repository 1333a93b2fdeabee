"""The ONNX face swapper: one class for every swapper family, driven by its :class:`SwapperSpec`.

Per batch of faces: the identity goes in through the family's :class:`SourceFeed` (emap latent,
embedding, converted embedding or source crop); the target's face is aligned with the spec's template at
its size (or a pixel-boost multiple, split into interleaved model-sized sub-images), normalised as the
spec says (:mod:`faceswap.engine.onnx.swap_pixels`), swapped in one forward pass, read back (de-normalised
where the family does), masked and pasted back. With device geometry the warp and paste back run as graphs
on the model's device (native size, box mask, a normalisation the graphs can express).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from faceswap.engine.geometry import (
    feather_mask,
    paste_back_all,
    paste_mask,
    transform_points,
    warp_face,
    writable,
)
from faceswap.engine.landmarks68 import has_68
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels, crop_masks
from faceswap.engine.onnx.device_geometry import DeviceGeometry
from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.onnx.signature import SWAPPER_SOURCE, SWAPPER_TARGET
from faceswap.engine.onnx.swap_pixels import normalize_swap_output, prepare_swap_crops
from faceswap.engine.onnx.swap_sources import EmbeddingConverter, SourceFeed, source_feed
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.pixel_boost import explode, implode
from faceswap.engine.types import Face, Identity, ImageBGR
from faceswap.errors import BadOptionError
from faceswap.models.swappers import SwapperSpec

MASK_BLUR = 0.3


def crop_landmarks(face: Face, matrix: NDArray[np.float64]) -> NDArray[np.float32] | None:
    """The face's 68 landmarks in the crop that ``matrix`` cuts, or None when it has none."""
    if face.landmarks is None or not has_68(face.landmarks):
        return None
    return transform_points(face.landmarks, matrix)


@dataclass(frozen=True)
class OnnxSwapper:
    """Implements :class:`faceswap.engine.protocols.FaceSwapper` for any swapper ``spec`` describes."""

    model: ModelSession
    spec: SwapperSpec
    feed: SourceFeed
    """Makes the ``source`` input (read once at load: inswapper's emap, a converter's session)."""
    converter: EmbeddingConverter | None = None
    """The embedding converter ``feed`` runs (None for families without one)."""
    mask_blur: float = MASK_BLUR
    geometry: DeviceGeometry | None = None
    """Warp and paste back as graphs on the model's device, crops kept there (None: OpenCV on the host)."""
    mask: NDArray[np.float32] = field(init=False, repr=False)
    """The feathered box mask at the native size, built once per loaded model, for the device path (the
    host pastes back through the coarser :func:`~faceswap.engine.geometry.paste_mask`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", feather_mask(self.spec.size, self.mask_blur))

    def check_options(self, options: SwapOptions) -> None:
        """``bad_option`` for options this swapper cannot honour: a pixel boost that is not a multiple of its
        size, an identity weight below 1 on an image source."""
        options.crop_size(self.spec.size)
        if options.weight < 1.0 and not self.spec.takes_weight:
            raise BadOptionError(
                f"the {self.spec.family} swapper takes a source photo, not an identity vector: "
                "it has no identity weight (use 1)"
            )

    def forward_swap(self, targets: NDArray[np.float32], sources: NDArray[np.float32]) -> NDArray[np.float32]:
        """Swapped crops (the first output) for N prepared targets and sources: one call if the batch dim
        is dynamic."""
        feeds = {SWAPPER_TARGET: targets, SWAPPER_SOURCE: sources}
        return np.asarray(run_batched(self.model, feeds), np.float32)

    def source_inputs(
        self, targets: Sequence[Face], sources: Sequence[Identity], weight: float = 1.0
    ) -> NDArray[np.float32]:
        """The ``source`` input of each item (see :mod:`faceswap.engine.onnx.swap_sources`)."""
        return self.feed.inputs(sources, targets, weight)

    def swap_crops(self, crops: Sequence[ImageBGR], sources: NDArray[np.float32]) -> list[ImageBGR]:
        """The swapped crops (model-sized or pixel-boosted, all of one size), in one forward: a boosted
        crop is split into interleaved model-sized sub-images (:mod:`faceswap.engine.pixel_boost`)."""
        spec = self.spec
        parts = [implode(crop, spec.size) for crop in crops]
        count = len(parts[0])
        flat = [part for split in parts for part in split]
        targets = prepare_swap_crops(flat, spec.mean, spec.std)
        output = self.forward_swap(targets, sources if count == 1 else np.repeat(sources, count, axis=0))
        swapped = normalize_swap_output(output, spec.mean, spec.std, spec.denormalise)
        return [explode(swapped[i * count : (i + 1) * count], spec.size) for i in range(len(crops))]

    def swap_batch(
        self,
        frames: Sequence[ImageBGR],
        targets: Sequence[Face],
        sources: Sequence[Identity],
        *,
        in_place: bool = False,
        options: SwapOptions = DEFAULT_OPTIONS,
        mask_models: MaskModels = NO_MASK_MODELS,
    ) -> list[ImageBGR]:
        """Item i: a copy of ``frames[i]`` with ``targets[i]`` replaced by ``sources[i]``, in one forward,
        as ``options`` say (pixel boost, identity weight, masks from ``mask_models``).

        ``in_place``: the frames are the caller's to change; item i is ``frames[i]`` itself with its face
        written in (but read-only frames, copied), which saves a copy of every frame. The device path
        (``geometry``) serves the native crop size with a box mask; other options run on the host.
        """
        if not frames:
            return []
        self.check_options(options)
        spec = self.spec
        inputs = self.source_inputs(targets, sources, options.weight)
        size = options.crop_size(spec.size)
        on_device = size == spec.size and options.box_only
        if on_device and self.geometry is not None and self.geometry.supports(frames):
            return self.geometry.apply_model(
                self.model,
                SWAPPER_TARGET,
                frames,
                [target.kps for target in targets],
                lambda part: {SWAPPER_SOURCE: inputs[part]},
                self._box_mask(options),
                in_place=in_place,
            )
        # the copies first: made last, they would push the swapped crops out of the cache before the paste
        results = writable(frames, in_place)
        warped = [warp_face(f, t.kps, spec.template, size) for f, t in zip(frames, targets, strict=True)]
        crops = [crop for crop, _ in warped]
        swapped = self.swap_crops(crops, inputs)
        if options.box_only:
            masks: NDArray[np.float32] | list[NDArray[np.float32]] = paste_mask(
                size, options.mask_blur, options.mask_padding
            )
        else:
            points = [crop_landmarks(t, m) for t, (_, m) in zip(targets, warped, strict=True)]
            masks = crop_masks(options, mask_models, crops, swapped, points)
        if in_place and self.geometry is not None:
            self.geometry.uploads.forget()  # none kept for frames of mixed sizes, but to be sure
        return paste_back_all(results, swapped, masks, [m for _, m in warped], in_place=True)

    def _box_mask(self, options: SwapOptions) -> NDArray[np.float32]:
        if options.mask_blur == self.mask_blur and not any(options.mask_padding):
            return self.mask
        return feather_mask(self.spec.size, options.mask_blur, options.mask_padding)

    def swap(
        self,
        frame: ImageBGR,
        target: Face,
        source: Identity,
        options: SwapOptions = DEFAULT_OPTIONS,
        mask_models: MaskModels = NO_MASK_MODELS,
    ) -> ImageBGR:
        return self.swap_batch([frame], [target], [source], options=options, mask_models=mask_models)[0]


def load_swapper(
    model: ModelSession,
    spec: SwapperSpec,
    converter: EmbeddingConverter | None = None,
    geometry: DeviceGeometry | None = None,
) -> OnnxSwapper:
    """The swapper on a loaded ``model`` described by ``spec`` (with its embedding converter when the spec
    names one)."""
    feed = source_feed(spec, model, converter)
    return OnnxSwapper(model=model, spec=spec, feed=feed, converter=converter, geometry=geometry)
