"""What the video and GPU benchmarks share: the moving clip (``astronaut.png`` sliding left to right over
grey, as frames in memory or as an H.264/AAC file), the SCRFD stand-in that follows its face, the neural
engine on the benchmark's model files, the source identity swapped in, and the JSON lines they print."""

from __future__ import annotations

import json
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from faceswap.choices import SwapperName
from faceswap.config import EngineSettings, Settings
from faceswap.engine.onnx.engine import build_neural_engine
from faceswap.engine.pipeline import build_identities
from faceswap.engine.protocols import Engine
from faceswap.engine.types import Identity, ImageBGR
from faceswap.testing.moving import write_moving_scrfd_standin

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
FPS = 30
SAMPLE_RATE = 48000
BACKGROUND = 96


def iter_clip_frames(size: tuple[int, int], count: int) -> Iterator[ImageBGR]:
    """``count`` frames of ``size``, one at a time: the astronaut (two thirds of the height) sliding left
    to right."""
    width, height = size
    photo = cv2.imread(str(FACES / "astronaut.png"))
    assert photo is not None
    side = height * 2 // 3
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    for index in range(count):
        image = np.full((height, width, 3), BACKGROUND, np.uint8)
        x = (width - side) * index // max(1, count - 1)
        image[(height - side) // 2 : (height - side) // 2 + side, x : x + side] = face
        yield image


def clip_frames(size: tuple[int, int], count: int) -> list[ImageBGR]:
    """:func:`iter_clip_frames` as a list (the GPU benchmark holds its frames in memory)."""
    return list(iter_clip_frames(size, count))


def write_clip(path: Path, size: tuple[int, int], frames: int) -> None:
    """:func:`clip_frames` as an H.264/AAC clip at 30 fps, with a 440 Hz tone."""
    import av  # not on every GPU machine: only the file needs it

    width, height = size
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "20"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        for index, image in enumerate(iter_clip_frames(size, frames)):
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        samples = frames * SAMPLE_RATE // FPS
        tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(samples) / SAMPLE_RATE)).astype(np.float32)
        for offset in range(0, samples, 1024):
            chunk = av.AudioFrame.from_ndarray(
                tone[None, offset : offset + 1024].copy(), format="fltp", layout="mono"
            )
            chunk.sample_rate, chunk.pts, chunk.time_base = SAMPLE_RATE, offset, Fraction(1, SAMPLE_RATE)
            out.mux(audio.encode(chunk))
        out.mux(audio.encode(None))


def moving_detector(path: Path, size: tuple[int, int], dynamic_batch: bool = False) -> Path:
    """The SCRFD stand-in that follows the clip's sliding face (in its 640 letterbox)."""
    width, height = size
    scale = 640 / max(width, height)
    side = height * 2 // 3
    top, bottom = (height - side) // 2 * scale, ((height - side) // 2 + side) * scale
    third = (bottom - top) / 3
    band = (round(top + third), round(bottom - third))
    return write_moving_scrfd_standin(path, band, (top, bottom), BACKGROUND, dynamic_batch=dynamic_batch)


def open_engine(
    folder: Path, paths: dict[str, Path], settings: EngineSettings, swapper: SwapperName = "inswapper_128"
) -> Engine:
    """The neural engine with ``settings`` on the files ``paths`` names (``retinaface_10g`` detecting)."""
    return build_neural_engine(
        Settings(data_dir=folder, engine=settings), swapper, "retinaface_10g", model_path=paths.__getitem__
    )


def source_identities(engine: Engine) -> list[Identity]:
    """``grace_hopper.jpg``'s face, the identity every benchmark swaps into the clip."""
    photo = cv2.imread(str(FACES / "grace_hopper.jpg"))
    assert photo is not None
    return build_identities(engine, [[np.asarray(photo, np.uint8)]])


def frame_rate(count: int, elapsed: float) -> dict[str, Any]:
    """A frames/s figure: ``count`` frames in ``elapsed`` seconds."""
    return {
        "value": round(count / elapsed, 2),
        "unit": "frames/s",
        "frames": count,
        "elapsed_s": round(elapsed, 3),
    }


def emit(line: dict[str, Any]) -> None:
    """One JSON line on stdout, flushed."""
    print(json.dumps(line), flush=True)
