"""Settings from the environment: ``FACESWAP_*`` with nested sections, the seed's names, derived paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from faceswap.config import LEGACY_ENV, Settings


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in LEGACY_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FACESWAP_DATA_DIR", str(tmp_path / "data"))


def test_nested_sections_come_from_double_underscore_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_QUEUE__URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("FACESWAP_ENGINE__BATCH_SIZE", "16")
    monkeypatch.setenv("FACESWAP_SERVICE__RATE_LIMIT_BURST", "7")
    settings = Settings()
    assert settings.queue.url == "redis://127.0.0.1:6379/3"
    assert settings.engine.batch_size == 16
    assert settings.service.rate_limit_burst == 7


@pytest.mark.parametrize(
    ("name", "value", "section", "field", "expected"),
    [
        ("STORAGE_PROVIDER", "r2", "storage", "provider", "r2"),
        ("R2_BUCKET_NAME", "media", "storage", "bucket", "media"),
        ("R2_ACCOUNT_ID", "acc", "storage", "account_id", "acc"),
        ("R2_PUBLIC_URL", "https://cdn.example", "storage", "public_base_url", "https://cdn.example"),
        ("COMFYUI_URL", "http://comfy:8188", "comfyui", "url", "http://comfy:8188"),
        ("FACE_SWAP_API_URL", "http://swap:9000", "remote_engine", "url", "http://swap:9000"),
        ("FACE_SWAP_TIMEOUT", "45", "remote_engine", "timeout_s", 45.0),
    ],
)
def test_legacy_names_fill_their_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, section: str, field: str, expected: object
) -> None:
    monkeypatch.setenv(name, value)
    assert getattr(getattr(Settings(), section), field) == expected


def test_legacy_secret_is_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", "s3cret")
    settings = Settings()
    assert settings.storage.secret_access_key is not None
    assert settings.storage.secret_access_key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(settings)


def test_faceswap_names_win_over_legacy_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMFYUI_URL", "http://old:8188")
    monkeypatch.setenv("FACESWAP_COMFYUI__URL", "http://new:8188")
    assert Settings().comfyui.url == "http://new:8188"


def test_empty_legacy_names_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACE_SWAP_API_URL", "  ")
    assert Settings().remote_engine.url is None


def test_paths_derive_from_the_data_dir(tmp_path: Path) -> None:
    settings = Settings()
    assert settings.models_path == tmp_path / "data" / "models"
    assert settings.comfyui.workflows_dir == tmp_path / "data" / "workflows"


def test_old_upload_limit_fills_max_bytes_unless_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_SERVICE__MAX_UPLOAD_MB", "3")
    assert Settings().limits.max_bytes == 3 * 1024 * 1024
    monkeypatch.setenv("FACESWAP_LIMITS__MAX_BYTES", "1024")
    settings = Settings()
    assert settings.limits.max_bytes == 1024
    assert settings.service.max_upload_mb == 1024 / (1024 * 1024)


def test_fetch_allow_list_refuses_what_is_neither_host_nor_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FACESWAP_FETCH__ALLOW_PRIVATE", '["10.0.0.0/8", " Minio.Local "]')
    assert Settings().fetch.allow_private == ["10.0.0.0/8", "minio.local"]
    monkeypatch.setenv("FACESWAP_FETCH__ALLOW_PRIVATE", '["bad host!"]')
    with pytest.raises(ValidationError, match="neither an IP network nor a host name"):
        Settings()
