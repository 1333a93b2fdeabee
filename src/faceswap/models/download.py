"""Resumable, verified model downloads (never called on the request path).

The ``.hash`` sidecar is fetched first, then the file is streamed into ``<file>.part``; a later call
resumes a ``.part`` with ``Range: bytes=N-``. The CRC32 is computed while streaming and checked against
the sidecar before the file is renamed into place, so the models directory only ever holds whole,
verified files.

One download at a time per model file: :func:`download_model` holds ``<file>.lock`` (an OS file lock via
``filelock``, released by the OS if the process dies) from the hash check to the rename. A second
download of the same model, in another process or thread, waits for it, then finds the file installed
(or resumes the ``.part`` the first one left).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock, Timeout

from faceswap.errors import DownloadError, ModelHashMismatchError
from faceswap.models.catalog import ModelSpec
from faceswap.models.registry import ModelRegistry
from faceswap.models.verify import (
    crc32_file,
    crc32_update,
    format_crc32,
    parse_hash,
    write_sidecar,
)

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int | None], None]
"""Called with (bytes on disk so far, total bytes or None when the server does not say)."""

_CONTENT_RANGE_RE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


@dataclass(frozen=True)
class Sources:
    """Where a model's sidecar and file are fetched from, in order of preference."""

    hash_urls: tuple[str, ...]
    urls: tuple[str, ...]


def model_sources(spec: ModelSpec, base_url: str | None = None) -> Sources:
    """The catalog's public sources, or only ``base_url`` (a mirror serving ``<file>`` and ``<name>.hash``)."""
    if base_url:
        base = base_url.rstrip("/")
        return Sources(hash_urls=(f"{base}/{spec.hash_file}",), urls=(f"{base}/{spec.file}",))
    return Sources(hash_urls=spec.hash_urls, urls=spec.urls)


def default_client(timeout_s: float = 30.0) -> httpx.Client:
    """An HTTP client fit for model downloads: redirects followed, connect and read timeouts."""
    return httpx.Client(follow_redirects=True, timeout=httpx.Timeout(timeout_s, connect=10.0))


def fetch_hash(client: httpx.Client, urls: Sequence[str]) -> str:
    """The CRC32 from the first of ``urls`` that serves a well-formed sidecar."""
    failures: list[str] = []
    for url in urls:
        try:
            response = client.get(url, follow_redirects=True)
        except httpx.HTTPError as error:
            failures.append(f"{url}: {error!r}")
            continue
        if response.status_code != 200:
            failures.append(f"{url}: HTTP {response.status_code}")
            continue
        crc = parse_hash(response.text)
        if crc is None:
            failures.append(f"{url}: not a CRC32 sidecar")
            continue
        return crc
    raise DownloadError("could not fetch the model hash: " + "; ".join(failures))


def _content_range(response: httpx.Response) -> tuple[int | None, int | None]:
    """(first byte, total size) from a Content-Range header; None where absent or unknown."""
    match = _CONTENT_RANGE_RE.match(response.headers.get("content-range", ""))
    if match is None:
        return None, None
    start = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return start, total


def _stream_to_part(
    client: httpx.Client,
    url: str,
    part: Path,
    progress: ProgressCallback | None,
) -> int:
    """Downloads ``url`` into ``part``, resuming what is there; returns the CRC32 of the whole part."""
    offset = part.stat().st_size if part.is_file() else 0
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    restart, mode, done, crc, total = False, "wb", 0, 0, None
    with client.stream("GET", url, headers=headers, follow_redirects=True) as response:
        if response.status_code == 416 and offset:
            _, total = _content_range(response)
            if total == offset:  # the part already holds the whole file
                log.info("%s: %s is already complete", url, part.name)
                return crc32_update(0, part)
            log.warning("%s: server refused to resume at byte %d; starting over", url, offset)
            part.unlink()  # the retry below starts from byte 0, so it cannot come back here
            restart = True
        elif response.status_code == 206:
            start, total = _content_range(response)
            if start != offset:
                part.unlink()
                raise DownloadError(f"{url}: asked for bytes from {offset}, server sent from {start}")
            mode, done, crc = "ab", offset, crc32_update(0, part)
        elif response.status_code == 200:
            if offset:
                log.info("%s: server ignored the range request; restarting from byte 0", url)
            length = response.headers.get("content-length")
            mode, done, crc = "wb", 0, 0
            total = int(length) if length is not None and length.isdigit() else None
        else:
            raise DownloadError(f"{url}: HTTP {response.status_code}")
        if not restart:
            crc, done = _write_body(response, part, mode, crc, done, total, progress)
    if restart:
        return _stream_to_part(client, url, part, progress)
    if total is not None and done != total:
        raise DownloadError(f"{url}: got {done} of {total} bytes")
    return crc


