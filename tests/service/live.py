"""A live faceswap server (and workers) in subprocesses on free ports, for end-to-end tests over HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

FACESWAP = Path(sys.executable).parent / "faceswap"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def service_env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FACESWAP_")}
    env.update(
        FACESWAP_DATA_DIR=str(data_dir),
        FACESWAP_ENGINE__ENGINE="classic",
        FACESWAP_SERVICE__ABORT_POLL_S="0.2",
        FACESWAP_SERVICE__RETRY_DELAY_S="0",
        # the test's webhook receiver listens on loopback, which the SSRF guard refuses by default
        FACESWAP_FETCH__ALLOW_PRIVATE='["127.0.0.1"]',
        **{f"FACESWAP_SERVICE__{k.upper()}": v for k, v in settings.items()},
    )
    return env


@dataclass
class Live:
    url: str
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes]
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def start_worker(self, *options: str) -> subprocess.Popen[bytes]:
        """``faceswap worker OPTIONS`` on this server's queue and storage."""
        with self.log.open("ab") as log:
            worker = subprocess.Popen(
                [str(FACESWAP), "-v", "worker", *options], env=self.env, stdout=log, stderr=log
            )
        self.workers.append(worker)
        return worker

    def stop(self) -> None:
        for proc in [*self.workers, self.process]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in [*self.workers, self.process]:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def start_server(
    data_dir: Path,
    *,
    workers: int = 1,
    extra_env: dict[str, str] | None = None,
    cli_options: tuple[str, ...] = (),
    **settings: str,
) -> Live:
    """``faceswap [CLI_OPTIONS] serve`` on a free port; returns once ``/api/health`` answers. ``settings``
    are ``FACESWAP_SERVICE__*`` values; ``extra_env`` (e.g. ``FACESWAP_QUEUE__URL``) goes to its workers
    too; ``cli_options`` are the group's (``-v``, ``--log-format json``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {**service_env(data_dir, **settings), **(extra_env or {})}
    log = data_dir / "server.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(FACESWAP), *cli_options, "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=out,
            stderr=out,
        )
    live = Live(url=f"http://127.0.0.1:{port}", env=env, log=log, process=process)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{live.url}/api/health", timeout=2).status_code in (200, 503):
                return live
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            live.stop()
            raise RuntimeError(f"the server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def wait_status(
    client: httpx.Client, task_id: str, statuses: set[str], timeout: float = 60
) -> dict[str, object]:
    """Polls ``/api/tasks/{id}`` until its status is one of ``statuses``; returns the task."""
    deadline = time.monotonic() + timeout
    while True:
        task: dict[str, object] = client.get(f"/api/tasks/{task_id}").json()["data"]
        if task["status"] in statuses:
            return task
        assert time.monotonic() < deadline, f"task {task_id} stayed {task['status']}"
        time.sleep(0.05)
