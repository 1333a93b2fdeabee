"""InsightFace's inswapper_128 (and its fp16 variant): one-shot identity swap on 128x128 aligned crops."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import onnx
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from numpy.typing import NDArray
from onnx import numpy_helper

from faceswap.engine.geometry import feather_mask, paste_back_all, transform_points, warp_face
from faceswap.engine.landmarks68 import has_68
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels, crop_masks
from faceswap.engine.onnx.device_geometry import DeviceGeometry
from faceswap.engine.onnx.recognizer import normalize_embeddings
from faceswap.engine.onnx.session import ModelSession, run_batched
from faceswap.engine.onnx.signature import EMBEDDING_SIZE, INSWAPPER_SOURCE, INSWAPPER_TARGET
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.pixel_boost import explode, implode
from faceswap.engine.types import Face, Identity, ImageBGR
from faceswap.errors import BadOptionError, ModelSignatureError

INSWAPPER_SIZE = 128
MASK_BLUR = 0.3


def read_emap(path: Path) -> NDArray[np.float32]:
    """The 512x512 ``emap`` matrix: the graph's last initializer (fp16 files are cast to float32)."""
    try:
        graph = onnx.load(str(path)).graph
    except (OSError, ValueError, DecodeError) as exc:
        raise ModelSignatureError(f"cannot read the ONNX graph of {path}: {exc}") from exc
    if not graph.initializer:
        raise ModelSignatureError(f"{path} has no initializers; expected the emap matrix last")
    emap = numpy_helper.to_array(graph.initializer[-1]).astype(np.float32)
    if emap.shape != (EMBEDDING_SIZE, EMBEDDING_SIZE):
        raise ModelSignatureError(
            f"{path}: the last initializer has shape {emap.shape}; expected 512x512 emap"
        )
    return emap


def prepare_latents(embeddings: NDArray[Any], emap: NDArray[np.float32]) -> NDArray[np.float32]:
    """Nx512 swapper ``source`` input: normalise(normalise(embedding) @ emap), as InsightFace does."""
    return normalize_embeddings(normalize_embeddings(np.atleast_2d(embeddings)) @ emap)


def blend_identity(source: NDArray[Any], target: Face, weight: float) -> NDArray[np.float32]:
    """``normalise(weight * source + (1 - weight) * target)`` of the L2-normalised embeddings: how much of
    the source's identity goes in (1: all of it). ``bad_option`` when the target face has no embedding."""
    if target.embedding is None:
        raise BadOptionError("a swapper weight below 1 needs the target face's embedding")
    mixed = weight * normalize_embeddings(np.atleast_2d(source))[0]
    mixed = mixed + (1.0 - weight) * normalize_embeddings(np.atleast_2d(target.embedding))[0]
    return np.asarray(normalize_embeddings(np.atleast_2d(mixed))[0], np.float32)


def crop_landmarks(face: Face, matrix: NDArray[np.float64]) -> NDArray[np.float32] | None:
    """The face's 68 landmarks in the crop that ``matrix`` cuts, or None when it has none."""
    if face.landmarks is None or not has_68(face.landmarks):
        return None
    return transform_points(face.landmarks, matrix)


def prepare_swap_crops(crops: Sequence[ImageBGR]) -> NDArray[np.float32]:
    """Nx3x128x128 swapper ``target`` input: RGB in [0, 1]."""
    return np.asarray(cv2.dnn.blobFromImages(list(crops), 1.0 / 255.0, swapRB=True), np.float32)


def normalize_swap_output(output: NDArray[Any]) -> list[ImageBGR]:
    """The swapper's Nx3x128x128 RGB [0, 1] output as BGR uint8 crops (rounded, clipped); the float work
    runs on the contiguous NCHW array, the layout change on the 4 times smaller uint8 one."""
    pixels = np.asarray(output, np.float32) * np.float32(255.0)
    np.clip(pixels, 0.0, 255.0, out=pixels)
    np.rint(pixels, out=pixels)
    bgr = pixels.astype(np.uint8)[:, ::-1].transpose(0, 2, 3, 1)
    return [np.ascontiguousarray(crop) for crop in bgr]


