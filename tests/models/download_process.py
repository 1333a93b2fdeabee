"""``python download_process.py NAME MODELS_DIR BASE_URL``: one model download in a process of its own."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from faceswap.models.download import default_client, download_model, model_sources
from faceswap.models.registry import model_spec

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(message)s")
    name, models_dir, base_url = sys.argv[1:4]
    spec = model_spec(name)
    with default_client(timeout_s=30.0) as client:
        print(download_model(spec, Path(models_dir), client, sources=model_sources(spec, base_url)))
