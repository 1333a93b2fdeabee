"""The ``face_swap`` workflow: one face, several faces with a mapping, or a whole video.

The target's type is told by its content: a still image (JPEG, PNG, WebP, BMP, GIF: its first
frame) is swapped with the image pipeline, a video (MP4, MOV, MKV, WebM, AVI) frame by frame with
progress and cancel between frames. Outputs keep the target's format (AVI becomes MP4).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from faceswap.choices import ImageFormat, VideoContainer, choices, parse_choice
from faceswap.errors import BadOptionError
from faceswap.imaging.sniff import SNIFF_BYTES, extension, is_video, mime_type, sniff
from faceswap.service.processors.base import TaskRun
from faceswap.service.tasks.progress import VIDEO_STAGES

if TYPE_CHECKING:
    from faceswap.engine.pipeline import EnhancerStep
    from faceswap.engine.upscale import UpscaleStep
from faceswap.service.scratch import scratch_root, task_scratch

if TYPE_CHECKING:
    from faceswap.engine.pipeline import SwapRequest


@dataclass(frozen=True)
class Inputs:
    target: bytes
    sources: list[bytes]
    reference: bytes | None


@dataclass(frozen=True)
class Target:
    media: str
    """The target's type by content (``jpeg``, ``mp4`` ...)."""
    moving: bool
    """A video, or an animated GIF/WebP: swapped frame by frame."""


async def read_inputs(run: TaskRun) -> tuple[Inputs, Target]:
    """The task's target, sources and reference, each checked against the limits (a video probed)."""
    wf = run.task.wf
    target = await run.read(wf.target_url)
    media = sniff(target[:SNIFF_BYTES])
    moving = is_video(media) or _animated(media, target)
    # a video's length and frames: see limits
    await run.check(target, "video" if moving else "image", "the target")
    inputs = Inputs(
        target=target,
        sources=[await run.read(ref) for ref in wf.sources()],
        reference=await run.read(wf.reference_url) if wf.reference_url else None,
    )
    for index, photo in enumerate(inputs.sources):
        await run.check(photo, "image", f"source {index}")
    if inputs.reference is not None:
        await run.check(inputs.reference, "image", "the reference")
    return inputs, Target(media, moving)


async def process(run: TaskRun) -> dict[str, Any]:
    started = time.perf_counter()
    run.stage("reading")
    inputs, target = await read_inputs(run)
    check_photo_boxes(run, target)
    if target.moving:
        run.plan = VIDEO_STAGES
        result = await _video(run, inputs, target.media)
    else:
        result = await _image(run, inputs)
    result["processing_time"] = round(time.perf_counter() - started, 3)
    return result


def check_photo_boxes(run: TaskRun, target: Target) -> None:
    """``bad_option`` for faces drawn by hand (``extra_faces``) on a video: a box is in one picture's
    pixels."""
    if target.moving and run.task.wf.added_boxes():
        raise BadOptionError("extra_faces (faces drawn by hand) apply to photos, not videos")


def _animated(media: str, data: bytes) -> bool:
    """An animated GIF or WebP target is swapped frame by frame, like a short video."""
    from faceswap.imaging.decode import is_animated

    return media in ("gif", "webp") and is_animated(data)


def _photos(data: list[bytes]) -> list[Any]:
    from faceswap.imaging.decode import decode_image

    return [decode_image(d).bgr for d in data]


def _people(run: TaskRun, photos: list[Any]) -> list[list[Any]]:
    """One person per source with a mapping; else all sources are photos of one person."""
    return [[p] for p in photos] if run.task.wf.mapping is not None else [photos]


async def _image(run: TaskRun, inputs: Inputs) -> dict[str, Any]:
    encoded, fmt, report = await run.in_thread("image", _swap_image, run, inputs)
    run.stage("saving")
    stored = await run.outputs.store(f"output{extension(fmt)}", encoded, mime_type(fmt))
    run.progress(1.0)
    return {"kind": "image", **stored, **report}


def _swap_image(run: TaskRun, inputs: Inputs) -> tuple[bytes, Any, dict[str, Any]]:
    from faceswap.engine.pipeline import swap_image
    from faceswap.engine.upscale import check_upscaled_size, resize_alpha
    from faceswap.imaging.decode import decode_image
    from faceswap.imaging.encode import encode_image
    from faceswap.imaging.provenance import Provenance

    wf = run.task.wf
    target = decode_image(inputs.target)
    upscale = upscale_step(run)
    check_upscaled_size(target.width, target.height, upscale, run.worker.settings.limits.max_image_pixels)
    enhancer = enhancer_step(run)
    request = swap_request(run, inputs)
    masks = run.worker.mask_models(request.options)
    classify = request.filters.active
    run.stage("loading_engine")
    with run.worker.engine(wf.model, wf.landmarker, wf.detector_angles, classify) as engine:
        outcome = swap_image(engine, target.bgr, request, enhancer, masks, upscale, on_stage=run.stage)
    provenance = Provenance(
        engine=outcome.engine,
        models=outcome.provenance_models,
        enhancer=outcome.enhancer,
        created=datetime.now(UTC),
    )
    fmt = _image_format(wf.output_format, target.format)
    height, width = outcome.image.shape[:2]
    alpha = resize_alpha(target.alpha, (width, height))
    run.stage("encoding")
    encoded = encode_image(outcome.image, alpha, fmt, provenance=provenance)
    report = {
        "engine": outcome.engine,
        "models": list(outcome.models),
        "enhancer": outcome.enhancer,
        "upscale": outcome.upscale,
        "faces_found": outcome.faces_found,
        "faces_swapped": outcome.faces_swapped,
        "width": int(width),
        "height": int(height),
    }
    return encoded, fmt, report


