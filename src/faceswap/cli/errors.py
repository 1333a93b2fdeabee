"""Translates the error hierarchy into CLI messages and exit codes (the CLI's edge)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from faceswap.errors import FaceswapError

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger(__name__)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Runs ``command``; a FaceswapError becomes ``error [code]: message`` on stderr and its exit code."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except FaceswapError as error:
            click.echo(f"error [{error.code}]: {error.message}", err=True)
            raise SystemExit(error.exit_code) from error

    return wrapper
