"""Swapping faces frame after frame (video, animated images): selection, tracking, batched swaps."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels
from faceswap.engine.mouth import keep_mouth_originals, keep_mouths
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.pipeline import EnhancerStep
from faceswap.engine.protocols import Engine
from faceswap.engine.selection import Selection, assign, sort_left_to_right
from faceswap.engine.tracking import smooth_faces
from faceswap.engine.types import Face, Identity, ImageBGR
from faceswap.errors import NoFaceError

log = logging.getLogger(__name__)


@runtime_checkable
class BatchAnalyser(Protocol):
    def analyse_batch(self, images: Sequence[ImageBGR]) -> list[list[Face]]:
        """``analyse`` of each image, in order, with fewer model calls."""
        ...


@runtime_checkable
class BatchSwapper(Protocol):
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
        """Item i: ``frames[i]`` with face i swapped, in a copy or (``in_place``) in the frame itself."""
        ...


@runtime_checkable
class BatchEnhancer(Protocol):
    def enhance_batch(
        self, frames: Sequence[ImageBGR], faces: Sequence[Face], blend: float, *, in_place: bool = False
    ) -> list[ImageBGR]:
        """Item i: ``frames[i]`` with face i restored, in a copy or (``in_place``) in the frame itself."""
        ...


Plan = list[tuple[Face, Identity]]
"""One frame's faces to swap, each with the person who goes there (none: the frame passes through)."""


@dataclass
class FrameStats:
    frames: int = 0
    frames_with_faces: int = 0
    faces_swapped: int = 0


@dataclass
class FrameSwapper:
    """The ``process`` function of a video transcode: batches of frames in, swapped frames out.

    It keeps the previous frame's faces to smooth key points, so one instance serves one video, in order.
    Frames with no (selected) face pass through untouched. With batched swaps a frame is copied once at
    most, by its first swap (not at all with ``overwrite``); its later faces and its enhancement are
    written into that copy.
    """

    engine: Engine
    identities: Sequence[Identity]
    selection: Selection
    enhancer: EnhancerStep | None = None
    smoothing: float = 0.5
    batch_analysis: bool = True
    """Analyse a batch's frames together when the analyser can (False: one frame at a time)."""
    batch_swaps: bool = True
    """Swap (and enhance) a batch's faces together when the models can (False: one face at a time)."""
    overwrite: bool = False
    """The frames handed to a call are this swapper's to change (a transcode's decoded frames): faces are
    written into them and no frame is copied (read-only frames still are)."""
    options: SwapOptions = DEFAULT_OPTIONS
    mask_models: MaskModels = NO_MASK_MODELS
    stats: FrameStats = field(default_factory=FrameStats)
    _previous: list[Face] = field(default_factory=list)

    def __call__(self, frames: list[ImageBGR]) -> list[ImageBGR]:
        with self.engine.batch_scope():  # frames change only through the swaps' own writes in here
            return self._apply(frames, self.prepare(frames))

    def prepare(self, frames: list[ImageBGR]) -> list[Plan]:
        """Each frame's faces to swap and who goes there, the frames left unchanged. Called batch after
        batch, in order (smoothing reads the previous frame's faces), from one thread at a time."""
        plans = [self._plan(faces) for faces in self._analyse(frames)]
        self.stats.frames += len(frames)
        self.stats.frames_with_faces += sum(1 for plan in plans if plan)
        return plans

    def finish(self, frames: list[ImageBGR], plans: list[Plan]) -> list[ImageBGR]:
        """The frames with the faces of ``plans`` (from :meth:`prepare`) swapped: the second half of a
        call, which may run in another thread while :meth:`prepare` analyses the next batch (the engine
        is :attr:`~faceswap.engine.protocols.Engine.thread_safe`)."""
        with self.engine.batch_scope():
            return self._apply(frames, plans)

    def _apply(self, frames: list[ImageBGR], plans: list[Plan]) -> list[ImageBGR]:
        result = list(frames)
        originals = keep_mouth_originals(frames, plans, self.options)
        # Depth 0 swaps into copies unless the frames may be overwritten; its results are ours, so every
        # later face and the enhancement go into them (a frame with a face at depth d had one at d - 1).
        for depth in range(max((len(plan) for plan in plans), default=0)):
            index = [i for i, plan in enumerate(plans) if len(plan) > depth]
            pairs = [plans[i][depth] for i in index]
            swapped = self._swap([result[i] for i in index], pairs, self.overwrite or depth > 0)
            for i, image in zip(index, swapped, strict=True):
                result[i] = image
            self.stats.faces_swapped += len(pairs)
        for i, original in originals.items():
            result[i] = keep_mouths(result[i], original, [face for face, _ in plans[i]])
        if self.enhancer is not None:
            result = self._enhance(result, plans, self.enhancer)
        return result

    def _analyse(self, frames: list[ImageBGR]) -> list[list[Face]]:
        analyser = self.engine.analyser
        if self.batch_analysis and isinstance(analyser, BatchAnalyser):
            return analyser.analyse_batch(frames)
        return [analyser.analyse(frame) for frame in frames]

    def _plan(self, found: list[Face]) -> Plan:
        """Frame after frame, in order: smoothing reads the previous frame's faces."""
        faces = smooth_faces(sort_left_to_right(found), self._previous, self.smoothing)
        self._previous = faces
        if not faces:
            return []
        try:
            return assign(faces, self.identities, self.selection)
        except NoFaceError:
            return []  # nobody to replace in this frame: it passes through

    def _swap(
        self, frames: list[ImageBGR], pairs: list[tuple[Face, Identity]], in_place: bool
    ) -> list[ImageBGR]:
        swapper = self.engine.swapper
        if self.batch_swaps and isinstance(swapper, BatchSwapper):
            faces, identities = [f for f, _ in pairs], [i for _, i in pairs]
            return swapper.swap_batch(
                frames,
                faces,
                identities,
                in_place=in_place,
                options=self.options,
                mask_models=self.mask_models,
            )
        return [
            swapper.swap(frame, face, identity, self.options, self.mask_models)
            for frame, (face, identity) in zip(frames, pairs, strict=True)
        ]

    def _enhance(self, frames: list[ImageBGR], plans: list[Plan], step: EnhancerStep) -> list[ImageBGR]:
        result = list(frames)
        for depth in range(max((len(plan) for plan in plans), default=0)):
            index = [i for i, plan in enumerate(plans) if len(plan) > depth]
            faces = [plans[i][depth][0] for i in index]
            if self.batch_swaps and isinstance(step.enhancer, BatchEnhancer):
                batch = [result[i] for i in index]  # swapped at depth 0: our copies (or ours to overwrite)
                enhanced = step.enhancer.enhance_batch(batch, faces, step.blend, in_place=True)
            else:
                enhanced = [
                    step.enhancer.enhance(result[i], f, step.blend) for i, f in zip(index, faces, strict=True)
                ]
            for i, image in zip(index, enhanced, strict=True):
                result[i] = image
        return result
