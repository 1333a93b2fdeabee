"""Frames per second of the video pipeline (decode -> process -> encode) at 720p and 1080p.

Clips are generated at run time (``astronaut.png`` sliding across a grey frame, H.264 with an AAC tone)
into a temporary directory, then transcoded to MP4 with an identity ``process`` (pipeline overhead
alone) and, with ``--engine classic``, with the classic engine's ``FrameSwapper`` (``grace_hopper.jpg``
as the source face). One JSON object per line on stdout, e.g.

    {"figure": "pipeline_fps", "value": 83.1, "unit": "frames/s", "frames": 150, "elapsed_s": 1.8,
     "process_s": 0.0, "audio": "copy", "resolution": "1280x720", "process": "identity",
     "preset": "medium", "batch_size": 8}

``value`` is frames / wall time of the whole ``transcode`` (probe, decode, process, encode with the
audio copied); ``process_s`` the part spent inside ``process``.

    python benchmarks/video.py [--frames 150] [--engine classic] [--preset medium] [--batch-size 8]
"""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import click
import cv2
import numpy as np

from faceswap.choices import DynamicBatch, VideoPreset, choices
from faceswap.engine.types import ImageBGR
from faceswap.video import VideoOptions, transcode

log = logging.getLogger("benchmarks.video")

FACES = Path(__file__).resolve().parents[1] / ".." / "shared" / "faces"
SIZES = {"720p": (1280, 720), "1080p": (1920, 1080)}
FPS = 30
SAMPLE_RATE = 48000
DYNAMIC: dict[str, DynamicBatch] = {"on": "auto", "dynamic": "on", "off": "off"}
"""``--engine standins`` runs: batching mode -> the engine's ``dynamic_batch`` setting."""


