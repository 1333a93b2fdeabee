"""The models of ``benchmarks/gpu.py``: the swapper's file (real, replica or stand-in) and its converter,
the end-to-end set around it (a SCRFD-10G-sized detector following the clip's face, the ArcFace stand-in),
and the tiny stand-ins of the ``host`` figure (``clips.open_engine`` opens them)."""

from __future__ import annotations

from pathlib import Path

from clips import moving_detector
from faceswap.choices import ModelName, SwapperName
from faceswap.models.catalog import spec
from faceswap.models.swappers import SWAPPERS
from faceswap.testing.replicas import write_detector_replica, write_inswapper_replica
from faceswap.testing.standins import write_arcface_standin
from faceswap.testing.swapper_standins import write_converter_standin, write_swapper_standin

WIDTH, HEIGHT = 1920, 1080


def swapper_file(folder: Path, name: SwapperName, weights: Path | None, fp16: bool) -> tuple[Path, str]:
    """The swapper's file and what it is: the real one from ``weights``, inswapper's full-size replica,
    or a stand-in of the signature (its figures then show the code around the model, not the model)."""
    model: ModelName = name
    real = weights / spec(model).file if weights else None
    if real is not None and real.is_file():
        return real, "real"
    path = folder / spec(model).file
    if SWAPPERS[name].family == "inswapper":
        write_inswapper_replica(path, fp16=fp16 or name.endswith("_fp16"))
        return path, "replica"
    write_swapper_standin(path, name, "constant")
    return path, "stand-in"


def converter_file(folder: Path, name: SwapperName, weights: Path | None) -> dict[str, Path]:
    """The swapper's embedding converter: the real file in ``weights`` when there, else a stand-in."""
    converter = SWAPPERS[name].converter
    if converter is None:
        return {}
    real = weights / spec(converter).file if weights else None
    if real is not None and real.is_file():
        return {converter: real}
    path = folder / spec(converter).file
    write_converter_standin(path)
    return {converter: path}


def e2e_models(folder: Path, swapper_path: Path, name: SwapperName, weights: Path | None) -> dict[str, Path]:
    detector_file = folder / spec("retinaface_10g").file
    write_detector_replica(detector_file, moving_detector(folder / "moving.onnx", (WIDTH, HEIGHT)))
    return {
        "retinaface_10g": detector_file,
        "arcface_w600k_r50": write_arcface_standin(folder / spec("arcface_w600k_r50").file),
        name: swapper_path,
        **converter_file(folder, name, weights),
    }


def standin_models(folder: Path, name: SwapperName = "inswapper_128") -> dict[str, Path]:
    """Tiny stand-ins saved with a dynamic batch: the model calls cost next to nothing."""
    folder.mkdir(exist_ok=True)
    swapper_path = folder / f"{name}.onnx"
    write_swapper_standin(swapper_path, name, "constant", fp16=name.endswith("_fp16"), dynamic_batch=True)
    return {
        "retinaface_10g": moving_detector(folder / "detector.onnx", (WIDTH, HEIGHT), dynamic_batch=True),
        "arcface_w600k_r50": write_arcface_standin(folder / "arcface.onnx"),
        name: swapper_path,
        **converter_file(folder, name, None),
    }
