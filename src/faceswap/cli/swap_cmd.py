"""``faceswap swap SOURCE [SOURCE...] TARGET -o OUTPUT``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import click

from faceswap.choices import (
    EngineName,
    EnhancerName,
    FaceMode,
    FaceOrder,
    LandmarkerName,
    UpscaleName,
    VideoEncoderName,
    VideoPreset,
    choices,
)
from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors
from faceswap.cli.quality_flags import quality_options
from faceswap.cli.selection_flags import selection_options
from faceswap.cli.target_kind import target_kind
from faceswap.cli.video_run import run_video, video_options
from faceswap.engine.analysis import open_classifier, open_landmarker, with_analysis
from faceswap.engine.extra_faces import check_boxes, parse_box
from faceswap.engine.face_filters import FaceFilters
from faceswap.engine.factory import open_engine, open_enhancer, open_mask_models, open_upscaler
from faceswap.engine.options import SwapOptions
from faceswap.engine.pipeline import SwapOutcome, SwapRequest, swap_image
from faceswap.engine.rotation import check_angles
from faceswap.engine.selection import parse_mapping
from faceswap.engine.upscale import UpscaleStep, check_upscaled_size, resize_alpha
from faceswap.errors import BadOptionError
from faceswap.imaging.decode import DecodedImage, read_image
from faceswap.imaging.encode import format_for_path, write_image
from faceswap.imaging.provenance import Provenance
from faceswap.limits import check_face_room
from faceswap.models.swappers import AUTO_PREFERENCE
from faceswap.video.options import VideoOptions, output_format, with_encoder, with_settings
from faceswap.video.pixels import target_size
from faceswap.video.probe import probe


@click.command("swap")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="where to write the result"
)
@click.option(
    "--engine",
    type=click.Choice(choices(EngineName)),
    help="a swapper model, classic, or auto (the default): the best installed swapper in the order "
    + " > ".join(AUTO_PREFERENCE)
    + " > classic (on a GPU inswapper_128_fp16 before inswapper_128); licences: faceswap models list",
)
@click.option("--enhancer", type=click.Choice(choices(EnhancerName)), help="face enhancer run after the swap")
@click.option(
    "--landmarker",
    type=click.Choice(choices(LandmarkerName)),
    help="68-point landmarker refining the key points before alignment (default: settings, none)",
)
@click.option(
    "--detector-angles",
    "angles",
    help="clockwise rotations the detector also tries, e.g. 0,90,180,270 (default: settings, 0)",
)
@click.option("--faces", "mode", type=click.Choice(choices(FaceMode)), default="one", show_default=True)
@click.option(
    "--reference",
    "references",
    multiple=True,
    type=click.Path(path_type=Path),
    help="photo of the person to replace",
)
@click.option(
    "--map",
    "mapping",
    help="SOURCE=FACE pairs, faces counted from 0 in --face-order (left to right), e.g. 0=1",
)
@click.option("--threshold", type=float, help="face distance for --faces reference (engine default if unset)")
@click.option(
    "--add-face",
    "added_faces",
    multiple=True,
    metavar="X1,Y1,X2,Y2",
    help="photo: a face the detector missed, as its box in the target's pixels (repeatable); the face "
    "inside is found and numbered after the detected faces",
)
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@click.option("--reference-frame", type=click.IntRange(min=0), help="video: pick the person in this frame")
@click.option(
    "--reference-face",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="video: face index in --reference-frame",
)
@click.option("--start", type=float, help="video: first second to keep")
@click.option("--end", type=float, help="video: second to stop at")
@click.option("--resolution", help="video: output WIDTHxHEIGHT (0 keeps the aspect ratio)")
@click.option("--crf", type=click.IntRange(0, 63), help="video: encoder quality, lower is better")
@click.option("--preset", type=click.Choice(choices(VideoPreset)), default="medium", show_default=True)
@click.option(
    "--encoder",
    type=click.Choice(choices(VideoEncoderName)),
    help="video: H.264/HEVC encoder of an mp4/mov/mkv output (default: settings, libx264); NVENC needs a GPU "
    "that has it",
)
@click.option("--enhancer-blend", type=click.FloatRange(0, 1), help="how much of the enhanced face is kept")
@click.option(
    "--enhancer-weight", type=click.FloatRange(0, 1), help="CodeFormer's fidelity (0 quality, 1 input)"
)
@click.option(
    "--upscale",
    type=click.Choice(choices(UpscaleName)),
    help="frame enhancer that upscales the whole photo or video after the swap (default: settings, none)",
)
@click.option(
    "--upscale-blend",
    type=click.FloatRange(0, 1),
    help="how much of the upscaler's output is kept (default 1)",
)
@reports_errors  # outermost of the three: a bad quality or selection flag is reported like any error
@quality_options
@selection_options
def swap_command(
    paths: tuple[Path, ...],
    output: Path,
    engine: str | None,
    enhancer: str | None,
    landmarker: str | None,
    angles: str | None,
    mode: str,
    references: tuple[Path, ...],
    mapping: str | None,
    threshold: float | None,
    added_faces: tuple[str, ...],
    as_json: bool,
    reference_frame: int | None,
    reference_face: int,
    start: float | None,
    end: float | None,
    resolution: str | None,
    crf: int | None,
    preset: str,
    encoder: str | None,
    enhancer_blend: float | None,
    enhancer_weight: float | None,
    upscale: str | None,
    upscale_blend: float | None,
    swap_options: SwapOptions,
    face_order: str | None,
    face_filters: FaceFilters,
) -> None:
    """Swap the face(s) of SOURCE photo(s) into TARGET (a photo or a video) and write OUTPUT.

    Several SOURCE photos are averaged into one person, unless --map assigns each SOURCE to a face.
    A video target (mp4, mov, mkv, webm, avi; an animated GIF/WebP written to a video or GIF) is swapped
    frame by frame, keeping its frame rate, time stamps and audio.
    """
    if len(paths) < 2:
        raise BadOptionError("give at least one SOURCE and a TARGET")
    *source_paths, target_path = paths
    kind = target_kind(target_path, output)
    options = (
        video_options(
            resolution, start, end, crf, cast(VideoPreset, preset), cast(VideoEncoderName | None, encoder)
        )
        if kind == "video"
        else None
    )
    # fail on an unsupported output suffix (or an encoder it cannot take) before any work
    if options is not None:
        with_encoder(output_format(output), options.encoder)
    else:
        format_for_path(output)
    extra_faces = check_boxes([parse_box(text) for text in added_faces])
    if extra_faces and options is not None:
        raise BadOptionError("--add-face draws a box on a photo; the target is a video")
    context = load_context()
    settings, registry = context.settings, context.registry
    if options is not None:
        options = with_settings(options, settings.video)
    parsed_mapping = parse_mapping(mapping) if mapping else None
    photos = [read_photo(p).bgr for p in source_paths]
    sources = [[s] for s in photos] if parsed_mapping is not None else [photos]
    reference_photos = [read_photo(p).bgr for p in references]
    upscale_name = cast(UpscaleName, upscale or settings.engine.upscale)
    upscaler = open_upscaler(settings, upscale_name, registry.path)
    if upscaler is not None:
        upscaler = upscaler.tuned(upscale_blend)
    if options is not None:
        display = probe(target_path).display_size
        check_face_room(*display, target_path.name)
        check_upscaled_video(display, options, upscaler, settings.limits.max_video_pixels)
    threshold = threshold if threshold is not None else settings.engine.reference_threshold
    loaded = open_engine(
        settings, cast(EngineName, engine or settings.engine.engine), registry.path, registry.is_installed
    )
    landmarks = open_landmarker(
        settings, cast(LandmarkerName, landmarker or settings.engine.landmarker), registry.path
    )
    classifier = open_classifier(settings, face_filters.active, registry.path)
    angles_chosen = parse_angles(angles) or settings.engine.detector_angles
    loaded = with_analysis(loaded, landmarks, angles_chosen, classifier)
    step = open_enhancer(settings, cast(EnhancerName, enhancer or settings.engine.enhancer), registry.path)
    if step is not None:
        step = step.tuned(enhancer_blend, enhancer_weight)
    mask_models = open_mask_models(settings, swap_options, registry.path)
    if options is not None:
        run_video(
            loaded,
            step,
            target_path,
            output,
            sources,
            mode=cast(FaceMode, mode),
            mapping=parsed_mapping,
            references=reference_photos,
            reference_frame=reference_frame,
            reference_face=reference_face,
            threshold=threshold,
            options=options,
            as_json=as_json,
            swap_options=swap_options,
            mask_models=mask_models,
            upscale=upscaler,
            order=cast(FaceOrder | None, face_order),
            filters=face_filters,
        )
        return
    request = SwapRequest(
        sources=sources,
        mode=cast(FaceMode, mode),
        mapping=parsed_mapping,
        reference=reference_photos,
        threshold=threshold,
        options=swap_options,
        order=cast(FaceOrder | None, face_order),
        filters=face_filters,
        extra_faces=extra_faces,
    )
    target = read_photo(target_path)
    check_upscaled_size(target.width, target.height, upscaler, settings.limits.max_image_pixels)
    outcome = swap_image(loaded, target.bgr, request, step, mask_models, upscaler)
    write_result(output, target, outcome)
    report = outcome_report(output, outcome)
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo(
            f"wrote {output}: {outcome.faces_swapped} of {outcome.faces_found} face(s) swapped with "
            f"{outcome.engine} ({', '.join(outcome.models)})"
            + (f" + {outcome.enhancer}" if outcome.enhancer else "")
            + (f", upscaled with {outcome.upscale}" if outcome.upscale else "")
            + f" in {sum(outcome.times.ms.values()):.0f} ms"
        )


def parse_angles(text: str | None) -> tuple[int, ...]:
    """``0,90,180,270`` as angles (empty for None); ``bad_option`` for anything else."""
    if text is None:
        return ()
    try:
        values = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as exc:
        raise BadOptionError(f"--detector-angles takes numbers like 0,90,180,270; got {text!r}") from exc
    return check_angles(values)


def check_upscaled_video(
    display: tuple[int, int], options: VideoOptions, step: UpscaleStep | None, max_pixels: int
) -> None:
    """``bad_option`` when ``step`` would make the video's frames (at the output resolution) larger than
    ``max_pixels``."""
    width, height = target_size(display, options.resolution)
    check_upscaled_size(width, height, step, max_pixels, "the video's frames")


def read_photo(path: Path) -> DecodedImage:
    """The photo at ``path``, decoded; ``bad_input`` when it has no room for a face (:func:`check_face_room`)."""
    photo = read_image(path)
    check_face_room(photo.width, photo.height, path.name)
    return photo


def write_result(output: Path, target: DecodedImage, outcome: SwapOutcome) -> None:
    provenance = Provenance(
        engine=outcome.engine,
        models=outcome.provenance_models,
        enhancer=outcome.enhancer,
        created=datetime.now(UTC),
    )
    alpha = resize_alpha(target.alpha, (outcome.image.shape[1], outcome.image.shape[0]))
    write_image(output, outcome.image, alpha, provenance=provenance)


def outcome_report(output: Path, outcome: SwapOutcome) -> dict[str, object]:
    return {
        "output": str(output),
        "engine": outcome.engine,
        "models": list(outcome.models),
        "enhancer": outcome.enhancer,
        "faces_found": outcome.faces_found,
        "faces_swapped": outcome.faces_swapped,
        "upscale": outcome.upscale,
        "width": int(outcome.image.shape[1]),
        "height": int(outcome.image.shape[0]),
        "times_ms": {k: round(v, 2) for k, v in outcome.times.ms.items()},
    }
