"""``faceswap keys create NAME | list | revoke NAME``: user API keys, in the store beside the queue."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

import click

from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors
from faceswap.service.keys.store import KeyStore, open_key_store

T = TypeVar("T")


def with_store(work: Callable[[KeyStore], Awaitable[T]]) -> T:
    async def run() -> T:
        store = open_key_store(load_context().settings)
        try:
            return await work(store)
        finally:
            await store.aclose()

    return asyncio.run(run())


@click.group("keys")
def keys_group() -> None:
    """API keys for the HTTP API (required once one exists); stored hashed beside the queue."""


@keys_group.command("create")
@click.argument("name")
@click.option(
    "--rate-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    metavar="PER_MINUTE",
    help="requests per minute for this key; default service.rate_limit_per_minute (none: unlimited)",
)
@reports_errors
def create_command(name: str, rate_limit: float | None) -> None:
    """Create a key named NAME and print it (once: only its hash is stored)."""
    key, secret = with_store(lambda store: store.create(name, rate_limit))
    click.echo(secret)
    click.echo(
        f"API key {key.name!r} created; it is shown only now. Send it as 'Authorization: Bearer <key>'.",
        err=True,
    )


@keys_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="one JSON object per key (no key, only its hash)")
@reports_errors
def list_command(as_json: bool) -> None:
    """List the keys: name, creation time, rate limit."""
    keys = with_store(lambda store: store.list())
    for key in keys:
        if as_json:
            click.echo(json.dumps(key.dump()))
            continue
        limit = f"{key.rate_limit_per_minute:g}/min" if key.rate_limit_per_minute else "default"
        click.echo(f"{key.name}\t{key.created.isoformat(timespec='seconds')}\trate limit {limit}")
    if not keys and not as_json:
        click.echo("no API keys: the API is open (unless service.require_api_key is set)", err=True)


@keys_group.command("revoke")
@click.argument("name")
@reports_errors
def revoke_command(name: str) -> None:
    """Delete the key named NAME; requests with it are refused (within seconds on every replica)."""
    key = with_store(lambda store: store.revoke(name))
    click.echo(f"API key {key.name!r} revoked")
