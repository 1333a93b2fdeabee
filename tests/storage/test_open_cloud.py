"""Opening the cloud backends from URLs and settings, the legacy ``STORAGE_PROVIDER``/``R2_*`` names."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from faceswap.config import Settings, StorageSettings
from faceswap.errors import BadOptionError
from faceswap.storage import open_storage, storage_from_settings
from faceswap.storage.cf_images import CloudflareImagesStorage
from faceswap.storage.open import storage_url
from faceswap.storage.s3 import S3Storage

LEGACY = ("STORAGE_PROVIDER", "R2_ACCOUNT_ID", "R2_ACCESS_KEY_ID", "R2_SECRET_ACCESS_KEY", "R2_BUCKET_NAME")


@pytest.fixture(autouse=True)
def _no_legacy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*LEGACY, "R2_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


async def test_s3_url_carries_bucket_prefix_endpoint_and_region(tmp_path: Path) -> None:
    storage = open_storage(
        "s3://media/faceswap/prod?endpoint=https://acc.r2.cloudflarestorage.com&region=auto",
        data_dir=tmp_path,
        settings=StorageSettings(access_key_id="id", secret_access_key="secret"),  # type: ignore[arg-type]
    )
    assert isinstance(storage, S3Storage)
    assert (storage.bucket, storage.prefix) == ("media", "faceswap/prod/")
    assert storage.endpoint_url == "https://acc.r2.cloudflarestorage.com"
    url = await storage.url("results/t/out.png", expires_s=120)
    assert url is not None
    assert url.startswith("https://acc.r2.cloudflarestorage.com/media/faceswap/prod/results/t/out.png?")
    assert "X-Amz-Expires=120" in url
    assert "X-Amz-Credential=id%2F" in url
    assert "%2Fauto%2Fs3%2F" in url  # signed for R2's "auto" region
    await storage.aclose()


async def test_public_base_url_replaces_presigning(tmp_path: Path) -> None:
    storage = open_storage("s3://media/p", data_dir=tmp_path, public_base_url="https://pub.example.org/")
    assert await storage.url("results/t/out.png") == "https://pub.example.org/p/results/t/out.png"
    await storage.aclose()


@pytest.mark.parametrize(
    "url",
    [
        "s3://",
        "s3://bucket/p?unknown=1",
        "s3://bucket/p?region=a&region=b",
        "s3://bucket/p#frag",
        "s3://user@bucket/p",
        "s3://bucket/../etc",
        "s3://bucket/p?addressing_style=sideways",
        "gs://bucket/p?endpoint=x",
        "cf-images://acc/extra",
        "cf-images://acc",  # no API token in the settings
    ],
)
def test_bad_cloud_urls(url: str, tmp_path: Path) -> None:
    with pytest.raises(BadOptionError):
        open_storage(url, data_dir=tmp_path)


def test_cf_images_url_and_settings(tmp_path: Path) -> None:
    settings = StorageSettings(api_token="tok", images_account_hash="h4sh", images_variant="full")  # type: ignore[arg-type]
    storage = open_storage(
        "cf-images://acc123?api=http://127.0.0.1:9/v4", data_dir=tmp_path, settings=settings
    )
    assert isinstance(storage, CloudflareImagesStorage)
    assert (storage.account_id, storage.account_hash, storage.variant) == ("acc123", "h4sh", "full")
    assert storage.api_base_url == "http://127.0.0.1:9/v4"
    assert storage.delivery_base_url == "https://imagedelivery.net"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, ""),
        ({"provider": "local", "bucket": "x"}, ""),
        ({"url": "gs://a/b", "provider": "r2", "bucket": "x"}, "gs://a/b"),
        ({"provider": "s3", "bucket": "media"}, "s3://media"),
        ({"provider": "gcs", "bucket": "media"}, "gs://media"),
        ({"provider": "cf-images", "account_id": "acc"}, "cf-images://acc"),
        (
            {"provider": "r2", "bucket": "media", "account_id": "acc"},
            "s3://media?endpoint=https%3A%2F%2Facc.r2.cloudflarestorage.com&region=auto",
        ),
    ],
)
def test_storage_url_from_legacy_provider(fields: dict[str, str], expected: str) -> None:
    assert storage_url(StorageSettings(**fields)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "fields",
    [
        {"provider": "r2", "bucket": "media"},
        {"provider": "r2", "account_id": "acc"},
        {"provider": "s3"},
        {"provider": "cf-images"},
        {"provider": "r2", "bucket": "media", "account_id": "acc.evil.example/x"},
    ],
)
def test_incomplete_legacy_provider_is_refused(fields: dict[str, str]) -> None:
    with pytest.raises(BadOptionError):
        storage_url(StorageSettings(**fields))  # type: ignore[arg-type]


async def test_legacy_r2_environment_opens_r2(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STORAGE_PROVIDER", "r2")
    monkeypatch.setenv("R2_ACCOUNT_ID", "0123abcd")
    monkeypatch.setenv("R2_ACCESS_KEY_ID", "legacy-id")
    monkeypatch.setenv("R2_SECRET_ACCESS_KEY", "legacy-secret")
    monkeypatch.setenv("R2_BUCKET_NAME", "faces")
    monkeypatch.setenv("R2_PUBLIC_URL", "")
    settings = Settings(data_dir=tmp_path)
    assert settings.storage.secret_access_key is not None
    assert "legacy-secret" not in repr(settings)
    storage = storage_from_settings(settings)
    assert isinstance(storage, S3Storage)
    assert storage.endpoint_url == "https://0123abcd.r2.cloudflarestorage.com"
    url = await storage.url("uploads/a.png")
    assert url is not None
    assert url.startswith("https://0123abcd.r2.cloudflarestorage.com/faces/uploads/a.png?")
    assert "legacy-id%2F" in url
    await storage.aclose()

    monkeypatch.setenv("R2_PUBLIC_URL", "https://pub-1.r2.dev")
    monkeypatch.setenv("FACESWAP_STORAGE__BUCKET", "wins")
    settings = Settings(data_dir=tmp_path)
    assert settings.storage.public_base_url == "https://pub-1.r2.dev"
    assert settings.storage.bucket == "wins"  # FACESWAP_* wins over the legacy name
    storage = storage_from_settings(settings)
    assert await storage.url("uploads/a.png") == "https://pub-1.r2.dev/uploads/a.png"
    await storage.aclose()


def test_opening_local_storage_imports_no_cloud_sdk(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from faceswap.storage import open_storage;"
        f"open_storage('', data_dir=Path({str(tmp_path)!r}));"
        "print(sorted(m for m in ('boto3', 'botocore', 'google.cloud.storage', 'faceswap.storage.s3') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


async def test_downloads_through_the_api_replace_presigned_urls(tmp_path: Path) -> None:
    from faceswap.storage.api_downloads import ApiDownloads

    settings = Settings(
        data_dir=tmp_path,
        storage=StorageSettings(
            url="s3://media/p?endpoint=http://s3:8333&region=us-east-1",
            access_key_id="id",
            secret_access_key="secret",  # type: ignore[arg-type]
            downloads="api",
        ),
    )
    storage = storage_from_settings(settings)
    assert isinstance(storage, ApiDownloads)
    assert isinstance(storage.inner, S3Storage)
    assert storage.scheme == "s3"
    assert await storage.url("results/t/out.png") is None  # so results are served at /api/download/...
    with pytest.raises(BadOptionError):
        await storage.url("../escape")
    direct = storage_from_settings(
        settings.model_copy(update={"storage": settings.storage.model_copy(update={"downloads": "direct"})})
    )
    assert str(await direct.url("results/t/out.png")).startswith("http://s3:8333/media/p/results/t/out.png?")
    await storage.aclose()
    await direct.aclose()
