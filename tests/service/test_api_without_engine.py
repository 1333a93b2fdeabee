"""The API runs without the ``engine`` extra (the lean API image): ``faceswap serve --workers 0`` with
OpenCV, onnxruntime, onnx, PyAV and dlib made unimportable starts, takes uploads and tasks and serves its
docs, options and metrics; ``faceswap swap`` there says what to install."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.conftest import ASTRONAUT, GRACE
from tests.service.live import free_port, service_env

WITHOUT_ENGINE = """
import importlib.abc, sys
BLOCKED = {"cv2", "onnxruntime", "onnx", "av", "dlib", "face_recognition_models"}

class NoEngine(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoEngine())
sys.argv = ["faceswap", *sys.argv[1:]]
from faceswap.cli.main import main
main()
"""


def faceswap_without_engine(*args: str) -> list[str]:
    return [sys.executable, "-c", WITHOUT_ENGINE, *args]


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("lean")
    env = service_env(data)
    port = free_port()
    log = data / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            faceswap_without_engine("serve", "--port", str(port), "--workers", "0"),
            env=env,
            stdout=out,
            stderr=out,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, "the API did not answer within 60 s"
            time.sleep(0.1)
        yield url
        assert process.poll() is None, log.read_text()[-3000:]
    finally:
        process.terminate()
        process.wait(20)


def test_the_api_takes_uploads_and_tasks_without_the_engine(api: str) -> None:
    with httpx.Client(base_url=api, timeout=30) as client:
        source = client.post("/api/upload", files={"file": (ASTRONAUT.name, ASTRONAUT.read_bytes())})
        assert source.status_code == 200, source.text
        created = client.post(
            "/api/single-image-swap",
            data={"source_file_id": source.json()["data"]["file_id"]},
            files={"target_image": (GRACE.name, GRACE.read_bytes())},
        )
        assert created.status_code == 200, created.text
        task = client.get(f"/api/tasks/{created.json()['data']['job_id']}").json()["data"]
        assert task["status"] == "PENDING"  # no worker here: it waits for one
        for path in ("/api/options", "/docs", "/openapi.json", "/metrics", "/"):
            assert client.get(path).status_code == 200, path


def test_an_engine_command_says_what_to_install(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    done = subprocess.run(
        faceswap_without_engine("swap", str(ASTRONAUT), str(GRACE), "-o", str(tmp_path / "out.png")),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 9, done.stderr  # engine_unavailable
    assert "error [engine_unavailable]" in done.stderr
    assert "pip install 'faceswap[engine]'" in done.stderr
    listed = subprocess.run(
        faceswap_without_engine("--help"), env=env, capture_output=True, text=True, timeout=60, check=True
    )
    assert "swap" in listed.stdout
    assert "engine-serve" in listed.stdout
