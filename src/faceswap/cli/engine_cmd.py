"""``faceswap engine-serve``: the swap engine as a service that workers delegate swaps to."""

from __future__ import annotations

from pathlib import Path

import click

from faceswap.cli.context import load_context
from faceswap.cli.errors import reports_errors


@click.command("engine-serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8100, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--input-root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="read inputs given as local paths under this directory (a disk shared with the callers); "
    "default: FACESWAP_ENGINE_SERVER__INPUT_ROOT, else no local path is read",
)
@reports_errors
def engine_serve_command(host: str, port: int, input_root: Path | None) -> None:
    """Serve the swap engine: POST /process (FaceSwapResponse), GET /health. Point workers' FACE_SWAP_API_URL here."""
    import uvicorn

    from faceswap.engine_server.app import create_engine_app

    settings = load_context().settings
    if input_root is not None:
        settings.engine_server.input_root = input_root
    click.echo(f"faceswap engine service on http://{host}:{port} (engine {settings.engine.engine})")
    uvicorn.run(
        create_engine_app(settings), host=host, port=port, log_level="info", timeout_graceful_shutdown=30
    )
