"""The ``host`` figure of ``benchmarks/gpu.py``: our batched path on tiny stand-ins, every ONNX Runtime
call timed (``host_time.py``), so the wall time per frame outside them is host work that does not overlap
model execution; reported with its split by stage."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from clips import emit, open_engine, source_identities
from faceswap.choices import SwapperName
from faceswap.config import EngineSettings
from faceswap.engine import frames as frame_swapper
from faceswap.engine.frames import FrameSwapper
from faceswap.engine.onnx import detector, device_geometry, recognizer, swap_sources, swapper, uploads
from faceswap.engine.onnx.session import ModelSession
from faceswap.engine.selection import Selection
from faceswap.engine.types import ImageBGR
from gpu_models import HEIGHT, WIDTH, standin_models
from host_time import HostClock, Target, split

HOST_STAGES: dict[str, list[Target]] = {
    "detect_prep": [(detector, "prepare_scrfd_frames")],
    "detect_decode": [(detector, n) for n in ("split_batch", "decode_scrfd", "suppress", "to_faces")],
    "embed_prep": [(recognizer, "prepare_arcface_batch"), (recognizer, "normalize_embeddings")],
    "select_track": [(frame_swapper, n) for n in ("smooth_faces", "assign", "sort_left_to_right")],
    "swap_prep": [(swap_sources, "normalize_embeddings"), (swap_sources, "prepare_source_crops")]
    + [(swapper, "prepare_swap_crops"), (swapper, "normalize_swap_output")]
    + [(device_geometry, n) for n in ("estimate_matrix", "warp_boxes", "paste_boxes")],
    "frame_upload": [(uploads, "upload_frames")],
    "paste_writes": [(device_geometry, "write_regions")],
    "feeds_and_binding": [(ModelSession, "run"), (device_geometry, "run_bound")],
}
"""``host`` figure: the functions timed as each stage (looked up where the pipeline looks them up)."""


def host_overhead(
    folder: Path, settings: EngineSettings, frames: list[ImageBGR], batch: int, repeat: int, name: SwapperName
) -> list[dict[str, float]]:
    """Per run of ``frames`` through our batched path with the stand-ins: ms per frame by label.

    Every batch gets fresh copies of its frames, made outside the timed calls, and the swapper may
    write into them: that is what ``swap_video`` does with the frames transcode's decoder hands over.
    """
    engine = open_engine(folder, standin_models(folder / "standins", name), settings, name)
    process = FrameSwapper(engine, source_identities(engine), Selection(), overwrite=True)
    clock = HostClock()
    runs = []
    with clock.installed(HOST_STAGES):
        for number in range(repeat + 1):  # the first run warms up (arena growth, first calls)
            clock.reset()
            wall = 0.0
            for first in range(0, len(frames), batch):
                fresh = [frame.copy() for frame in frames[first : first + batch]]
                start = time.perf_counter()
                process(fresh)
                wall += time.perf_counter() - start
            if number:
                runs.append(split(clock.seconds, wall, len(frames), HOST_STAGES))
    return runs


def emit_host(runs: list[dict[str, float]], frames: int, batch: int, common: dict[str, Any]) -> None:
    """The run of median host time: host and ONNX Runtime ms per frame, the ceiling and the split."""
    host = [sum(v for k, v in run.items() if k != "ort") for run in runs]
    middle = sorted(range(len(runs)), key=host.__getitem__)[len(runs) // 2]
    run, host_ms = runs[middle], host[middle]
    emit(
        {
            "figure": "e2e_host_ms_per_frame",
            "value": round(host_ms, 3),
            "unit": "ms/frame",
            "ceiling_fps": round(1000.0 / host_ms, 1),
            "ort_ms_per_frame": round(run.get("ort", 0.0), 3),
            "stages_ms_per_frame": {k: round(v, 3) for k, v in sorted(run.items()) if k != "ort"},
            "runs": [round(h, 3) for h in host],
            "frames": frames,
            "batch": batch,
            "resolution": f"{WIDTH}x{HEIGHT}",
            "models": "stand-ins",
            "gpu_geometry": "on",
            **common,
        }
    )
