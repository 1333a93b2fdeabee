"""Downloads against a real local HTTP server: resume, ignored ranges, 416, wrong hashes, fallbacks."""

from __future__ import annotations

import socket
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from faceswap.errors import DownloadError, ModelHashMismatchError
from faceswap.models.catalog import ModelSpec
from faceswap.models.download import Sources, default_client, download_model, fetch_hash, model_sources
from faceswap.models.registry import ModelRegistry
from faceswap.models.verify import read_sidecar

if TYPE_CHECKING:
    from conftest import ModelServer


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with default_client(timeout_s=5.0) as c:
        yield c


def _sources(server: ModelServer, spec: ModelSpec) -> Sources:
    return model_sources(spec, server.base_url)


def test_download_fetches_hash_first_then_installs_verified_file(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    seen: list[tuple[int, int | None]] = []

    path = download_model(
        small_spec,
        models_dir,
        client,
        lambda done, total: seen.append((done, total)),
        sources=_sources(model_server, small_spec),
    )

    assert path == models_dir / small_spec.file
    assert path.read_bytes() == model_body
    assert read_sidecar(models_dir / small_spec.hash_file) == f"{zlib.crc32(model_body):08x}"
    assert not (models_dir / (small_spec.file + ".part")).exists()
    assert model_server.paths() == [f"/models/{small_spec.hash_file}", f"/models/{small_spec.file}"]
    assert seen[-1] == (len(model_body), len(model_body))
    assert ModelRegistry(models_dir).status(small_spec.name, deep=True) == "installed"


def test_cut_connection_keeps_part_and_next_call_resumes_with_range(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    model_server.cut_after = 100_000
    part = models_dir / (small_spec.file + ".part")

    with pytest.raises(DownloadError) as caught:
        download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))
    assert caught.value.transient
    kept = part.stat().st_size
    assert 0 < kept <= 100_000
    assert part.read_bytes() == model_body[:kept]
    assert ModelRegistry(models_dir).status(small_spec.name) == "missing"

    path = download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))

    assert path.read_bytes() == model_body
    assert model_server.requests[-1] == (f"/models/{small_spec.file}", f"bytes={kept}-")
    assert not part.exists()


def test_server_ignoring_range_restarts_from_zero(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    model_server.ignore_range = True
    models_dir.mkdir()
    stale = b"stale bytes from another file"
    (models_dir / (small_spec.file + ".part")).write_bytes(stale)

    path = download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))

    assert path.read_bytes() == model_body
    assert model_server.requests[-1][1] == f"bytes={len(stale)}-"


def test_416_on_complete_part_installs_without_refetching(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    models_dir.mkdir()
    (models_dir / (small_spec.file + ".part")).write_bytes(model_body)

    path = download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))

    assert path.read_bytes() == model_body
    assert model_server.requests[-1] == (f"/models/{small_spec.file}", f"bytes={len(model_body)}-")


def test_416_on_oversized_part_starts_over(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    models_dir.mkdir()
    (models_dir / (small_spec.file + ".part")).write_bytes(model_body + b"junk")

    path = download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))

    assert path.read_bytes() == model_body
    assert model_server.requests[-1] == (f"/models/{small_spec.file}", None)


def test_wrong_hash_deletes_part_and_raises(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body, wrong_hash=True)

    with pytest.raises(ModelHashMismatchError):
        download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))

    # no model, part or sidecar is left; the lock file stays (removing a lock file breaks the lock)
    assert sorted(p.name for p in models_dir.iterdir()) == [small_spec.file + ".lock"]


def test_installed_matching_file_is_kept_and_damaged_one_replaced(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))
    model_server.requests.clear()

    download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))
    assert model_server.paths() == [f"/models/{small_spec.hash_file}"]

    (models_dir / small_spec.file).write_bytes(b"damaged")
    path = download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))
    assert path.read_bytes() == model_body


def test_falls_back_to_next_source_and_follows_redirects(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    client: httpx.Client,
) -> None:
    model_server.add_model(small_spec, model_body)
    root = model_server.base_url.removesuffix("/models")
    sources = Sources(
        hash_urls=(
            f"{root}/nowhere/{small_spec.hash_file}",
            f"{root}/redirect/models/{small_spec.hash_file}",
        ),
        urls=(f"{root}/nowhere/{small_spec.file}", f"{root}/redirect/models/{small_spec.file}"),
    )

    path = download_model(small_spec, models_dir, client, sources=sources)

    assert path.read_bytes() == model_body
    assert f"/models/{small_spec.file}" in model_server.paths()


def test_fetch_hash_rejects_non_hash_bodies(model_server: ModelServer, client: httpx.Client) -> None:
    model_server.files["bad.hash"] = b"<html>not a hash</html>"
    model_server.files["good.hash"] = b"DEADBEEF\n"

    assert fetch_hash(
        client, [f"{model_server.base_url}/bad.hash", f"{model_server.base_url}/good.hash"]
    ) == ("deadbeef")
    with pytest.raises(DownloadError, match="not a CRC32 sidecar"):
        fetch_hash(client, [f"{model_server.base_url}/bad.hash"])


def test_missing_file_and_unreachable_server_raise_download_error(
    model_server: ModelServer, small_spec: ModelSpec, models_dir: Path, client: httpx.Client
) -> None:
    with pytest.raises(DownloadError, match="HTTP 404"):
        download_model(small_spec, models_dir, client, sources=_sources(model_server, small_spec))

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError):
        download_model(
            small_spec, models_dir, client, sources=model_sources(small_spec, f"http://127.0.0.1:{port}")
        )
    assert not (models_dir / small_spec.file).exists()


def test_model_sources_default_to_catalog_and_mirror_replaces_them(small_spec: ModelSpec) -> None:
    assert model_sources(small_spec) == Sources(hash_urls=small_spec.hash_urls, urls=small_spec.urls)
    mirror = model_sources(small_spec, "http://mirror.example/m/")
    assert mirror.urls == (f"http://mirror.example/m/{small_spec.file}",)
    assert mirror.hash_urls == (f"http://mirror.example/m/{small_spec.hash_file}",)
