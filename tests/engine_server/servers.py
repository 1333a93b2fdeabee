"""``faceswap engine-serve`` and ``faceswap serve`` in subprocesses on free ports, for end-to-end tests."""

from __future__ import annotations

import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.service.live import FACESWAP, free_port, service_env


@dataclass
class Process:
    url: str
    log: Path
    process: subprocess.Popen[bytes]

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(args: list[str], env: dict[str, str], log: Path, health: str) -> Process:
    """Runs ``faceswap ARGS --port P``; returns once ``health`` answers."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(FACESWAP), *args, "--port", str(port)], env=env, stdout=out, stderr=out
        )
    live = Process(url=f"http://127.0.0.1:{port}", log=log, process=process)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(live.url + health, timeout=2).status_code in (200, 503):
                return live
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            live.stop()
            raise RuntimeError(f"{args[0]} did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.1)


def start_engine(data_dir: Path, **env: str) -> Process:
    data_dir.mkdir(parents=True, exist_ok=True)
    return start(["-v", "engine-serve"], {**service_env(data_dir), **env}, data_dir / "engine.log", "/health")


def start_api(data_dir: Path, engine_url: str, **env: str) -> Process:
    """The API with one in-process worker whose swaps go to ``engine_url`` (``FACE_SWAP_API_URL``)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    full = {**service_env(data_dir), "FACE_SWAP_API_URL": engine_url, **env}
    return start(["serve", "--workers", "1"], full, data_dir / "server.log", "/api/health")