def _write_body(
    response: httpx.Response,
    part: Path,
    mode: str,
    crc: int,
    done: int,
    total: int | None,
    progress: ProgressCallback | None,
) -> tuple[int, int]:
    """Appends (``ab``) or writes (``wb``) the body to ``part``; returns the running CRC32 and byte count."""
    if progress is not None:
        progress(done, total)
    with part.open(mode) as handle:
        for chunk in response.iter_raw():
            handle.write(chunk)
            crc = zlib.crc32(chunk, crc)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
    return crc, done


def download_model(
    spec: ModelSpec,
    models_dir: Path,
    client: httpx.Client,
    progress: ProgressCallback | None = None,
    *,
    sources: Sources | None = None,
    force: bool = False,
) -> Path:
    """Installs ``spec``'s file and sidecar in ``models_dir``; returns the file's path.

    ``sources`` default to the catalog's public URLs (see :func:`model_sources` for a mirror). A file
    already there that matches the published hash is kept (unless ``force``). Network failures
    raise DownloadError (transient; the ``.part`` stays for the next try to resume); a file that does not
    match the hash is deleted and raises ModelHashMismatchError.
    """
    registry = ModelRegistry(models_dir)
    sources = sources or model_sources(spec)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        with _one_at_a_time(registry.lock_path(spec.name), spec.name):
            return _download_locked(spec, registry, client, progress, sources, force)
    except OSError as error:
        raise DownloadError(f"cannot write model {spec.name!r} in {models_dir}: {error}") from error


@contextlib.contextmanager
def _one_at_a_time(lock_path: Path, name: str) -> Iterator[None]:
    """Holds the model's lock file; says so when another download holds it and waits for that one."""
    lock = FileLock(lock_path)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        log.warning("%s: another download of this model is running; waiting for it to finish", name)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _download_locked(
    spec: ModelSpec,
    registry: ModelRegistry,
    client: httpx.Client,
    progress: ProgressCallback | None,
    sources: Sources,
    force: bool,
) -> Path:
    """:func:`download_model` under the model's lock; ``OSError`` is translated by the caller."""
    final = registry.file_path(spec.name)
    part = registry.part_path(spec.name)
    expected = fetch_hash(client, sources.hash_urls)
    if final.is_file() and not force:
        if crc32_file(final) == expected:
            write_sidecar(registry.hash_path(spec.name), expected)
            log.info("%s is already installed and verified", spec.name)
            return final
        log.warning("%s: installed file does not match the published hash; downloading again", spec.name)
    if force and part.is_file():
        part.unlink()
    actual = _download_any(client, sources.urls, part, progress)
    if actual != expected:
        part.unlink(missing_ok=True)
        raise ModelHashMismatchError(
            f"downloaded {spec.file} has CRC32 {actual}, expected {expected}; the partial file was deleted"
        )
    os.replace(part, final)
    write_sidecar(registry.hash_path(spec.name), expected)
    log.info("installed %s (%s)", spec.name, final)
    return final


def _download_any(
    client: httpx.Client, urls: Sequence[str], part: Path, progress: ProgressCallback | None
) -> str:
    """Tries each URL in turn (a ``.part`` left by one is resumed from the next); returns the CRC32."""
    failures: list[str] = []
    for url in urls:
        try:
            return format_crc32(_stream_to_part(client, url, part, progress))
        except httpx.HTTPError as error:
            log.warning("download from %s failed: %r", url, error)
            failures.append(f"{url}: {error!r}")
        except DownloadError as error:
            log.warning("download from %s failed: %s", url, error.message)
            failures.append(error.message)
    raise DownloadError("download failed: " + "; ".join(failures))
