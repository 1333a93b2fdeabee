"""``faceswap serve`` (the HTTP API, with in-process workers) and ``faceswap worker``."""

from __future__ import annotations

import asyncio
import logging
import os
import sys

import click

from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors
from faceswap.cli.gpus import gpu_count, parse_devices
from faceswap.cli.supervise import Child, supervise
from faceswap.config import Settings
from faceswap.errors import BadOptionError

DEVICE_HELP = "GPU (device id) this process runs models on, for one worker per GPU; default engine.device_id"
DEVICES_HELP = (
    "start one worker process per GPU and supervise them: 'all' (every GPU nvidia-smi or "
    "CUDA_VISIBLE_DEVICES shows) or ids such as 0,1; each gets --device N and the other options"
)

MAX_PORT = 65535

logger = logging.getLogger(__name__)


def on_device(settings: Settings, device: int | None) -> Settings:
    """``settings`` with ``engine.device_id`` set to ``device`` (unchanged when None)."""
    if device is None:
        return settings
    return settings.model_copy(update={"engine": settings.engine.model_copy(update={"device_id": device})})


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, MAX_PORT))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=0),
    help="task workers inside this process; 0 serves the API only (run `faceswap worker` elsewhere)",
)
@click.option("--device", type=click.IntRange(min=0), default=None, metavar="N", help=DEVICE_HELP)
@reports_errors
def serve_command(host: str, port: int, workers: int, device: int | None) -> None:
    """Serve the HTTP API (docs at /docs) on the configured queue and storage."""
    import uvicorn

    from faceswap.service.api.app import create_app

    settings = on_device(load_context().settings, device)
    app = create_app(settings, workers=workers)
    click.echo(f"faceswap API on http://{host}:{port} (docs at /docs), {workers} in-process worker(s)")
    # log_config=None: uvicorn's lines (the access log too) go through the root handler and its redaction
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=None, timeout_graceful_shutdown=30)


@click.command("worker")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(min=1), help="tasks at once")
@click.option(
    "--api",
    "api_url",
    default=None,
    metavar="URL",
    help="run as a remote worker: lease tasks from this faceswap API over HTTP instead of the queue",
)
@click.option(
    "--token",
    envvar="FACESWAP_WORKER_TOKEN",
    default=None,
    help="worker token for --api (or FACESWAP_WORKER_TOKEN, which keeps it out of process listings)",
)
@click.option(
    "--name", default="remote", show_default=True, help="this remote worker's name in the API's logs"
)
@click.option("--device", type=click.IntRange(min=0), default=None, metavar="N", help=DEVICE_HELP)
@click.option("--devices", default=None, metavar="all|N,M", help=DEVICES_HELP)
@click.option(
    "--metrics-port",
    type=click.IntRange(1, MAX_PORT),
    default=None,
    metavar="PORT",
    help="serve this worker's Prometheus metrics (tasks ended, engine load times) on PORT "
    "(with --devices: PORT, PORT+1 ... one per GPU)",
)
@reports_errors
def worker_command(
    concurrency: int,
    api_url: str | None,
    token: str | None,
    name: str,
    device: int | None,
    devices: str | None,
    metrics_port: int | None,
) -> None:
    """Run tasks from the configured queue (or, with --api, leased from an API) until SIGTERM
    (running tasks finish first)."""
    settings = on_device(load_context().settings, device)
    if api_url is not None and not token:
        raise BadOptionError("--api needs a worker token (--token or FACESWAP_WORKER_TOKEN)")
    if devices is not None:
        if device is not None:
            raise BadOptionError("--device and --devices exclude each other")
        ids = parse_devices(devices, gpu_count(os.environ))
        if metrics_port is not None and metrics_port + len(ids) - 1 > MAX_PORT:
            raise BadOptionError(f"--metrics-port {metrics_port} leaves no port for each of {len(ids)} GPUs")
        children = [
            Child(f"gpu {gpu}", worker_argv(gpu, index, concurrency, api_url, name, metrics_port))
            for index, gpu in enumerate(ids)
        ]
        env = dict(os.environ) | ({"FACESWAP_WORKER_TOKEN": token} if token else {})
        raise SystemExit(supervise(children, env))
    logger.info("worker on device %d", settings.engine.device_id)
    from faceswap.service.metrics import ServiceMetrics

    metrics = ServiceMetrics()
    if metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, registry=metrics.registry)
    if api_url is None:
        from faceswap.service.worker.runner import run_worker

        asyncio.run(run_worker(settings, concurrency=concurrency, metrics=metrics))
        return
    from faceswap.service.remote.worker import run_remote_worker

    assert token is not None
    asyncio.run(
        run_remote_worker(settings, api_url, token, name=name, concurrency=concurrency, metrics=metrics)
    )


def worker_argv(
    gpu: int, index: int, concurrency: int, api_url: str | None, name: str, metrics_port: int | None
) -> list[str]:
    """The command line of the worker on ``gpu`` (the ``index``-th of ``--devices``): this interpreter,
    this process's log options, ``--device gpu`` and the parent's options (the token goes in the
    environment, out of process listings)."""
    root = click.get_current_context().find_root().params
    argv = [sys.executable, "-m", "faceswap", *["-v"] * int(root.get("verbose") or 0)]
    argv += ["--log-format", str(root.get("log_format") or "text"), "worker", "--device", str(gpu)]
    argv += ["--concurrency", str(concurrency)]
    if api_url is not None:
        argv += ["--api", api_url, "--name", f"{name}-gpu{gpu}"]
    if metrics_port is not None:
        argv += ["--metrics-port", str(metrics_port + index)]
    return argv
