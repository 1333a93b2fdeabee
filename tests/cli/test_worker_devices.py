"""``faceswap worker --devices all|N,M``: one worker process per GPU, supervised by the parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from faceswap.cli import service_cmd
from faceswap.cli.gpus import gpu_count, nvidia_smi_lines, parse_devices
from faceswap.cli.main import cli
from faceswap.cli.supervise import Child, exit_status
from faceswap.errors import BadOptionError, NoGpuError

SMI = ["GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-a)", "GPU 1: NVIDIA H100 80GB HBM3 (UUID: GPU-b)"]
CHILD = """
import signal, sys, time, pathlib
out, behaviour, count = pathlib.Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
deadline = time.monotonic() + 60  # a parent that failed to stop it leaves no process for long
if behaviour != "wait":  # exit once every other child is up, so the parent has all of them to stop
    marks = [out.parent / str(i) for i in range(count) if out.parent / str(i) != out]
    while not all(m.exists() for m in marks) and time.monotonic() < deadline:
        time.sleep(0.05)
    sys.exit(int(behaviour))
signal.signal(signal.SIGTERM, lambda *_: (out.write_text("stopped"), sys.exit(0)))
out.write_text("started")
while time.monotonic() < deadline:
    time.sleep(0.05)
"""
PARENT = """
import logging, sys
from faceswap.cli.supervise import Child, supervise
logging.basicConfig(level=logging.INFO)
n = len(sys.argv[3:])
children = [Child(f"gpu {i}", [sys.executable, "-c", sys.argv[1], f"{sys.argv[2]}/{i}", a, str(n)])
            for i, a in enumerate(sys.argv[3:])]
