"""Face swap over a whole video: the library function the CLI and the worker call."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from faceswap.choices import FaceMode, FaceOrder
from faceswap.engine.face_filters import NO_FILTERS, FaceFilters
from faceswap.engine.frames import FrameStats, FrameSwapper, Plan
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.pipeline import EnhancerStep, SwapRequest, build_identities, reference_selection
from faceswap.engine.protocols import Engine
from faceswap.engine.selection import Selection, candidates
from faceswap.engine.types import ImageBGR
from faceswap.engine.upscale import UpscaleStep
from faceswap.errors import BadOptionError, NoFaceInTargetError
from faceswap.video.decode import read_frames
from faceswap.video.options import VideoOptions
from faceswap.video.probe import probe
from faceswap.video.transcode import ProcessBatch, Progress, SplitProcess, VideoReport, transcode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VideoSwapRequest:
    """Who goes where in a video.

    ``reference`` photos, or a face picked in the video itself (``reference_frame``: frame number within
    the trimmed clip, ``reference_face``: its index in ``order``, left to right by default, among the
    faces ``filters`` keep), choose the person to follow in ``reference`` mode; other people are left
    alone. ``order`` and ``filters`` choose each frame's faces as for a photo (:class:`SwapRequest`).
    """

    sources: Sequence[Sequence[ImageBGR]]
    mode: FaceMode = "one"
    mapping: Mapping[int, int] | None = None
    reference: Sequence[ImageBGR] = ()
    reference_frame: int | None = None
    reference_face: int = 0
    threshold: float | None = None
    smoothing: float = 0.5
    swap_options: SwapOptions = DEFAULT_OPTIONS
    order: FaceOrder | None = None
    filters: FaceFilters = NO_FILTERS


@dataclass(frozen=True)
class VideoSwapOutcome:
    report: VideoReport
    engine: str
    models: tuple[str, ...]
    enhancer: str | None
    stats: FrameStats
    upscale: str | None = None

    def summary(self) -> dict[str, object]:
        """What ran and what came out, as the CLI's JSON report and a task's result show it."""
        return {
            "engine": self.engine,
            "models": list(self.models),
            "enhancer": self.enhancer,
            "upscale": self.upscale,
            "frames": self.report.frames,
            "frames_with_faces": self.stats.frames_with_faces,
            "faces_swapped": self.stats.faces_swapped,
            "width": self.report.width,
            "height": self.report.height,
            "duration": self.report.duration,
        }


def frame_reference(
    engine: Engine, path: Path, options: VideoOptions, request: VideoSwapRequest
) -> Selection:
    """The person shown as face ``reference_face`` in frame ``reference_frame``, to follow through the video."""
    assert request.reference_frame is not None
    frames = read_frames(probe(path), options)
    try:
        for frame in frames:
            if frame.index == request.reference_frame:
                picking = Selection(mode="many", order=request.order, filters=request.filters)
                faces = candidates(engine.analyser.analyse(frame.image), picking)
                if request.reference_face >= len(faces):
                    raise NoFaceInTargetError(
                        f"frame {frame.index} has {len(faces)} face(s); face {request.reference_face} does not exist"
                    )
                embedding = faces[request.reference_face].embedding
                assert embedding is not None
                threshold = request.threshold or engine.analyser.default_reference_threshold
                return Selection(
                    mode="reference",
                    reference=embedding,
                    threshold=threshold,
                    order=request.order,
                    filters=request.filters,
                )
    finally:
        frames.close()
    raise BadOptionError(f"the video has no frame {request.reference_frame} (counted from 0 after --start)")


def video_selection(
    engine: Engine, path: Path, options: VideoOptions, request: VideoSwapRequest
) -> Selection:
    if request.mode == "reference" and request.mapping is None and request.reference_frame is not None:
        return frame_reference(engine, path, options, request)
    as_image = SwapRequest(
        sources=request.sources,
        mode=request.mode,
        mapping=request.mapping,
        reference=request.reference,
        threshold=request.threshold,
        order=request.order,
        filters=request.filters,
    )
    return reference_selection(engine, as_image)


def video_process(
    swapper: FrameSwapper, concurrent: bool, upscale: UpscaleStep | None = None
) -> ProcessBatch | SplitProcess[list[Plan]]:
    """What :func:`transcode` runs per batch: ``swapper`` (then ``upscale``), split so that the next
    batch's faces are found while this one's are swapped when the engine may run for two threads at
    once (``concurrent``), else whole in one thread."""

    def finish(frames: list[ImageBGR], plans: list[Plan]) -> list[ImageBGR]:
        swapped = swapper.finish(frames, plans)
        return upscale.apply_batch(swapped) if upscale is not None else swapped

    if concurrent:
        return SplitProcess(swapper.prepare, finish)

    def whole(frames: list[ImageBGR]) -> list[ImageBGR]:
        return finish(frames, swapper.prepare(frames))

    return whole if upscale is not None else swapper


def for_engine(options: VideoOptions, engine: Engine) -> VideoOptions:
    """``options`` with what they leave open decided by ``engine``: batches of its size; on a GPU, frames
    decoded with NVDEC (CUDA) and faces found in a thread of their own. On the CPU the models already use
    every core, so a second model thread only contends with the first: analysis and swap take turns."""
    batch_size = options.batch_size if options.batch_size is not None else engine.batch_size
    hardware = options.hardware_decode
    analysis = options.analysis_thread
    on_gpu = engine.device[0] != "cpu"
    return dataclasses.replace(
        options,
        batch_size=batch_size,
        hardware_decode=hardware if hardware is not None else engine.device[0] == "cuda",
        analysis_thread=(analysis if analysis is not None else on_gpu) and engine.thread_safe,
    )


def swap_video(
    engine: Engine,
    input_path: Path,
    output_path: Path,
    request: VideoSwapRequest,
    options: VideoOptions | None = None,
    enhancer: EnhancerStep | None = None,
    *,
    progress: Callable[[Progress], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    mask_models: MaskModels = NO_MASK_MODELS,
    upscale: UpscaleStep | None = None,
) -> VideoSwapOutcome:
    """Swaps faces through ``input_path`` into ``output_path``; all or nothing, like :func:`transcode`.
    ``request.swap_options`` shape each swap (the masks' models in ``mask_models``); ``upscale`` then
    enlarges every frame, and the output video is that much larger (time stamps and audio as they were).
    What ``options`` leave open, the engine decides (:func:`for_engine`)."""
    options = for_engine(options or VideoOptions(), engine)
    if not request.sources or any(not photos for photos in request.sources):
        raise BadOptionError("at least one source photo is needed")
    engine.check_options(request.swap_options)
    if request.mapping is None and len(request.sources) > 1:
        raise BadOptionError("several source people need a mapping (--map SOURCE=FACE,...)")
    identities = build_identities(engine, request.sources)
    selection = video_selection(engine, input_path, options, request)
    # transcode hands over decoded frames it does not use again: faces go straight into them
    swapper = FrameSwapper(
        engine,
        identities,
        selection,
        enhancer,
        smoothing=request.smoothing,
        overwrite=True,
        options=request.swap_options,
        mask_models=mask_models,
    )
    process = video_process(swapper, bool(options.analysis_thread), upscale)
    report = transcode(
        input_path, output_path, process, options, progress=progress, should_cancel=should_cancel
    )
    log.info(
        "video swapped: %d frames, %d with faces, %d faces swapped, %.1f fps",
        swapper.stats.frames,
        swapper.stats.frames_with_faces,
        swapper.stats.faces_swapped,
        report.fps,
    )
    return VideoSwapOutcome(
        report=report,
        engine=engine.name,
        models=engine.models,
        enhancer=enhancer.name if enhancer else None,
        stats=swapper.stats,
        upscale=upscale.name if upscale else None,
    )
