"""The ``faceswap`` console script: one click group, one module per command."""

from __future__ import annotations

import logging
from typing import get_args

import click

from faceswap import __version__
from faceswap.cli.keys_cmd import keys_group
from faceswap.cli.lazy import LazyCommand, LazyGroup
from faceswap.cli.logs import LogFormat, configure
from faceswap.cli.models_cmd import models_group
from faceswap.cli.service_cmd import serve_command, worker_command

ENGINE_COMMANDS = {
    "swap": LazyCommand(
        "faceswap.cli.swap_cmd:swap_command", "Swap faces in a photo, a group photo or a video."
    ),
    "engine-serve": LazyCommand(
        "faceswap.cli.engine_cmd:engine_serve_command", "Serve the engine as a POST /process swap service."
    ),
}
"""Commands that need the engine extra: imported only when they run."""


@click.group(cls=LazyGroup, lazy=ENGINE_COMMANDS)
@click.version_option(__version__, prog_name="faceswap")
@click.option("-v", "--verbose", count=True, help="more log output (-v info, -vv debug)")
@click.option(
    "--log-format",
    type=click.Choice(get_args(LogFormat)),
    default="text",
    show_default=True,
    envvar="FACESWAP_LOG_FORMAT",
    help="log lines as text or one JSON object per line (or FACESWAP_LOG_FORMAT)",
)
def cli(verbose: int, log_format: LogFormat) -> None:
    """Swap faces in photos and videos, locally or as a service."""
    configure(logging.WARNING - 10 * min(verbose, 2), log_format)


cli.add_command(models_group, "models")
cli.add_command(keys_group, "keys")
cli.add_command(serve_command)
cli.add_command(worker_command)


def main() -> None:
    cli(prog_name="faceswap")
