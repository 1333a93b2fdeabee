"""Stand-ins for the face enhancers' and frame enhancers' conventions, with random weights.

* :func:`write_random_enhancer_standin`: a face restorer of any crop size whose output is
  ``tanh(W x + b + pattern)`` per pixel, ``W`` a random 3x3 channel mix (so a channel swap shows),
  ``pattern`` a smooth wave in crop coordinates (:func:`enhancer_pattern`, so a crop aligned with another
  template or at another size comes back elsewhere). Fed RGB in [-1, 1] it answers RGB in [-1, 1].
* :func:`write_frame_enhancer_standin`: a frame enhancer at its catalog tile size and scale. ``repeat``
  gives back its input with every pixel repeated ``scale`` x ``scale`` times (the identity of an upscaler);
  ``random`` first maps each pixel through ``0.5 + 0.5 tanh(W x + b)`` (:func:`frame_weights`), so a BGR
  feed, a missing ``/ 255`` or a missing ``* 255`` changes what comes out. ``_fp16`` models get float16
  inputs and outputs.

Tests rebuild the expected output from these weights with their own code (see
``tests/engine/test_enhancer_conventions.py``).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from faceswap.choices import ModelName
from faceswap.engine.onnx.signature import (
    ENHANCER_INPUT,
    ENHANCER_OUTPUT,
    FRAME_ENHANCER_INPUT,
    FRAME_ENHANCER_OUTPUT,
)
from faceswap.models.catalog import spec
from faceswap.testing.onnx_files import save_standin

PATTERN_AMPLITUDE = 0.6
PATTERN_CYCLES = 3.0


def enhancer_weights(seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The random enhancer's channel mix ``W`` (3x3, output x input, RGB) and bias ``b`` (3)."""
    rng = np.random.default_rng(seed)
    mix = (np.eye(3) * 0.8 + rng.uniform(-0.6, 0.6, (3, 3))).astype(np.float32)
    bias = rng.uniform(-0.2, 0.2, 3).astype(np.float32)
    return mix, bias


def enhancer_pattern(size: int) -> NDArray[np.float32]:
    """``3 x S x S``: the random enhancer's added wave in crop coordinates (pixel centres)."""
    phase = 2.0 * math.pi * PATTERN_CYCLES * (np.arange(size, dtype=np.float64) + 0.5) / size
    x, y = phase[None, :], phase[:, None]
    waves = [np.sin(x + 0 * y), np.sin(y + 0 * x), np.sin((x + y) * 2.0 / 3.0)]
    return (PATTERN_AMPLITUDE * np.stack(waves)).astype(np.float32)


