"""``faceswap models list | download | verify``: the model catalog and the installed files."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import click
from tqdm import tqdm

from faceswap.choices import ModelName, choices
from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors
from faceswap.errors import ModelError, ModelHashMismatchError, ModelMissingError
from faceswap.models.catalog import CATALOG, ModelSpec
from faceswap.models.download import ProgressCallback, default_client, download_model, model_sources
from faceswap.models.registry import ModelEntry, ModelRegistry, model_spec
from faceswap.models.swappers import RECOMMENDED
from faceswap.models.verify import Verification

_NAMES = click.Choice(choices(ModelName))


def human_size(size_bytes: int) -> str:
    """Decimal megabytes, as download pages show them: ``554 MB``, ``0.23 MB``."""
    megabytes = size_bytes / 1e6
    return f"{megabytes:.0f} MB" if megabytes >= 10 else f"{megabytes:.2g} MB"


def _entry_dict(entry: ModelEntry) -> dict[str, object]:
    spec = entry.spec
    return {
        "name": spec.name,
        "role": spec.role,
        "file": spec.file,
        "size_bytes": spec.size_bytes,
        "licence": spec.licence,
        "commercial_use": spec.commercial_use,
        "status": entry.status,
        "installed": entry.status == "installed",
        "path": str(entry.path),
        "summary": spec.summary,
    }


def _table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows
    )


@click.group("models")
def models_group() -> None:
    """List, download and verify the ONNX models the neural engine uses."""


@models_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="print the catalog and install status as JSON")
@reports_errors
def list_command(as_json: bool) -> None:
    """Show every model: role, download size, whether its licence allows commercial use, the licence and
    whether it is installed."""
    registry = load_context().registry
    entries = registry.entries()
    if as_json:
        payload = {"models_dir": str(registry.models_dir), "models": [_entry_dict(e) for e in entries]}
        click.echo(json.dumps(payload, indent=2))
        return
    rows = [("NAME", "ROLE", "SIZE", "COMMERCIAL", "LICENCE", "STATUS")]
    rows += [
        (
            e.spec.name,
            e.spec.role,
            human_size(e.spec.size_bytes),
            "yes" if e.spec.commercial_use else "no",
            e.spec.licence,
            e.status,
        )
        for e in entries
    ]
    click.echo(_table(rows))
    click.echo(f"\nmodels directory: {registry.models_dir}")


@contextmanager
def _progress_bar(spec: ModelSpec) -> Iterator[ProgressCallback]:
    """A tqdm byte bar on stderr (silent when stderr is not a terminal)."""
    with tqdm(
        total=spec.size_bytes,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=spec.name,
        file=sys.stderr,
        disable=None,
    ) as bar:

        def progress(done: int, total: int | None) -> None:
            if total is not None and bar.total != total:
                bar.total = total
                bar.refresh()
            bar.update(done - bar.n)

        yield progress


def _recommended_help() -> str:
    total = sum(CATALOG[name].size_bytes for name in RECOMMENDED)
    return (
        f"download the recommended minimum: {', '.join(RECOMMENDED)} ({human_size(total)}), what the "
        "default engine `auto` uses first (HyperSwap 1a; licences: faceswap models list)"
    )


@models_group.command("download")
@click.argument("names", nargs=-1, type=_NAMES)
@click.option("--all", "all_models", is_flag=True, help="download every model in the catalog")
@click.option("--recommended", is_flag=True, help=_recommended_help())
@click.option("--force", is_flag=True, help="download again even when a verified file is installed")
@reports_errors
def download_command(names: tuple[str, ...], all_models: bool, recommended: bool, force: bool) -> None:
    """Download NAME... (resumable; each file is checked against its published CRC32)."""
    if not names and not all_models and not recommended:
        raise click.UsageError("name at least one model, or pass --recommended or --all")
    context = load_context()
    models_dir = context.registry.models_dir
    wanted = (
        choices(ModelName)
        if all_models
        else tuple(dict.fromkeys((*(RECOMMENDED if recommended else ()), *names)))
    )
    with default_client() as client:
        for name in wanted:
            spec = model_spec(name)
            click.echo(f"{name}: {human_size(spec.size_bytes)}, licence: {spec.licence}", err=True)
            with _progress_bar(spec) as progress:
                sources = model_sources(spec, context.settings.models_base_url)
                path = download_model(spec, models_dir, client, progress, sources=sources, force=force)
            click.echo(f"installed {name} -> {path}")


def _verification_error(registry: ModelRegistry, failed: list[tuple[str, Verification]]) -> ModelError:
    names = ", ".join(name for name, _ in failed)
    if any(v.outcome == "mismatch" for _, v in failed):
        return ModelHashMismatchError(
            f"{len(failed)} model(s) failed verification: {names}; "
            "run `faceswap models download --force NAME` to replace them"
        )
    if any(v.outcome == "missing_sidecar" for _, v in failed):
        return ModelError(
            f"no .hash sidecar for {names}; run `faceswap models download NAME` to fetch and check it"
        )
    name = failed[0][0]
    return ModelMissingError(name, str(registry.file_path(name)))


@models_group.command("verify")
@click.argument("names", nargs=-1, type=_NAMES)
@reports_errors
def verify_command(names: tuple[str, ...]) -> None:
    """Recompute the CRC32 of installed models (or NAME...) against their .hash sidecars."""
    registry = load_context().registry
    wanted = tuple(dict.fromkeys(names)) or tuple(
        entry.spec.name for entry in registry.entries() if entry.status != "missing"
    )
    if not wanted:
        click.echo(f"no models installed in {registry.models_dir}", err=True)
        return
    failed: list[tuple[str, Verification]] = []
    for name in wanted:
        verification = registry.verify(name)
        click.echo(f"{name}: {verification.describe()}")
        if not verification.ok:
            failed.append((name, verification))
    if failed:
        raise _verification_error(registry, failed)
