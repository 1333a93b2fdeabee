"""``faceswap models list | download | verify`` through click's runner, against a real local server."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from faceswap.choices import ModelName, choices
from faceswap.cli.models_cmd import human_size, models_group
from faceswap.errors import DownloadError, ModelHashMismatchError, ModelMissingError
from faceswap.models.catalog import CATALOG, ModelSpec
from faceswap.models.swappers import RECOMMENDED

if TYPE_CHECKING:
    from conftest import ModelServer


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, models_dir: Path) -> Path:
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("FACESWAP_MODELS_DIR", str(models_dir))
    monkeypatch.delenv("FACESWAP_MODELS_BASE_URL", raising=False)
    return models_dir


def _install(models_dir: Path, spec: ModelSpec, body: bytes, crc: int | None = None) -> None:
    models_dir.mkdir(parents=True, exist_ok=True)
    (models_dir / spec.file).write_bytes(body)
    (models_dir / spec.hash_file).write_text(f"{zlib.crc32(body) if crc is None else crc:08x}")


def test_list_shows_every_model_with_status(env: Path) -> None:
    _install(env, CATALOG["yunet"], b"yunet stand-in")

    result = CliRunner().invoke(models_group, ["list"])

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "SIZE", "COMMERCIAL", "LICENCE", "STATUS"]
    by_name = {line.split()[0]: line for line in lines[1 : 1 + len(CATALOG)]}
    assert set(by_name) == set(choices(ModelName))
    assert by_name["yunet"].endswith("installed")
    assert by_name["inswapper_128"].endswith("missing")
    assert " no " in by_name["hyperswap_1a_256"]
    assert " yes " in by_name["ghost_1_256"]
    assert "Apache-2.0" in by_name["ghost_1_256"]
    assert human_size(CATALOG["inswapper_128"].size_bytes) in by_name["inswapper_128"]
    assert str(env) in result.stdout


def test_list_json(env: Path) -> None:
    _install(env, CATALOG["gfpgan_1.4"], b"")  # an empty file is damaged, not installed

    result = CliRunner().invoke(models_group, ["list", "--json"])

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["models_dir"] == str(env)
    models = {m["name"]: m for m in payload["models"]}
    assert list(models) == list(choices(ModelName))
    assert models["gfpgan_1.4"]["status"] == "corrupt"
    assert models["gfpgan_1.4"]["installed"] is False
    assert models["gfpgan_1.4"]["licence"] == "Apache-2.0"
    assert models["codeformer"]["commercial_use"] is False


def test_download_from_mirror_then_verify(
    env: Path, monkeypatch: pytest.MonkeyPatch, model_server: ModelServer, model_body: bytes
) -> None:
    monkeypatch.setenv("FACESWAP_MODELS_BASE_URL", model_server.base_url)
    for name in ("scrfd_2.5g", "yunet"):
        model_server.add_model(CATALOG[name], model_body + name.encode())

    result = CliRunner().invoke(models_group, ["download", "scrfd_2.5g", "yunet"])

    assert result.exit_code == 0, result.output
    assert (env / "yunet_2023_mar.onnx").read_bytes() == model_body + b"yunet"
    assert "installed scrfd_2.5g" in result.stdout
    assert "non-commercial" in result.stderr  # the licence is shown before the download

    verified = CliRunner().invoke(models_group, ["verify"])
    assert verified.exit_code == 0, verified.output
    assert sorted(line.split(":")[0] for line in verified.stdout.splitlines()) == ["scrfd_2.5g", "yunet"]


def test_download_errors_map_to_exit_codes(
    env: Path, monkeypatch: pytest.MonkeyPatch, model_server: ModelServer, model_body: bytes
) -> None:
    runner = CliRunner()
    monkeypatch.setenv("FACESWAP_MODELS_BASE_URL", model_server.base_url)

    assert runner.invoke(models_group, ["download"]).exit_code == 2
    unknown = runner.invoke(models_group, ["download", "not_a_model"])
    assert unknown.exit_code == 2
    assert "not_a_model" in unknown.stderr

    model_server.add_model(CATALOG["codeformer"], model_body, wrong_hash=True)
    mismatch = runner.invoke(models_group, ["download", "codeformer"])
    assert mismatch.exit_code == ModelHashMismatchError.exit_code
    assert f"[{ModelHashMismatchError.code}]" in mismatch.stderr

    offline = runner.invoke(models_group, ["download", "retinaface_10g"])  # the server has no such file
    assert offline.exit_code == DownloadError.exit_code
    assert f"[{DownloadError.code}]" in offline.stderr
    assert not (env / "retinaface_10g.onnx").exists()


def test_verify_fails_on_damaged_or_missing_models(env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(models_group, ["verify"]).exit_code == 0  # nothing installed, nothing failed

    _install(env, CATALOG["yunet"], b"good")
    _install(env, CATALOG["scrfd_2.5g"], b"tampered", crc=zlib.crc32(b"original"))
    result = runner.invoke(models_group, ["verify"])
    assert result.exit_code == ModelHashMismatchError.exit_code
    assert "yunet: ok" in result.stdout
    assert "scrfd_2.5g: CRC32 mismatch" in result.stdout
    assert "scrfd_2.5g" in result.stderr

    missing = runner.invoke(models_group, ["verify", "inswapper_128"])
    assert missing.exit_code == ModelMissingError.exit_code
    assert "faceswap models download inswapper_128" in missing.stderr

    (env / CATALOG["yunet"].hash_file).unlink()
    no_sidecar = runner.invoke(models_group, ["verify", "yunet"])
    assert no_sidecar.exit_code != 0
    assert "no hash sidecar" in no_sidecar.stdout


def test_download_recommended_fetches_the_documented_minimum(
    env: Path, monkeypatch: pytest.MonkeyPatch, model_server: ModelServer, model_body: bytes
) -> None:
    monkeypatch.setenv("FACESWAP_MODELS_BASE_URL", model_server.base_url)
    for name in choices(ModelName):
        model_server.add_model(CATALOG[name], model_body + name.encode())

    result = CliRunner().invoke(models_group, ["download", "--recommended", "yunet"])

    assert result.exit_code == 0, result.output
    installed = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("installed"))
    assert installed == sorted([*RECOMMENDED, "yunet"])
    assert sorted(p.name for p in env.glob("*.onnx")) == sorted(CATALOG[n].file for n in installed)
    help_text = CliRunner().invoke(models_group, ["download", "--help"]).stdout
    total = sum(CATALOG[name].size_bytes for name in RECOMMENDED)
    assert human_size(total) in help_text
    assert all(name in help_text.replace("\n", " ") for name in RECOMMENDED)
