"""The video half of ``faceswap swap``: options, progress bar and the report line."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import click
from tqdm import tqdm

from faceswap.choices import FaceMode, FaceOrder, VideoEncoderName, VideoPreset
from faceswap.engine.face_filters import NO_FILTERS, FaceFilters
from faceswap.engine.mask_models import NO_MASK_MODELS, MaskModels
from faceswap.engine.options import DEFAULT_OPTIONS, SwapOptions
from faceswap.engine.pipeline import EnhancerStep
from faceswap.engine.protocols import Engine
from faceswap.engine.types import ImageBGR
from faceswap.engine.upscale import UpscaleStep
from faceswap.video.options import VideoOptions, parse_resolution
from faceswap.video.swap import VideoSwapRequest, swap_video
from faceswap.video.transcode import Progress


def run_video(
    engine: Engine,
    enhancer: EnhancerStep | None,
    target: Path,
    output: Path,
    sources: Sequence[Sequence[ImageBGR]],
    *,
    mode: FaceMode,
    mapping: dict[int, int] | None,
    references: Sequence[ImageBGR],
    reference_frame: int | None,
    reference_face: int,
    threshold: float | None,
    options: VideoOptions,
    as_json: bool,
    swap_options: SwapOptions = DEFAULT_OPTIONS,
    mask_models: MaskModels = NO_MASK_MODELS,
    upscale: UpscaleStep | None = None,
    order: FaceOrder | None = None,
    filters: FaceFilters = NO_FILTERS,
) -> None:
    request = VideoSwapRequest(
        sources=sources,
        mode=mode,
        mapping=mapping,
        reference=references,
        reference_frame=reference_frame,
        reference_face=reference_face,
        threshold=threshold,
        swap_options=swap_options,
        order=order,
        filters=filters,
    )
    with tqdm(unit="frame", desc=output.name, disable=as_json, leave=False) as bar:

        def show(progress: Progress) -> None:
            bar.total = progress.frames_total
            bar.n = progress.frames_done
            bar.set_postfix(fps=f"{progress.fps:.1f}", refresh=False)
            bar.refresh()

        outcome = swap_video(
            engine,
            target,
            output,
            request,
            options,
            enhancer,
            progress=show,
            mask_models=mask_models,
            upscale=upscale,
        )
    report = outcome.report
    if as_json:
        click.echo(
            json.dumps(
                {
                    "output": str(output),
                    **outcome.summary(),
                    "audio": report.audio,
                    "fps": round(report.fps, 2),
                }
            )
        )
    else:
        click.echo(
            f"wrote {output}: {report.frames} frames ({outcome.stats.frames_with_faces} with faces, "
            f"{outcome.stats.faces_swapped} faces swapped) with {outcome.engine} at {report.fps:.1f} frames/s"
        )


def video_options(
    resolution: str | None,
    start: float | None,
    end: float | None,
    crf: int | None,
    preset: VideoPreset,
    encoder: VideoEncoderName | None = None,
) -> VideoOptions:
    return VideoOptions(
        resolution=parse_resolution(resolution), start=start, end=end, crf=crf, preset=preset, encoder=encoder
    )
