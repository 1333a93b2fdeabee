"""The image pipeline: analyse sources and target, select faces, swap, enhance."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, cast

from faceswap.choices import FaceMode, FaceOrder, TaskStage
from faceswap.engine.extra_faces import Box, check_boxes_in_image, find_extra_faces
from faceswap.engine.face_filters import NO_FILTERS, FaceFilters
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels
from faceswap.engine.mouth import keep_mouth_originals, keep_mouths
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.protocols import Engine, FaceEnhancer
from faceswap.engine.selection import Selection, assign, average_embedding, make_identity, sort_left_to_right
from faceswap.engine.types import Face, Identity, ImageBGR, SourceFace, StageTimes
from faceswap.engine.upscale import UpscaleStep
from faceswap.errors import BadOptionError, NoFaceInSourceError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SwapRequest:
    """What to do with one target image.

    ``sources`` holds one list of photos per person; photos of the same person are averaged into one
    identity. Without ``mapping`` only the first person is used. ``order`` and ``filters`` decide which
    target faces the mode chooses from and how a mapping numbers them (:class:`Selection`); filters need
    an engine whose analyser classifies faces (:func:`faceswap.engine.analysis.with_analysis`).
    ``extra_faces`` are boxes ``(x1, y1, x2, y2)`` in the target's pixels drawn around people the
    detector missed: the face inside each is found (:mod:`faceswap.engine.extra_faces`) and numbered
    after the detected ones.
    """

    sources: Sequence[Sequence[ImageBGR]]
    mode: FaceMode = "one"
    mapping: Mapping[int, int] | None = None
    reference: Sequence[ImageBGR] = ()
    threshold: float | None = None
    options: SwapOptions = DEFAULT_OPTIONS
    order: FaceOrder | None = None
    filters: FaceFilters = NO_FILTERS
    extra_faces: Sequence[Box] = ()


@dataclass(frozen=True)
class EnhancerStep:
    name: str
    enhancer: FaceEnhancer
    blend: float

    def tuned(self, blend: float | None = None, weight: float | None = None) -> EnhancerStep:
        """This step with another ``blend`` and, for an enhancer with a fidelity weight (CodeFormer),
        another ``weight``; None keeps what it is. Other enhancers have no weight to set."""
        enhancer = self.enhancer
        if weight is not None and hasattr(enhancer, "fidelity"):
            enhancer = replace(cast(Any, enhancer), fidelity=weight)
        return replace(self, enhancer=enhancer, blend=self.blend if blend is None else blend)


@dataclass
class SwapOutcome:
    image: ImageBGR
    engine: str
    models: tuple[str, ...]
    enhancer: str | None
    faces_found: int
    faces_swapped: int
    times: StageTimes = field(default_factory=StageTimes)
    upscale: str | None = None
    """The frame enhancer that upscaled the whole image after the swap, if any."""

    @property
    def provenance_models(self) -> tuple[str, ...]:
        """Every model that shaped the output: the engine's and the upscaler."""
        return self.models + ((self.upscale,) if self.upscale else ())


def _no_stage(stage: TaskStage) -> None:
    """The default ``on_stage``: nobody listens."""


@contextmanager
def _timed(times: StageTimes, stage: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        times.add(stage, (time.perf_counter() - start) * 1000.0)


def largest_face(engine: Engine, image: ImageBGR) -> Face | None:
    faces = engine.analyser.analyse(image)
    return max(faces, key=lambda f: f.area) if faces else None


def build_identities(engine: Engine, sources: Sequence[Sequence[ImageBGR]]) -> list[Identity]:
    """One identity per person; each photo contributes its largest face."""
    identities: list[Identity] = []
    for person, photos in enumerate(sources):
        found: list[SourceFace] = []
        for number, photo in enumerate(photos):
            face = largest_face(engine, photo)
            if face is None:
                where = f"source {person}" + (f", photo {number}" if len(photos) > 1 else "")
                raise NoFaceInSourceError(f"no face was found in {where}")
            found.append(SourceFace(image=photo, face=face))
        identities.append(make_identity(found))
    return identities


def reference_selection(engine: Engine, request: SwapRequest) -> Selection:
    """The request's :class:`Selection`, with the reference person's embedding in ``reference`` mode."""
    if request.mode != "reference" or request.mapping is not None:
        return Selection(
            mode=request.mode, mapping=request.mapping, order=request.order, filters=request.filters
        )
    if not request.reference:
        raise BadOptionError("face mode 'reference' needs a reference photo (--reference IMAGE)")
    embeddings = []
    for photo in request.reference:
        face = largest_face(engine, photo)
        if face is None or face.embedding is None:
            raise NoFaceInSourceError("no face was found in the reference photo")
        embeddings.append(face.embedding)
    threshold = request.threshold or engine.analyser.default_reference_threshold
    return Selection(
        mode="reference",
        reference=average_embedding(embeddings),
        threshold=threshold,
        order=request.order,
        filters=request.filters,
    )


def swap_image(
    engine: Engine,
    target: ImageBGR,
    request: SwapRequest,
    enhancer: EnhancerStep | None = None,
    mask_models: MaskModels = NO_MASK_MODELS,
    upscale: UpscaleStep | None = None,
    on_stage: Callable[[TaskStage], None] | None = None,
) -> SwapOutcome:
    """Swaps faces in ``target`` as ``request`` says (the masks' models in ``mask_models``), then upscales
    the whole image with ``upscale`` when given; raises a :class:`FaceswapError` subclass on bad input.
    ``on_stage`` hears each stage as it begins (detecting, swapping, enhancing, upscaling)."""
    stage = on_stage or _no_stage
    if not request.sources or any(not photos for photos in request.sources):
        raise BadOptionError("at least one source photo is needed")
    if request.mapping is None and len(request.sources) > 1:
        raise BadOptionError("several source people need a mapping (--map SOURCE=FACE,...)")
    engine.check_options(request.options)
    check_boxes_in_image(request.extra_faces, target.shape[1], target.shape[0])
    times = StageTimes()
    stage("detecting")
    with _timed(times, "analyse_sources"):
        identities = build_identities(engine, request.sources)
    with _timed(times, "analyse_reference"):
        selection = reference_selection(engine, request)
    with _timed(times, "analyse_target"):
        faces = sort_left_to_right(engine.analyser.analyse(target))
        added = find_extra_faces(engine.analyser, target, request.extra_faces)
    pairs = assign(faces, identities, selection, added)
    result = target
    originals = keep_mouth_originals([target], [pairs], request.options)
    stage("swapping")
    with _timed(times, "swap"):
        for face, identity in pairs:
            result = engine.swapper.swap(result, face, identity, request.options, mask_models)
        if originals:
            result = keep_mouths(result, originals[0], [face for face, _ in pairs])
    if enhancer is not None:
        stage("enhancing")
        with _timed(times, "enhance"):
            for face, _ in pairs:
                result = enhancer.enhancer.enhance(result, face, enhancer.blend)
    if upscale is not None:
        stage("upscaling")
        with _timed(times, "upscale"):
            result = upscale.apply(result)
    log.info("swapped %d of %d face(s) with engine %s", len(pairs), len(faces) + len(added), engine.name)
    return SwapOutcome(
        image=result,
        engine=engine.name,
        models=engine.models,
        enhancer=enhancer.name if enhancer else None,
        faces_found=len(faces) + len(added),
        faces_swapped=len(pairs),
        times=times,
        upscale=upscale.name if upscale else None,
    )
