"""``faceswap serve`` (the HTTP API, with in-process workers) and ``faceswap worker``."""

from __future__ import annotations

import asyncio

import click

from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="task workers inside this process; 0 serves the API only (run `faceswap worker` elsewhere)",
)
@reports_errors
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the HTTP API (docs at /docs) on the configured queue and storage."""
    import uvicorn

    from faceswap.service.api.app import create_app

    settings = load_context().settings
    app = create_app(settings, workers=workers)
    click.echo(f"faceswap API on http://{host}:{port} (docs at /docs), {workers} in-process worker(s)")
    uvicorn.run(app, host=host, port=port, log_level="info", timeout_graceful_shutdown=30)


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(min=1), help="tasks at once")
@reports_errors
def worker_command(concurrency: int) -> None:
    """Run tasks from the configured queue until SIGTERM (running tasks finish first)."""
    from faceswap.service.worker.runner import run_worker

    asyncio.run(run_worker(load_context().settings, concurrency=concurrency))