def enhancer_step(run: TaskRun) -> EnhancerStep | None:
    """The task's enhancer step (None: none), with the task's ``enhancer_blend`` and ``enhancer_weight``
    when it gives them."""
    wf = run.task.wf
    step = run.worker.enhancer(wf.enhancer)
    return None if step is None else step.tuned(wf.enhancer_blend, wf.enhancer_weight)


def upscale_step(run: TaskRun) -> UpscaleStep | None:
    """The task's upscale step (None: none), with the task's ``upscale_blend`` when it gives one."""
    wf = run.task.wf
    step = run.worker.upscaler(wf.upscale)
    return None if step is None else step.tuned(wf.upscale_blend)


def swap_request(run: TaskRun, inputs: Inputs) -> SwapRequest:
    """Who goes onto which faces of a photo (or of one frame), and how, from the task's options."""
    from faceswap.engine.pipeline import SwapRequest

    wf = run.task.wf
    return SwapRequest(
        sources=_people(run, _photos(inputs.sources)),
        mode=wf.face_mode or "one",
        mapping=wf.mapping,
        reference=_photos([inputs.reference]) if inputs.reference else (),
        threshold=run.worker.settings.engine.reference_threshold,
        options=wf.swap_options(),
        order=wf.face_order,
        filters=wf.face_filters(),
        extra_faces=wf.added_boxes(),
    )


def _image_format(wanted: str | None, given: ImageFormat) -> ImageFormat:
    """The output format of a photo: ``wanted`` (an image format) or the target's."""
    if wanted is None:
        return given
    return cast(ImageFormat, parse_choice(ImageFormat, wanted, "output format of a photo"))


async def _video(run: TaskRun, inputs: Inputs, media: str) -> dict[str, Any]:
    wanted = run.task.wf.output_format
    if wanted is not None:
        container = parse_choice(VideoContainer, wanted, "output format of a video")
    else:
        # an animated GIF/WebP comes back as an animated GIF; other videos keep their container
        container = media if media in choices(VideoContainer) else "gif" if media == "webp" else "mp4"
    with task_scratch(scratch_root(run.worker.settings.data_dir), run.task_id) as folder:
        source = folder / f"input.{media}"
        source.write_bytes(inputs.target)
        output = folder / f"output.{container}"
        report = await run.in_thread("video", _swap_video, run, inputs, source, output)
        content_type = mime_type(cast(Any, container))
        run.stage("saving")
        stored = await run.outputs.store(output.name, output, content_type)
    run.progress(1.0)
    return {"kind": "video", **stored, **report}


def _swap_video(run: TaskRun, inputs: Inputs, source: Path, output: Path) -> dict[str, Any]:
    from faceswap.engine.upscale import check_upscaled_size
    from faceswap.video.options import VideoOptions, parse_resolution, with_settings
    from faceswap.video.pixels import target_size
    from faceswap.video.probe import probe
    from faceswap.video.swap import VideoSwapRequest, swap_video

    wf = run.task.wf
    given = VideoOptions(
        resolution=parse_resolution(wf.resolution), preset="veryfast", encoder=wf.video_encoder
    )
    video_options = with_settings(given, run.worker.settings.video)
    upscale = upscale_step(run)
    if upscale is not None:
        width, height = target_size(probe(source).display_size, video_options.resolution)
        limit = run.worker.settings.limits.max_video_pixels
        check_upscaled_size(width, height, upscale, limit, "the video's frames")
    enhancer = enhancer_step(run)
    options = wf.swap_options()
    masks = run.worker.mask_models(options)
    request = VideoSwapRequest(
        sources=_people(run, _photos(inputs.sources)),
        mode=wf.face_mode or "one",
        mapping=wf.mapping,
        reference=_photos([inputs.reference]) if inputs.reference else (),
        threshold=run.worker.settings.engine.reference_threshold,
        swap_options=options,
        order=wf.face_order,
        filters=wf.face_filters(),
    )
    classify = request.filters.active
    run.stage("loading_engine")
    with run.worker.engine(wf.model, wf.landmarker, wf.detector_angles, classify) as engine:
        run.stage("swapping")
        outcome = swap_video(
            engine,
            source,
            output,
            request,
            video_options,
            enhancer,
            progress=lambda p: run.frames(p.frames_done, p.frames_total),
            should_cancel=run.should_cancel,
            mask_models=masks,
            upscale=upscale,
        )
    return outcome.summary()
