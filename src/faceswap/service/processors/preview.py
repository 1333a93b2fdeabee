"""The ``face_preview`` workflow: one frame swapped, answered inline (``POST /api/preview``).

The frame is the photo target itself, or one frame of a video target (``frame`` N or ``time_s`` S of
:class:`~faceswap.service.tasks.preview.PreviewOptions`). It is downscaled to at most
:data:`~faceswap.service.tasks.preview.PREVIEW_MAX_SIDE` pixels on its longer side, swapped with the
task's options as the ``face_swap`` workflow would (same inputs, checks, engine and enhancer), and
encoded as a JPEG carried in the result (``image_base64``): nothing is written to the storage, so a
preview leaves no file behind, and its job (hidden from task lists) expires soon after.

Frame N is the frame shown at N / frame rate: exact for a constant frame rate, the nearest frame for a
variable one. A position past the end of the video is ``bad_option``.
"""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

import numpy as np
from numpy.typing import NDArray

from faceswap.engine.extra_faces import check_boxes_in_image, scale_boxes
from faceswap.errors import BadOptionError
from faceswap.service.processors.base import TaskRun
from faceswap.service.processors.face_swap import (
    Inputs,
    Target,
    check_photo_boxes,
    enhancer_step,
    read_inputs,
    swap_request,
)
from faceswap.service.scratch import scratch_root, task_scratch
from faceswap.service.tasks.preview import PREVIEW_MAX_SIDE, PreviewOptions

JPEG_QUALITY = 88


@dataclass(frozen=True)
class Picked:
    """The frame to swap and where it sits in the target."""

    image: NDArray[np.uint8]
    frame: int | None
    time_s: float | None


async def process(run: TaskRun) -> dict[str, Any]:
    started = time.perf_counter()
    options = PreviewOptions.model_validate(run.task.wf.model_dump())
    inputs, target = await read_inputs(run)
    check_photo_boxes(run, target)
    if not target.moving and (options.frame or options.time_s):
        raise BadOptionError("frame and time_s choose a frame of a video; the target is a photo")
    run.progress(0.1)
    result = await run.in_thread("image", _preview, run, options, inputs, target)
    run.progress(1.0)
    result["processing_time"] = round(time.perf_counter() - started, 3)
    return result


def _preview(run: TaskRun, options: PreviewOptions, inputs: Inputs, target: Target) -> dict[str, Any]:
    from faceswap.engine.pipeline import swap_image
    from faceswap.imaging.encode import encode_image
    from faceswap.imaging.provenance import Provenance

    if target.moving:
        picked = _video_frame(run, options, inputs.target, target.media)
    else:
        from faceswap.imaging.decode import decode_image

        picked = Picked(decode_image(inputs.target).bgr, None, None)
    height, width = picked.image.shape[:2]
    image = downscale(picked.image, PREVIEW_MAX_SIDE)
    request = swap_request(run, inputs)
    if request.extra_faces:  # boxes drawn on the photo, in its own pixels
        boxes = check_boxes_in_image(request.extra_faces, width, height)
        small_h, small_w = image.shape[:2]
        scaled = scale_boxes(boxes, small_w / width, small_w, small_h)
        request = replace(request, extra_faces=scaled)
    enhancer = enhancer_step(run)
    masks = run.worker.mask_models(request.options)
    classify = request.filters.active
    with run.worker.engine(options.model, options.landmarker, options.detector_angles, classify) as engine:
        run.progress(0.3)
        outcome = swap_image(engine, image, request, enhancer, masks)
    provenance = Provenance(
        engine=outcome.engine, models=outcome.models, enhancer=outcome.enhancer, created=datetime.now(UTC)
    )
    encoded = encode_image(outcome.image, None, "jpeg", quality=JPEG_QUALITY, provenance=provenance)
    return {
        "kind": "preview",
        "target_kind": "video" if target.moving else "image",
        "content_type": "image/jpeg",
        "image_base64": base64.b64encode(encoded).decode("ascii"),
        "width": int(outcome.image.shape[1]),
        "height": int(outcome.image.shape[0]),
        "target_width": width,
        "target_height": height,
        "downscaled": (width, height) != (outcome.image.shape[1], outcome.image.shape[0]),
        "frame": picked.frame,
        "time_s": picked.time_s,
        "engine": outcome.engine,
        "models": list(outcome.models),
        "enhancer": outcome.enhancer,
        "faces_found": outcome.faces_found,
        "faces_swapped": outcome.faces_swapped,
    }


def downscale(image: NDArray[np.uint8], max_side: int) -> NDArray[np.uint8]:
    """``image`` with its longer side at most ``max_side`` pixels (the aspect ratio kept)."""
    import cv2

    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1.0:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _video_frame(run: TaskRun, options: PreviewOptions, data: bytes, media: str) -> Picked:
    from faceswap.video.decode import read_frames
    from faceswap.video.options import VideoOptions
    from faceswap.video.probe import probe

    with task_scratch(scratch_root(run.worker.settings.data_dir), run.task_id) as folder:
        path = folder / f"input.{media}"
        path.write_bytes(data)
        info = probe(path)
        rate = Fraction(info.fps).limit_denominator(100000) if info.fps > 0 else None
        period = 1 / rate if rate else Fraction(0)
        if options.frame is not None:
            if info.frame_count_exact and options.frame >= info.frame_count:
                raise BadOptionError(past_end(options, info.frame_count, info.duration))
            if options.frame and rate is None:
                raise BadOptionError("this video has no frame rate to find a frame by its number; use time_s")
            wanted = options.frame * period
        else:
            wanted = Fraction(str(options.time_s or 0.0))
            if info.duration and wanted > Fraction(str(info.duration)):
                raise BadOptionError(past_end(options, info.frame_count, info.duration))
        # the first frame from half a period before the wanted time: the frame shown then
        start = max(Fraction(0), wanted - period / 2)
        for frame in read_frames(info, VideoOptions(start=float(start) if start else None)):
            offset = frame.time - info.start_time
            index = round(offset * rate) if rate else frame.index
            return Picked(frame.image, int(index), round(float(offset), 6))
    raise BadOptionError(past_end(options, info.frame_count, info.duration))


def past_end(options: PreviewOptions, frames: int, duration: float) -> str:
    where = f"frame {options.frame}" if options.frame is not None else f"time {options.time_s:g} s"
    return f"{where} is past the end of the video ({frames} frames, {duration:.3f} s)"
