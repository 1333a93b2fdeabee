"""One download at a time per model file: a second download (another process or thread) waits for the
first and then finds the file installed; a download killed while holding the lock leaves a ``.part`` that
the next one resumes."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from faceswap.models.catalog import ModelSpec
from faceswap.models.download import default_client, download_model, model_sources
from faceswap.models.verify import read_sidecar

if TYPE_CHECKING:
    from conftest import ModelServer

SCRIPT = Path(__file__).with_name("download_process.py")


def start_download(spec: ModelSpec, models_dir: Path, server: ModelServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), spec.name, str(models_dir), server.base_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_second_process_waits_then_finds_the_file_installed(
    model_server: ModelServer, small_spec: ModelSpec, model_body: bytes, models_dir: Path
) -> None:
    model_server.add_model(small_spec, model_body)
    model_server.pause = threading.Event()
    first = start_download(small_spec, models_dir, model_server)
    second = None
    try:
        assert model_server.sending.wait(30), "the first download did not start"
        second = start_download(small_spec, models_dir, model_server)
        assert second.stderr is not None
        line = second.stderr.readline()  # the second one says it waits (and only then)
        assert "another download of this model is running; waiting" in line, line
        assert (models_dir / (small_spec.file + ".part")).stat().st_size > 0
        model_server.pause.set()
        out_first, err_first = first.communicate(timeout=60)
        out_second, err_second = second.communicate(timeout=60)
    finally:
        model_server.pause.set()
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
    assert first.returncode == 0, err_first
    assert second.returncode == 0, err_second
    final = models_dir / small_spec.file
    assert out_first.strip() == out_second.strip() == str(final)
    assert final.read_bytes() == model_body
    assert read_sidecar(models_dir / small_spec.hash_file) == f"{zlib.crc32(model_body):08x}"
    assert not (models_dir / (small_spec.file + ".part")).exists()
    # the file was sent once: the second process only fetched the hash and checked the installed file
    assert model_server.paths().count(f"/models/{small_spec.file}") == 1
    assert model_server.paths().count(f"/models/{small_spec.hash_file}") == 2


def test_killed_download_releases_the_lock_and_the_next_resumes(
    model_server: ModelServer, small_spec: ModelSpec, model_body: bytes, models_dir: Path
) -> None:
    model_server.add_model(small_spec, model_body)
    model_server.pause = pause = threading.Event()
    first = start_download(small_spec, models_dir, model_server)
    try:
        assert model_server.sending.wait(30), "the first download did not start"
        part = models_dir / (small_spec.file + ".part")
        deadline = time.monotonic() + 10
        while not (part.is_file() and part.stat().st_size > 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        first.kill()  # SIGKILL: no cleanup ran, the OS drops its lock
        first.wait(30)
    finally:
        pause.set()
    model_server.pause = None
    kept = part.stat().st_size
    assert 0 < kept < len(model_body)

    with default_client(timeout_s=5.0) as client:
        path = download_model(
            small_spec, models_dir, client, sources=model_sources(small_spec, model_server.base_url)
        )

    assert path.read_bytes() == model_body
    assert model_server.requests[-1] == (f"/models/{small_spec.file}", f"bytes={kept}-")


def test_threads_share_one_download(
    model_server: ModelServer,
    small_spec: ModelSpec,
    model_body: bytes,
    models_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    model_server.add_model(small_spec, model_body)
    model_server.pause = threading.Event()
    sources = model_sources(small_spec, model_server.base_url)
    results: list[Path] = []

    def download() -> None:
        with default_client(timeout_s=30.0) as client:
            results.append(download_model(small_spec, models_dir, client, sources=sources))

    threads = [threading.Thread(target=download) for _ in range(2)]
    threads[0].start()
    assert model_server.sending.wait(30)
    threads[1].start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # until the second thread reports that it waits
        if any("waiting for it to finish" in r.getMessage() for r in caplog.records):
            break
        time.sleep(0.05)
    model_server.pause.set()
    for thread in threads:
        thread.join(60)

    assert results == [models_dir / small_spec.file] * 2
    assert any("waiting for it to finish" in r.getMessage() for r in caplog.records)
    assert (models_dir / small_spec.file).read_bytes() == model_body
    assert model_server.paths().count(f"/models/{small_spec.file}") == 1
