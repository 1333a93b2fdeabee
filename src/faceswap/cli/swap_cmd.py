"""``faceswap swap SOURCE [SOURCE...] TARGET -o OUTPUT``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import click

from faceswap.choices import EngineName, EnhancerName, FaceMode, choices
from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors
from faceswap.engine.factory import open_engine, open_enhancer
from faceswap.engine.pipeline import SwapOutcome, SwapRequest, swap_image
from faceswap.engine.selection import parse_mapping
from faceswap.errors import BadOptionError
from faceswap.imaging.decode import DecodedImage, read_image
from faceswap.imaging.encode import format_for_path, write_image
from faceswap.imaging.provenance import Provenance


@click.command("swap")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", required=True, type=click.Path(path_type=Path), help="where to write the result"
)
@click.option("--engine", type=click.Choice(choices(EngineName)), help="default: auto (neural if installed)")
@click.option("--enhancer", type=click.Choice(choices(EnhancerName)), help="face enhancer run after the swap")
@click.option("--faces", "mode", type=click.Choice(choices(FaceMode)), default="one", show_default=True)
@click.option(
    "--reference",
    "references",
    multiple=True,
    type=click.Path(path_type=Path),
    help="photo of the person to replace",
)
@click.option("--map", "mapping", help="SOURCE=FACE pairs, faces counted left to right from 0, e.g. 0=1,1=0")
@click.option("--threshold", type=float, help="face distance for --faces reference (engine default if unset)")
@click.option("--json", "as_json", is_flag=True, help="print the report as JSON")
@reports_errors
def swap_command(
    paths: tuple[Path, ...],
    output: Path,
    engine: str | None,
    enhancer: str | None,
    mode: str,
    references: tuple[Path, ...],
    mapping: str | None,
    threshold: float | None,
    as_json: bool,
) -> None:
    """Swap the face(s) of SOURCE photo(s) into TARGET and write OUTPUT.

    Several SOURCE photos are averaged into one person, unless --map assigns each SOURCE to a face.
    """
    if len(paths) < 2:
        raise BadOptionError("give at least one SOURCE and a TARGET")
    format_for_path(output)  # fail on an unsupported output suffix before any work
    context = load_context()
    settings, registry = context.settings, context.registry
    *source_paths, target_path = paths
    parsed_mapping = parse_mapping(mapping) if mapping else None
    sources = [read_image(p).bgr for p in source_paths]
    request = SwapRequest(
        sources=[[s] for s in sources] if parsed_mapping is not None else [sources],
        mode=cast(FaceMode, mode),
        mapping=parsed_mapping,
        reference=[read_image(p).bgr for p in references],
        threshold=threshold if threshold is not None else settings.engine.reference_threshold,
    )
    target = read_image(target_path)
    loaded = open_engine(
        settings, cast(EngineName, engine or settings.engine.engine), registry.path, registry.is_installed
    )
    step = open_enhancer(settings, cast(EnhancerName, enhancer or settings.engine.enhancer), registry.path)
    outcome = swap_image(loaded, target.bgr, request, step)
    write_result(output, target, outcome)
    report = outcome_report(output, outcome)
    if as_json:
        click.echo(json.dumps(report))
    else:
        click.echo(
            f"wrote {output}: {outcome.faces_swapped} of {outcome.faces_found} face(s) swapped with "
            f"{outcome.engine} ({', '.join(outcome.models)})"
            + (f" + {outcome.enhancer}" if outcome.enhancer else "")
            + f" in {sum(outcome.times.ms.values()):.0f} ms"
        )


def write_result(output: Path, target: DecodedImage, outcome: SwapOutcome) -> None:
    provenance = Provenance(
        engine=outcome.engine,
        models=outcome.models,
        enhancer=outcome.enhancer,
        created=datetime.now(UTC),
    )
    write_image(output, outcome.image, target.alpha, provenance=provenance)


def outcome_report(output: Path, outcome: SwapOutcome) -> dict[str, object]:
    return {
        "output": str(output),
        "engine": outcome.engine,
        "models": list(outcome.models),
        "enhancer": outcome.enhancer,
        "faces_found": outcome.faces_found,
        "faces_swapped": outcome.faces_swapped,
        "times_ms": {k: round(v, 2) for k, v in outcome.times.ms.items()},
    }
