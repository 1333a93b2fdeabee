"""The on-disk registry and CRC32 sidecar verification, on real files in a temporary directory."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest

from faceswap.choices import ModelName, choices
from faceswap.errors import BadOptionError, ModelHashMismatchError, ModelMissingError
from faceswap.models.catalog import CATALOG
from faceswap.models.registry import ModelRegistry
from faceswap.models.verify import crc32_file, parse_hash, read_sidecar, verify_file, write_sidecar

BODY = b"an onnx stand-in " * 1000


def _install(models_dir: Path, name: ModelName, body: bytes = BODY, sidecar: str | None = None) -> Path:
    spec = CATALOG[name]
    models_dir.mkdir(parents=True, exist_ok=True)
    path = models_dir / spec.file
    path.write_bytes(body)
    (models_dir / spec.hash_file).write_text(f"{zlib.crc32(body):08x}" if sidecar is None else sidecar)
    return path


def test_path_of_missing_model_names_the_download_command(models_dir: Path) -> None:
    registry = ModelRegistry(models_dir)

    with pytest.raises(ModelMissingError) as caught:
        registry.path("inswapper_128")

    assert "faceswap models download inswapper_128" in caught.value.message
    assert str(models_dir / "inswapper_128.onnx") in caught.value.message
    assert registry.status("inswapper_128") == "missing"
    assert not registry.is_installed("inswapper_128")
    assert not models_dir.exists()  # looking never creates or downloads anything


def test_installed_copy_is_found(models_dir: Path) -> None:
    path = _install(models_dir, "yunet")
    registry = ModelRegistry(models_dir)

    assert registry.path("yunet") == path
    assert path.name == "yunet_2023_mar.onnx"
    assert registry.is_installed("yunet")
    assert registry.status("yunet", deep=True) == "installed"


def test_damaged_files_are_corrupt(models_dir: Path) -> None:
    registry = ModelRegistry(models_dir)
    _install(models_dir, "codeformer", body=b"")
    _install(models_dir, "gfpgan_1.4", sidecar="<html>")
    _install(models_dir, "arcface_w600k_r50", sidecar=f"{zlib.crc32(BODY) ^ 1:08x}")

    assert registry.status("codeformer") == "corrupt"
    assert registry.status("gfpgan_1.4") == "corrupt"
    assert registry.status("arcface_w600k_r50") == "installed"  # the cheap check does not read the file
    assert registry.status("arcface_w600k_r50", deep=True) == "corrupt"
    with pytest.raises(ModelHashMismatchError, match="faceswap models download codeformer"):
        registry.path("codeformer")


def test_file_without_sidecar_counts_as_installed(models_dir: Path) -> None:
    _install(models_dir, "scrfd_2.5g")
    (models_dir / CATALOG["scrfd_2.5g"].hash_file).unlink()
    registry = ModelRegistry(models_dir)

    assert registry.status("scrfd_2.5g", deep=True) == "installed"
    assert registry.verify("scrfd_2.5g").outcome == "missing_sidecar"


def test_entries_cover_the_catalog_in_literal_order(models_dir: Path) -> None:
    _install(models_dir, "inswapper_128_fp16")
    entries = ModelRegistry(models_dir).entries()

    assert tuple(e.spec.name for e in entries) == choices(ModelName)
    statuses = {e.spec.name: e.status for e in entries}
    assert statuses.pop("inswapper_128_fp16") == "installed"
    assert set(statuses.values()) == {"missing"}


def test_unknown_name_is_a_bad_option(models_dir: Path) -> None:
    with pytest.raises(BadOptionError, match="model name"):
        ModelRegistry(models_dir).path("inswapper_256")


def test_verify_file_outcomes(tmp_path: Path) -> None:
    model, sidecar = tmp_path / "m.onnx", tmp_path / "m.hash"
    assert verify_file(model, sidecar).outcome == "missing"

    model.write_bytes(BODY)
    assert verify_file(model, sidecar).outcome == "missing_sidecar"

    write_sidecar(sidecar, crc32_file(model))
    result = verify_file(model, sidecar)
    assert (result.outcome, result.ok) == ("ok", True)
    assert result.actual == f"{zlib.crc32(BODY):08x}"

    model.write_bytes(BODY + b"!")
    result = verify_file(model, sidecar)
    assert result.outcome == "mismatch"
    assert result.expected == f"{zlib.crc32(BODY):08x}" != result.actual
    assert "mismatch" in result.describe()


def test_crc32_streams_large_files(tmp_path: Path) -> None:
    body = bytes(range(256)) * 20_000  # 5 MB: several read chunks
    path = tmp_path / "big.onnx"
    path.write_bytes(body)

    assert crc32_file(path) == f"{zlib.crc32(body):08x}"


def test_sidecar_parsing(tmp_path: Path) -> None:
    assert parse_hash(" 0A1b2C3d\n") == "0a1b2c3d"
    assert parse_hash("0a1b2c3") is None
    assert parse_hash("0a1b2c3d0") is None
    assert parse_hash("zzzzzzzz") is None
    assert read_sidecar(tmp_path / "absent.hash") is None
    write_sidecar(tmp_path / "x.hash", "deadbeef")
    assert read_sidecar(tmp_path / "x.hash") == "deadbeef"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.hash"]  # no temporary left behind