def write_random_enhancer_standin(path: Path, size: int, seed: int = 0) -> Path:
    """A face restorer stand-in: ``input`` 1x3xSxS -> ``output`` 1x3xSxS, ``tanh(W x + b + pattern)``."""
    mix, bias = enhancer_weights(seed)
    phase = (2.0 * math.pi * PATTERN_CYCLES * (np.arange(size, dtype=np.float32) + 0.5) / size).astype(
        np.float32
    )
    inits = [
        numpy_helper.from_array(mix.reshape(3, 3, 1, 1), "mix"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(phase.reshape(1, 1, 1, size), "phase_x"),
        numpy_helper.from_array(phase.reshape(1, 1, size, 1), "phase_y"),
        numpy_helper.from_array(np.zeros((1, 1, size, 1), np.float32), "zeros_y"),
        numpy_helper.from_array(np.zeros((1, 1, 1, size), np.float32), "zeros_x"),
        numpy_helper.from_array(np.array(2.0 / 3.0, np.float32), "two_thirds"),
        numpy_helper.from_array(np.array(PATTERN_AMPLITUDE, np.float32), "amplitude"),
    ]
    nodes = [
        helper.make_node("Conv", [ENHANCER_INPUT, "mix", "bias"], ["mixed"]),
        helper.make_node("Add", ["phase_x", "zeros_y"], ["grid_x"]),
        helper.make_node("Add", ["phase_y", "zeros_x"], ["grid_y"]),
        helper.make_node("Add", ["grid_x", "grid_y"], ["grid_xy"]),
        helper.make_node("Mul", ["grid_xy", "two_thirds"], ["grid_diagonal"]),
        helper.make_node("Sin", ["grid_x"], ["wave_r"]),
        helper.make_node("Sin", ["grid_y"], ["wave_g"]),
        helper.make_node("Sin", ["grid_diagonal"], ["wave_b"]),
        helper.make_node("Concat", ["wave_r", "wave_g", "wave_b"], ["waves"], axis=1),
        helper.make_node("Mul", ["waves", "amplitude"], ["pattern"]),
        helper.make_node("Add", ["mixed", "pattern"], ["shifted"]),
        helper.make_node("Tanh", ["shifted"], [ENHANCER_OUTPUT]),
    ]
    image = helper.make_tensor_value_info(ENHANCER_INPUT, TensorProto.FLOAT, [1, 3, size, size])
    output = helper.make_tensor_value_info(ENHANCER_OUTPUT, TensorProto.FLOAT, [1, 3, size, size])
    return save_standin(path, nodes, [image], [output], inits)


def frame_weights(seed: int = 0) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The random frame enhancer's channel mix ``W`` (3x3, output x input, RGB) and bias ``b`` (3)."""
    rng = np.random.default_rng(seed + 1000)
    mix = (np.eye(3) * 2.0 + rng.uniform(-1.5, 1.5, (3, 3))).astype(np.float32)
    bias = rng.uniform(-0.8, 0.2, 3).astype(np.float32)
    return mix, bias


def write_frame_enhancer_standin(
    path: Path,
    name: ModelName,
    kind: Literal["repeat", "random"] = "repeat",
    seed: int = 0,
    dynamic_batch: bool = False,
) -> Path:
    """Frame enhancer ``name``'s stand-in: ``input`` Bx3xTxT -> ``output`` Bx3x(sT)x(sT) (see module)."""
    model = spec(name)
    assert model.tiling is not None, f"{name} is not a frame enhancer"
    tile, scale = model.input_size[0], model.tiling.scale
    fp16 = name.endswith("_fp16")
    onnx_type = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    batch: str | int = "N" if dynamic_batch else 1
    inits = [
        numpy_helper.from_array(np.array([0, 3, tile, 1, tile, 1], np.int64), "split_shape"),
        numpy_helper.from_array(np.array([1, 1, 1, scale, 1, scale], np.int64), "repeat_shape"),
        numpy_helper.from_array(np.array([0, 3, tile * scale, tile * scale], np.int64), "joined_shape"),
    ]
    nodes = [helper.make_node("Cast", [FRAME_ENHANCER_INPUT], ["pixels"], to=TensorProto.FLOAT)]
    source = "pixels"
    if kind == "random":
        mix, bias = frame_weights(seed)
        inits += [
            numpy_helper.from_array(mix.reshape(3, 3, 1, 1), "mix"),
            numpy_helper.from_array(bias, "bias"),
            numpy_helper.from_array(np.array(0.5, np.float32), "half"),
        ]
        nodes += [
            helper.make_node("Conv", ["pixels", "mix", "bias"], ["mixed"]),
            helper.make_node("Tanh", ["mixed"], ["squashed"]),
            helper.make_node("Mul", ["squashed", "half"], ["halved"]),
            helper.make_node("Add", ["halved", "half"], ["mapped"]),
        ]
        source = "mapped"
    nodes += [
        helper.make_node("Reshape", [source, "split_shape"], ["split"]),
        helper.make_node("Expand", ["split", "repeat_shape"], ["repeated"]),
        helper.make_node("Reshape", ["repeated", "joined_shape"], ["joined"]),
        helper.make_node("Cast", ["joined"], [FRAME_ENHANCER_OUTPUT], to=onnx_type),
    ]
    image = helper.make_tensor_value_info(FRAME_ENHANCER_INPUT, onnx_type, [batch, 3, tile, tile])
    output = helper.make_tensor_value_info(
        FRAME_ENHANCER_OUTPUT, onnx_type, [batch, 3, tile * scale, tile * scale]
    )
    return save_standin(path, nodes, [image], [output], inits)
