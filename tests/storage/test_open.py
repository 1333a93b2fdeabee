"""``open_storage``: URL dispatch, lazy backend imports, settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faceswap.config import Settings, StorageSettings
from faceswap.errors import BadOptionError
from faceswap.storage import open_storage, storage_from_settings
from faceswap.storage.local import LocalStorage
from faceswap.storage.open import OPENERS, local_root_from_url
from faceswap.storage.retention import RetentionRule, retention_rules


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("", "DATA/files"),
        ("file:", "DATA/files"),
        ("file://", "DATA/files"),
        ("file:///", "DATA/files"),
        ("file:///srv/faceswap/objects", "/srv/faceswap/objects"),
        ("file://localhost/srv/x", "/srv/x"),
        ("file:objects", "DATA/objects"),
        ("FILE:///srv/My%20Files", "/srv/My Files"),
    ],
)
def test_local_urls(url: str, expected: str, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    want = Path(expected.replace("DATA", str(data_dir)))
    assert local_root_from_url(url, data_dir) == want
    storage = open_storage(url, data_dir=data_dir)
    assert isinstance(storage, LocalStorage)
    assert storage.root == want


@pytest.mark.parametrize("url", ["file://host/share", "file:///x?mode=1", "file:///x#f", "file:///a%00b"])
def test_bad_local_urls(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadOptionError):
        open_storage(url, data_dir=tmp_path)


def test_cloud_schemes_are_dispatched() -> None:
    assert {"file", "s3", "gs", "cf-images"} <= set(OPENERS)


@pytest.mark.parametrize("url", ["ftp://host/x", "http://example.org/files", "/var/files", "redis://x"])
def test_unknown_schemes_are_refused(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadOptionError, match="must start with one of"):
        open_storage(url, data_dir=tmp_path)


@pytest.mark.asyncio
async def test_public_base_url_gives_direct_urls(tmp_path: Path) -> None:
    plain = open_storage("", data_dir=tmp_path)
    assert await plain.url("uploads/a.png") is None
    public = open_storage("", data_dir=tmp_path, public_base_url="https://cdn.example.org/files/")
    assert await public.url("uploads/a.png") == "https://cdn.example.org/files/uploads/a.png"


def test_storage_from_settings(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        storage=StorageSettings(url="file:blobs", public_base_url="https://cdn.example.org"),
    )
    storage = storage_from_settings(settings)
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path / "blobs"
    assert storage.public_base_url == "https://cdn.example.org"


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("FACESWAP_STORAGE__URL", "file:///srv/objects")
    monkeypatch.setenv("FACESWAP_STORAGE__INPUTS_RETENTION_HOURS", "2")
    monkeypatch.setenv("FACESWAP_STORAGE__RESULTS_RETENTION_HOURS", "0")
    settings = Settings(data_dir=tmp_path)
    assert settings.storage.url == "file:///srv/objects"
    assert retention_rules(settings.storage) == (
        RetentionRule("uploads/", 2.0),
        RetentionRule("results/", 0.0),
    )
    assert retention_rules(StorageSettings()) == (
        RetentionRule("uploads/", 24.0),
        RetentionRule("results/", 168.0),
    )


def test_bad_retention_rules() -> None:
    for prefix, hours in (("", 1.0), ("../", 1.0), ("uploads/", -1.0), ("uploads/", float("nan"))):
        with pytest.raises(BadOptionError):
            RetentionRule(prefix, hours)


def test_importing_storage_loads_no_backend_and_no_heavy_library() -> None:
    code = (
        "import sys, faceswap.storage, faceswap.storage.retention;"
        "heavy = {'faceswap.storage.local', 'cv2', 'numpy', 'onnxruntime', 'av', 'boto3', 'aioboto3'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