def write_clip(path: Path, size: tuple[int, int], frames: int) -> None:
    """An H.264/AAC clip of ``frames`` frames at 30 fps: the astronaut sliding left to right."""
    width, height = size
    photo = cv2.imread(str(FACES / "astronaut.png"))
    assert photo is not None
    side = height * 2 // 3
    face = cv2.resize(photo, (side, side), interpolation=cv2.INTER_AREA)
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=FPS, options={"preset": "ultrafast", "crf": "20"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        audio = out.add_stream("aac", rate=SAMPLE_RATE, layout="mono")
        for index in range(frames):
            image = np.full((height, width, 3), 96, np.uint8)
            x = (width - side) * index // max(1, frames - 1)
            image[(height - side) // 2 : (height - side) // 2 + side, x : x + side] = face
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


def identity(frames: list[ImageBGR]) -> list[ImageBGR]:
    return frames


def classic_swapper() -> Callable[[list[ImageBGR]], list[ImageBGR]] | None:
    """The classic engine's frame function with grace_hopper.jpg as the source, or None if unavailable."""
    try:
        from faceswap.config import Settings
        from faceswap.engine.classic.engine import build_classic_engine
        from faceswap.engine.frames import FrameSwapper
        from faceswap.engine.pipeline import build_identities
        from faceswap.engine.selection import Selection
        from faceswap.errors import FaceswapError
    except ImportError as exc:
        log.warning("no engine frame function: %s", exc)
        return None
    try:
        engine = build_classic_engine(Settings())
        source = cv2.imread(str(FACES / "grace_hopper.jpg"))
        assert source is not None
        return FrameSwapper(engine, build_identities(engine, [[source]]), Selection())
    except FaceswapError as exc:
        log.warning("classic engine unavailable: %s", exc)
        return None


def standins_swapper(
    folder: Path, size: tuple[int, int], swapper: str, batching: str
) -> Callable[[list[ImageBGR]], list[ImageBGR]]:
    """The neural engine's ``FrameSwapper`` on tiny stand-in models saved with a batch of 1 (as the
    public files are), ``grace_hopper.jpg`` as the source.

    The detector stand-in follows the clip's sliding face (``faceswap.testing.moving``). ``batching``:
    ``on``: the defaults (``dynamic_batch="auto"``: batch-1 models stay so on a CPU; a batch's frames
    analysed together, all its faces embedded and swapped per call the models allow); ``dynamic``: the
    same with the models opened with a symbolic batch (what a GPU gets); ``off``: one frame, one face
    per model call (single-image pipelines looped over frames).
    """
    from faceswap.config import EngineSettings, Settings
    from faceswap.engine.frames import FrameSwapper
    from faceswap.engine.onnx.engine import build_neural_engine
    from faceswap.engine.pipeline import build_identities
    from faceswap.engine.selection import Selection
    from faceswap.models.catalog import spec
    from faceswap.testing.moving import write_moving_scrfd_standin
    from faceswap.testing.standins import write_arcface_standin, write_inswapper_standin

    width, height = size
    scale = 640 / max(width, height)
    side = height * 2 // 3
    top, bottom = (height - side) // 2 * scale, ((height - side) // 2 + side) * scale
    third = (bottom - top) / 3
    models = folder / f"models_{width}x{height}"
    paths = {
        "scrfd_2.5g": write_moving_scrfd_standin(
            models / spec("scrfd_2.5g").file, (round(top + third), round(bottom - third)), (top, bottom)
        ),
        "arcface_w600k_r50": write_arcface_standin(models / spec("arcface_w600k_r50").file),
        "inswapper_128": write_inswapper_standin(models / spec("inswapper_128").file, swapper),  # type: ignore[arg-type]
    }
    settings = Settings(data_dir=folder, engine=EngineSettings(dynamic_batch=DYNAMIC[batching]))
    engine = build_neural_engine(settings, "inswapper_128", model_path=paths.__getitem__)
    source = cv2.imread(str(FACES / "grace_hopper.jpg"))
    assert source is not None
    identities = build_identities(engine, [[source]])
    together = batching != "off"
    # transcode's frames are the process's own, as in swap_video: faces are written into them
    return FrameSwapper(
        engine, identities, Selection(), batch_analysis=together, batch_swaps=together, overwrite=True
    )


def run(
    clip: Path, out: Path, process: Callable[[list[ImageBGR]], list[ImageBGR]], options: VideoOptions
) -> dict[str, Any]:
    report = transcode(clip, out, process, options)
    return {
        "value": round(report.fps, 2),
        "unit": "frames/s",
        "frames": report.frames,
        "elapsed_s": round(report.elapsed_s, 3),
        "process_s": round(report.process_s, 3),
        "audio": report.audio,
    }


@click.command()
@click.option("--frames", default=150, show_default=True, help="frames per clip (identity runs)")
@click.option("--engine-frames", default=8, show_default=True, help="frames per clip with --engine")
@click.option(
    "--engine",
    "engine",
    type=click.Choice(["none", "classic", "standins"]),
    default="none",
    show_default=True,
)
@click.option(
    "--swapper",
    "swapper_kind",
    type=click.Choice(["constant", "identity"]),
    default="constant",
    show_default=True,
    help="inswapper stand-in with --engine standins",
)
@click.option("--preset", type=click.Choice(choices(VideoPreset)), default="medium", show_default=True)
@click.option("--batch-size", default=8, show_default=True)
@click.option("--repeat", default=3, show_default=True, help="runs per --engine standins mode (median shown)")
def main(
    frames: int,
    engine_frames: int,
    engine: str,
    swapper_kind: str,
    preset: VideoPreset,
    batch_size: int,
    repeat: int,
) -> None:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    options = VideoOptions(preset=preset, batch_size=batch_size)
    swapper = classic_swapper() if engine == "classic" else None
    with tempfile.TemporaryDirectory() as folder:
        for label, size in SIZES.items():
            resolution = f"{size[0]}x{size[1]}"
            clip = Path(folder) / f"clip_{label}.mp4"
            write_clip(clip, size, frames)
            figures = run(clip, Path(folder) / f"out_{label}.mp4", identity, options)
            line = {"figure": "pipeline_fps", **figures, "resolution": resolution, "process": "identity"}
            print(json.dumps({**line, "preset": preset, "batch_size": batch_size}), flush=True)
            if engine == "standins":
                processes = {
                    mode: standins_swapper(Path(folder), size, swapper_kind, mode) for mode in DYNAMIC
                }
                runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in DYNAMIC}
                for _ in range(repeat):  # interleaved, so load from other jobs hits every mode alike
                    for mode, process in processes.items():
                        runs[mode].append(run(clip, Path(folder) / f"standins_{label}.mp4", process, options))
                for mode, results in runs.items():
                    figures = sorted(results, key=lambda r: float(r["value"]))[len(results) // 2]
                    line = {
                        "figure": "pipeline_fps",
                        **figures,
                        "resolution": resolution,
                        "process": f"standins_{swapper_kind}",
                        "batching": mode,
                        "runs": [r["value"] for r in results],
                    }
                    print(json.dumps({**line, "preset": preset, "batch_size": batch_size}), flush=True)
            if swapper is None:
                continue
            short = Path(folder) / f"short_{label}.mp4"
            write_clip(short, size, engine_frames)
            figures = run(short, Path(folder) / f"swap_{label}.mp4", swapper, options)
            line = {"figure": "pipeline_fps", **figures, "resolution": resolution, "process": "classic"}
            print(json.dumps({**line, "preset": preset, "batch_size": batch_size}), flush=True)


if __name__ == "__main__":
    main()
