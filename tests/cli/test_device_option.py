"""``--device N`` of ``faceswap worker`` and ``faceswap serve``: the GPU the process's models run on."""

from __future__ import annotations

from click.testing import CliRunner

from faceswap.cli.main import cli
from faceswap.cli.service_cmd import on_device
from faceswap.config import EngineSettings, Settings


def test_on_device_sets_only_the_device_id() -> None:
    settings = Settings(engine=EngineSettings(device_id=0, batch_size=16))
    moved = on_device(settings, 3)
    assert moved.engine.device_id == 3
    assert moved.engine.batch_size == 16
    assert settings.engine.device_id == 0  # the original is not changed
    assert on_device(settings, None) is settings


def test_commands_take_a_device_and_refuse_negative_ids() -> None:
    runner = CliRunner()
    for command in ("worker", "serve"):
        assert "--device" in runner.invoke(cli, [command, "--help"]).output
        refused = runner.invoke(cli, [command, "--device", "-1"])
        assert refused.exit_code == 2
        assert "--device" in refused.output
