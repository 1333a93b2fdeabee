"""The swap quality flags of ``faceswap swap`` (pixel boost, weight, masks), gathered into SwapOptions.

:func:`quality_options` adds the flags to a command and hands it ``swap_options`` (a
:class:`~faceswap.engine.options.SwapOptions`) instead of the raw values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

import click

from faceswap.choices import FaceArea, FaceParserName, FaceRegion, MaskType, OccluderName, PixelBoost, choices
from faceswap.engine.options import SwapOptions
from faceswap.errors import BadOptionError

F = TypeVar("F", bound=Callable[..., Any])


def _listed(text: str | None, allowed: tuple[str, ...], what: str) -> tuple[str, ...] | None:
    """``a,b,c`` checked against ``allowed``; None when not given."""
    if text is None:
        return None
    items = tuple(item.strip() for item in text.split(",") if item.strip())
    unknown = [item for item in items if item not in allowed]
    if unknown or not items:
        raise BadOptionError(f"{what}: choose from {', '.join(allowed)}; got {text!r}")
    return items


def _padding(text: str | None) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError as exc:
        raise BadOptionError(f"--mask-padding takes TOP,RIGHT,BOTTOM,LEFT percentages; got {text!r}") from exc
    if len(values) == 1:
        values *= 4
    if len(values) != 4:
        raise BadOptionError(f"--mask-padding takes 1 or 4 percentages; got {text!r}")
    return (values[0], values[1], values[2], values[3])


def build_swap_options(**flags: Any) -> SwapOptions:
    """SwapOptions from the flags' raw values (None: the default)."""
    given: dict[str, Any] = {
        "pixel_boost": flags.get("pixel_boost"),
        "weight": flags.get("swapper_weight"),
        "masks": _listed(flags.get("mask_types"), choices(MaskType), "--mask"),
        "mask_blur": flags.get("mask_blur"),
        "mask_padding": _padding(flags.get("mask_padding")),
        "regions": _listed(flags.get("mask_regions"), choices(FaceRegion), "--mask-regions"),
        "areas": _listed(flags.get("mask_areas"), choices(FaceArea), "--mask-areas"),
        "keep_mouth": flags.get("keep_mouth") or None,
        "occluder": flags.get("occluder"),
        "face_parser": flags.get("face_parser"),
    }
    return SwapOptions(**{name: value for name, value in given.items() if value is not None})


FLAGS = (
    "pixel_boost",
    "swapper_weight",
    "mask_types",
    "mask_blur",
    "mask_padding",
    "mask_regions",
    "mask_areas",
    "keep_mouth",
    "occluder",
    "face_parser",
)


def quality_options(command: F) -> F:
    """Adds the quality flags to ``command``, which receives ``swap_options``."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name) for name in FLAGS}
        return command(*args, swap_options=build_swap_options(**flags), **kwargs)

    decorators = [
        click.option(
            "--pixel-boost", type=click.Choice(choices(PixelBoost)), help="swap the face at this size"
        ),
        click.option(
            "--swapper-weight", type=click.FloatRange(0, 1), help="identity strength: 1 (default) all source"
        ),
        click.option(
            "--mask", "mask_types", help=f"mask types, comma-separated: {', '.join(choices(MaskType))}"
        ),
        click.option("--mask-blur", type=click.FloatRange(0, 1), help="box mask's soft edge (default 0.3)"),
        click.option("--mask-padding", help="box mask padding TOP,RIGHT,BOTTOM,LEFT in percent"),
        click.option("--mask-regions", help=f"what a region mask keeps: {', '.join(choices(FaceRegion))}"),
        click.option("--mask-areas", help=f"what an area mask keeps: {', '.join(choices(FaceArea))}"),
        click.option("--keep-mouth", is_flag=True, help="keep the target's inner mouth (needs 68 landmarks)"),
        click.option("--occluder", type=click.Choice(choices(OccluderName)), help="occlusion mask model"),
        click.option("--face-parser", type=click.Choice(choices(FaceParserName)), help="region mask model"),
    ]
    decorated: Callable[..., Any] = wrapper
    for decorator in reversed(decorators):
        decorated = decorator(decorated)
    return cast(F, decorated)
