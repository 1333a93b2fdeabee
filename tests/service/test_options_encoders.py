"""``/api/options`` lists the video encoders the running queue workers report; the API itself never imports
PyAV (tests/service/test_api_imports.py), so it cannot tell its own."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from faceswap.choices import VideoEncoderName, choices
from faceswap.service.api.app import create_app
from faceswap.service.api.routes.options import workers_encoders
from faceswap.service.worker import runner
from faceswap.video.options import available_encoders
from tests.service.helpers import service_settings


def test_the_encoders_of_every_reporting_worker_in_declaration_order() -> None:
    workers = [
        {"metadata": {"kind": "faceswap", "video_encoders": ["libx265"]}},
        {"metadata": {"kind": "faceswap", "video_encoders": ["hevc_nvenc", "libx264"]}},
        {"metadata": {"kind": "other"}},
    ]
    assert workers_encoders(workers) == ["libx264", "libx265", "hevc_nvenc"]
    assert workers_encoders([{"metadata": {"kind": "faceswap"}}]) == list(choices(VideoEncoderName))


def test_options_list_what_an_in_process_worker_reports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "available_encoders", lambda: ["libx265"])  # a build with x265 only
    with TestClient(create_app(service_settings(tmp_path), workers=1)) as client:
        deadline = time.monotonic() + 10
        while (listed := client.get("/api/options").json()["data"]["video_encoder"]) != ["libx265"]:
            assert time.monotonic() < deadline, f"the worker's encoders never showed: {listed}"
            time.sleep(0.1)


def test_a_worker_reports_its_builds_encoders() -> None:
    assert "libx264" in available_encoders()