sys.exit(supervise(children, poll_s=0.05))
"""


def test_gpu_count_reads_cuda_visible_devices_before_nvidia_smi() -> None:
    assert gpu_count({}, lambda: SMI) == 2
    assert gpu_count({}, lambda: []) == 0
    assert gpu_count({"CUDA_VISIBLE_DEVICES": "3,5,7"}, lambda: SMI) == 3
    assert gpu_count({"CUDA_VISIBLE_DEVICES": "GPU-a"}, lambda: SMI) == 1
    assert gpu_count({"CUDA_VISIBLE_DEVICES": ""}, lambda: SMI) == 0
    assert gpu_count({"CUDA_VISIBLE_DEVICES": "-1"}, lambda: SMI) == 0


def test_no_nvidia_smi_lists_no_gpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi there
    assert nvidia_smi_lines() == []
    assert gpu_count({}) == 0


def test_parse_devices() -> None:
    assert parse_devices("all", 4) == [0, 1, 2, 3]
    assert parse_devices("ALL", 1) == [0]
    assert parse_devices("2,0", 4) == [2, 0]
    with pytest.raises(NoGpuError) as none:
        parse_devices("all", 0)
    assert none.value.code == "no_gpu"
    for wrong in ("0,0", "1,x", "", "4", "-1"):
        with pytest.raises(BadOptionError):
            parse_devices(wrong, 4)


def test_exit_status_of_a_signalled_child() -> None:
    assert exit_status(3) == 3
    assert exit_status(-signal.SIGKILL) == 128 + 9


def worker(args: Sequence[str], env: dict[str, str], tmp_path: Path) -> Any:
    return CliRunner().invoke(cli, list(args), env={"FACESWAP_DATA_DIR": str(tmp_path), **env})


def test_no_gpu_is_its_own_error_code(tmp_path: Path) -> None:
    result = worker(["worker", "--devices", "all"], {"CUDA_VISIBLE_DEVICES": ""}, tmp_path)
    assert result.exit_code == NoGpuError.exit_code == 19
    assert "error [no_gpu]" in result.output
    both = worker(["worker", "--devices", "all", "--device", "1"], {"CUDA_VISIBLE_DEVICES": "0,1"}, tmp_path)
    assert both.exit_code == 2
    assert "exclude each other" in both.output
    ports = worker(
        ["worker", "--devices", "all", "--metrics-port", "65535"], {"CUDA_VISIBLE_DEVICES": "0,1"}, tmp_path
    )
    assert ports.exit_code == 2
    assert "leaves no port" in ports.output


def test_each_child_gets_its_device_and_the_parent_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    started: list[tuple[list[Child], dict[str, str]]] = []

    def fake_supervise(children: list[Child], env: dict[str, str]) -> int:
        started.append((children, env))
        return 7

    monkeypatch.setattr(service_cmd, "supervise", fake_supervise)
    args = ["-v", "worker", "--devices", "2,0", "--concurrency", "2", "--metrics-port", "9100"]
    args += ["--api", "https://api.example", "--token", "secret", "--name", "box"]
    result = worker(args, {"CUDA_VISIBLE_DEVICES": "4,5,6"}, tmp_path)
    assert result.exit_code == 7  # the supervisor's status is the command's
    [(children, env)] = started
    assert [child.label for child in children] == ["gpu 2", "gpu 0"]
    first, second = (list(child.argv) for child in children)
    assert first[:3] == [sys.executable, "-m", "faceswap"]
    options = ["-v", "--log-format", "text", "worker", "--device", "2", "--concurrency", "2"]
    remote = ["--api", "https://api.example", "--name", "box-gpu2", "--metrics-port", "9100"]
    assert first[3:] == options + remote
    assert second[second.index("--device") + 1] == "0"
    assert second[second.index("--metrics-port") + 1] == "9101"
    assert all("secret" not in part for part in first + second)
    assert env["FACESWAP_WORKER_TOKEN"] == "secret"


@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; any still running at its end (a failed test) is killed."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.communicate()


def run_parent(
    tmp_path: Path, behaviours: Sequence[str], started: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    """The supervisor over fake children (``wait``: until SIGTERM, a number: exit with it at once)."""
    started.append(
        subprocess.Popen(
            [sys.executable, "-c", PARENT, CHILD, str(tmp_path), *behaviours],
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        )
    )
    return started[-1]


def wait_for(condition: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.server
@pytest.mark.parametrize("sent", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_ctrl_c_reach_every_child_as_sigterm(
    tmp_path: Path, started: list[subprocess.Popen[str]], sent: signal.Signals
) -> None:
    parent = run_parent(tmp_path, ["wait", "wait"], started)
    marks = [tmp_path / "0", tmp_path / "1"]
    wait_for(lambda: all(m.exists() and m.read_text() == "started" for m in marks))
    parent.send_signal(sent)
    _, log = parent.communicate(timeout=30)
    assert parent.returncode == 0, log
    assert [m.read_text() for m in marks] == ["stopped", "stopped"]  # each child's SIGTERM handler ran
    assert f"{sent.name} received: stopping 2 worker(s)" in log


@pytest.mark.server
def test_a_child_that_exits_is_reported_and_stops_the_others(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    parent = run_parent(tmp_path, ["wait", "3", "wait"], started)
    _, log = parent.communicate(timeout=30)
    assert parent.returncode == 3, log
    assert "worker on gpu 1 exited with status 3 while the others ran" in log
    assert [(tmp_path / str(i)).read_text() for i in (0, 2)] == ["stopped", "stopped"]


@pytest.mark.server
def test_real_workers_start_one_per_device_and_drain_on_sigterm(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "FACESWAP_DATA_DIR": str(tmp_path),
        "CUDA_VISIBLE_DEVICES": "0,1",
    }
    parent = subprocess.Popen(
        [sys.executable, "-m", "faceswap", "-v", "worker", "--devices", "all"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    started.append(parent)
    assert parent.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 120
    while sum("concurrency 1" in line for line in lines) < 2:  # both take tasks
        assert time.monotonic() < deadline, "".join(lines)
        lines.append(parent.stderr.readline())
    assert {n for n in (0, 1, 2) if any(f"worker on device {n}" in line for line in lines)} == {0, 1}
    parent.send_signal(signal.SIGTERM)
    _, rest = parent.communicate(timeout=60)
    assert parent.returncode == 0, "".join(lines) + rest
    assert "SIGTERM received: stopping 2 worker(s)" in rest
