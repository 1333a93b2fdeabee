"""The API process never imports onnxruntime, cv2 or av (checked in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.service.conftest import ASTRONAUT

SCRIPT = """
import json, sys
from fastapi.testclient import TestClient
from faceswap.config import Settings
from faceswap.service.api.app import create_app

app = create_app(Settings(data_dir=sys.argv[1]))
with TestClient(app) as client:
    assert client.get("/api/health").status_code == 200
    upload = client.post("/api/upload", files={"file": ("a.png", open(sys.argv[2], "rb").read())})
    assert upload.status_code == 200, upload.text
    client.get("/openapi.json")
print(json.dumps(sorted(m for m in ("onnxruntime", "cv2", "av", "dlib") if m in sys.modules)))
"""


def test_api_process_does_not_import_engine_libraries(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path), str(ASTRONAUT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