@dataclass(frozen=True)
class InSwapper:
    """Implements :class:`faceswap.engine.protocols.FaceSwapper`; ``emap`` is read once at load."""

    model: ModelSession
    emap: NDArray[np.float32]
    mask_blur: float = MASK_BLUR
    geometry: DeviceGeometry | None = None
    """Warp and paste back as graphs on the model's device, crops kept there (None: OpenCV on the host)."""
    mask: NDArray[np.float32] = field(init=False, repr=False)
    """The feathered paste-back mask, built once per loaded model."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "mask", feather_mask(INSWAPPER_SIZE, self.mask_blur))

    def forward_swap(self, targets: NDArray[np.float32], latents: NDArray[np.float32]) -> NDArray[np.float32]:
        """Swapped crops for N prepared targets and latents: one call if the batch dim is dynamic."""
        feeds = {INSWAPPER_TARGET: targets, INSWAPPER_SOURCE: latents}
        return np.asarray(run_batched(self.model, feeds), np.float32)

    def latents(
        self, targets: Sequence[Face], sources: Sequence[Identity], weight: float = 1.0
    ) -> NDArray[np.float32]:
        """The ``source`` input of each item: the source's identity, or with ``weight`` < 1 its blend
        with the target's own (:func:`blend_identity`)."""
        if weight < 1.0:
            blended = [blend_identity(s.embedding, t, weight) for s, t in zip(sources, targets, strict=True)]
            return prepare_latents(np.stack(blended), self.emap)
        # one latent per distinct identity (a video swaps the same person into every frame): a vector
        # times emap each, instead of an N-row product that wakes the BLAS threads for nothing
        distinct = list({id(source): source for source in sources}.values())
        rows = {id(source): row for row, source in enumerate(distinct)}
        unique = prepare_latents(np.stack([source.embedding for source in distinct]), self.emap)
        return unique[[rows[id(source)] for source in sources]]

    def swap_crops(self, crops: Sequence[ImageBGR], latents: NDArray[np.float32]) -> list[ImageBGR]:
        """The swapped crops (model-sized or pixel-boosted, all of one size), in one forward: a boosted
        crop is split into interleaved model-sized sub-images (:mod:`faceswap.engine.pixel_boost`)."""
        parts = [implode(crop, INSWAPPER_SIZE) for crop in crops]
        count = len(parts[0])
        flat = [part for split in parts for part in split]
        output = self.forward_swap(prepare_swap_crops(flat), np.repeat(latents, count, axis=0))
        swapped = normalize_swap_output(output)
        return [explode(swapped[i * count : (i + 1) * count], INSWAPPER_SIZE) for i in range(len(crops))]

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
        latents = self.latents(targets, sources, options.weight)
        size = options.crop_size(INSWAPPER_SIZE)
        on_device = size == INSWAPPER_SIZE and options.box_only
        if on_device and self.geometry is not None and self.geometry.supports(frames):
            return self.geometry.apply_model(
                self.model,
                INSWAPPER_TARGET,
                frames,
                [target.kps for target in targets],
                lambda part: {INSWAPPER_SOURCE: latents[part]},
                self._box_mask(options),
                in_place=in_place,
            )
        warped = [warp_face(f, t.kps, "arcface_128", size) for f, t in zip(frames, targets, strict=True)]
        crops = [crop for crop, _ in warped]
        swapped = self.swap_crops(crops, latents)
        if options.box_only:
            masks: NDArray[np.float32] | list[NDArray[np.float32]] = self._box_mask(options, size)
        else:
            points = [crop_landmarks(t, m) for t, (_, m) in zip(targets, warped, strict=True)]
            masks = crop_masks(options, mask_models, crops, swapped, points)
        if in_place and self.geometry is not None:
            self.geometry.uploads.forget()  # none kept for frames of mixed sizes, but to be sure
        return paste_back_all(frames, swapped, masks, [m for _, m in warped], in_place)

    def _box_mask(self, options: SwapOptions, size: int = INSWAPPER_SIZE) -> NDArray[np.float32]:
        if size == INSWAPPER_SIZE and options.mask_blur == self.mask_blur and not any(options.mask_padding):
            return self.mask
        return feather_mask(size, options.mask_blur, options.mask_padding)

    def swap(
        self,
        frame: ImageBGR,
        target: Face,
        source: Identity,
        options: SwapOptions = DEFAULT_OPTIONS,
        mask_models: MaskModels = NO_MASK_MODELS,
    ) -> ImageBGR:
        return self.swap_batch([frame], [target], [source], options=options, mask_models=mask_models)[0]


def load_inswapper(model: ModelSession, geometry: DeviceGeometry | None = None) -> InSwapper:
    return InSwapper(model=model, emap=read_emap(model.path), geometry=geometry)
