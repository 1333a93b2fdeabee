"""Backends for the storage contract tests: a later backend adds one entry to ``BACKENDS`` and one factory.

Each case is a connected storage plus what the contract needs to know about it: how coarse its clock is
(to order objects by creation time) and how to list everything it holds, bookkeeping included (to prove
that a failed put left nothing behind).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from faceswap.config import StorageSettings
from faceswap.storage import Storage, open_storage

from .cf_standin import ACCOUNT_HASH, TOKEN, Standin, running_standin
from .servers import S3Server, environment, gcs_emulator, seaweedfs


@dataclass(frozen=True)
class BackendCase:
    name: str
    storage: Storage
    clock_resolution_s: float
    """How far apart two puts must be for their ``created`` times to differ."""
    leftovers: Callable[[], Awaitable[list[str]]]
    """Everything the backend holds, its own bookkeeping (temporary files, sidecars) included."""
    local_root: Path | None = None
    """The folder a filesystem backend writes under (for symlink attacks); None for remote ones."""
    skips: Mapping[str, str] = field(default_factory=dict)
    """Contract tests this backend cannot honour, with the reason (see docs/storage.md): a test function's
    name, or ``name::text`` for only the parametrized cases whose id contains ``text``."""

    def skip_reason(self, item: pytest.Item) -> str | None:
        for pattern, reason in self.skips.items():
            name, _, fragment = pattern.partition("::")
            if getattr(item, "originalname", item.name) == name and fragment in item.name:
                return reason
        return None


async def _local_case(request: pytest.FixtureRequest, tmp_path: Path) -> BackendCase:
    data_dir = tmp_path / "data"
    storage = open_storage("", data_dir=data_dir)
    root = data_dir / "files"

    async def leftovers() -> list[str]:
        if not root.exists():
            return []
        return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir())

    return BackendCase("local", storage, 0.02, leftovers, local_root=root)


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A real S3 server (SeaweedFS) for the whole session, with a bucket per test session."""
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        client = s3_client(server)
        client.create_bucket(Bucket=S3_BUCKET)
        client.put_object(Bucket=S3_BUCKET, Key="warm-up", Body=b"x")  # the first write grows volumes
        client.delete_object(Bucket=S3_BUCKET, Key="warm-up")
        client.close()
        yield server


S3_BUCKET = "faceswap-tests"


def s3_client(server: S3Server) -> Any:
    """A plain boto3 client on the test server, to look behind the backend's back."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=server.access_key,
        aws_secret_access_key=server.secret_key,
        config=Config(s3={"addressing_style": "path"}, request_checksum_calculation="when_required"),
    )


def s3_settings(server: S3Server) -> StorageSettings:
    return StorageSettings(
        endpoint_url=server.endpoint,
        region="us-east-1",
        access_key_id=server.access_key,
        secret_access_key=server.secret_key,  # type: ignore[arg-type]
    )


async def _s3_case(request: pytest.FixtureRequest, tmp_path: Path) -> BackendCase:
    server: S3Server = request.getfixturevalue("s3_server")
    prefix = f"t-{uuid.uuid4().hex}/"
    storage = open_storage(f"s3://{S3_BUCKET}/{prefix}", data_dir=tmp_path, settings=s3_settings(server))
    client = s3_client(server)
    request.addfinalizer(client.close)

    async def leftovers() -> list[str]:
        listed = client.list_objects_v2(Bucket=S3_BUCKET, Prefix=prefix).get("Contents", [])
        uploads = client.list_multipart_uploads(Bucket=S3_BUCKET, Prefix=prefix).get("Uploads", [])
        return sorted([o["Key"] for o in listed] + [f"upload:{u['Key']}" for u in uploads])

    return BackendCase("s3", storage, 1.0, leftovers)


GCS_BUCKET = "faceswap-tests"


@pytest.fixture(scope="session")
def gcs_server() -> Iterator[str]:
    """The GCS emulator for the whole session; ``STORAGE_EMULATOR_HOST`` points the client at it."""
    with gcs_emulator() as url, environment(STORAGE_EMULATOR_HOST=url):
        from google.cloud import storage as gcs

        client = gcs.Client()
        client.create_bucket(GCS_BUCKET)
        client.close()
        yield url


async def _gcs_case(request: pytest.FixtureRequest, tmp_path: Path) -> BackendCase:
    request.getfixturevalue("gcs_server")
    from google.cloud import storage as gcs

    prefix = f"t-{uuid.uuid4().hex}/"
    storage = open_storage(f"gs://{GCS_BUCKET}/{prefix}", data_dir=tmp_path)
    client = gcs.Client()
    request.addfinalizer(client.close)

    async def leftovers() -> list[str]:
        return sorted(blob.name for blob in client.list_blobs(GCS_BUCKET, prefix=prefix))

    skips = {
        "test_content_type_is_kept_whatever_the_name::charset": (
            "the GCS emulator drops content-type parameters (charset); real GCS keeps them"
        ),
    }
    return BackendCase("gcs", storage, 0.02, leftovers, skips=skips)


@pytest.fixture(scope="session")
def cf_standin() -> Iterator[Standin]:
    """The stand-in of Cloudflare Images' HTTP API (tests/storage/cf_standin.py) for the whole session."""
    with running_standin() as standin:
        yield standin


def cf_images_url(standin: Standin, account: str) -> str:
    return f"cf-images://{account}?api={standin.url}/client/v4&delivery={standin.url}/delivery"


CF_SETTINGS = StorageSettings(api_token=TOKEN, images_account_hash=ACCOUNT_HASH)  # type: ignore[arg-type]
_IMAGES_ONLY = "Cloudflare Images stores images only; this contract point stores non-image bytes"
CF_SKIPS = {
    name: _IMAGES_ONLY
    for name in (
        "test_put_from_async_iterator_and_from_path",
        "test_stream_yields_the_bytes_in_bounded_chunks",
        "test_content_type_is_kept_whatever_the_name",
        "test_overwrite_replaces_bytes_and_metadata",
        "test_exists_and_delete",
        "test_missing_keys_raise_not_found",
        "test_list_filters_by_prefix_in_key_order",
        "test_concurrent_puts_of_different_keys",
        "test_failed_overwrite_keeps_the_previous_object",
        "test_retention_deletes_only_expired_objects",
    )
}
"""Each of these points is checked with real images in test_cf_images.py instead."""


async def _cf_images_case(request: pytest.FixtureRequest, tmp_path: Path) -> BackendCase:
    standin: Standin = request.getfixturevalue("cf_standin")
    account = uuid.uuid4().hex[:16]  # a fresh, empty account per test
    storage = open_storage(cf_images_url(standin, account), data_dir=tmp_path, settings=CF_SETTINGS)

    async def leftovers() -> list[str]:
        return sorted(standin.images(account))

    return BackendCase("cf-images", storage, 0.02, leftovers, skips=CF_SKIPS)


BACKENDS: dict[str, Callable[[pytest.FixtureRequest, Path], Awaitable[BackendCase]]] = {
    "local": _local_case,
    "s3": _s3_case,
    "gcs": _gcs_case,
    "cf-images": _cf_images_case,
}


@pytest_asyncio.fixture(params=sorted(BACKENDS))
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BackendCase]:
    case = await BACKENDS[request.param](request, tmp_path)
    reason = case.skip_reason(request.node)
    if reason:
        await case.storage.aclose()
        pytest.skip(f"{case.name}: {reason}")
    async with case.storage:
        yield case


@pytest.fixture
def storage(backend: BackendCase) -> Storage:
    return backend.storage
