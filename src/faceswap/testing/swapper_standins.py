"""Swapper and embedding-converter stand-ins with each model's real signature (:mod:`.signature`).

:func:`write_swapper_standin` writes any swapper of the catalog (``target`` Bx3xSxS and ``source`` Bx512
or, for an image source, Bx3xsxs -> the swapped Bx3xSxS, plus HyperSwap's ``mask``) whose output is
``identity`` (the target's crop back), ``constant`` (a colour) or ``pattern`` (:func:`oriented_pattern`),
each expressed in the family's output space (normalised with its mean/std where it de-normalises), so a
correct pipeline pastes back exactly that. inswapper's last initializer is its ``emap``.

:func:`write_random_swapper_standin` is the sensitive one: a fixed random per-pixel channel mix of the
target plus a term of the source, ``W x + b + t(source)`` (``t`` = ``source @ P`` for a vector, the
channel means of the source crop through ``Q`` for an image), so a channel swap, a wrong mean/std,
template, source or de-normalisation all change its result. :func:`write_converter_standin` is a CrossFace
stand-in: ``input`` Bx512 -> ``output`` = ``input @ M``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from faceswap.choices import SwapperName
from faceswap.engine.onnx.signature import (
    CONVERTER_INPUT,
    CONVERTER_OUTPUT,
    EMBEDDING_SIZE,
    HYPERSWAP_MASK,
    SWAPPER_OUTPUT,
    SWAPPER_SOURCE,
    SWAPPER_TARGET,
)
from faceswap.models.swappers import SWAPPERS, SwapperSpec
from faceswap.testing.onnx_files import save_standin

BATCH = "N"
StandinKind = Literal["identity", "constant", "pattern"]


def oriented_pattern(size: int = 128) -> NDArray[np.float32]:
    """1x3xSxS RGB in [0, 1]: red grows downwards, green to the right, blue is 0.5."""
    ramp = np.linspace(0.05, 0.95, size, dtype=np.float32)
    red = np.repeat(ramp[:, None], size, axis=1)
    return np.stack([red, red.T, np.full_like(red, 0.5)])[None]


def _channels(values: Any) -> NDArray[np.float32]:
    return np.asarray(values, np.float32).reshape(1, 3, 1, 1)


def _io(spec: SwapperSpec, onnx_type: int, batch: str | int) -> tuple[list[Any], list[Any]]:
    """The swapper's graph inputs and outputs (``mask`` too when the family has it)."""
    side = spec.size
    source: list[str | int] = [batch, EMBEDDING_SIZE]
    if spec.source_size is not None:
        source = [batch, 3, spec.source_size, spec.source_size]
    inputs = [
        helper.make_tensor_value_info(SWAPPER_TARGET, onnx_type, [batch, 3, side, side]),
        helper.make_tensor_value_info(SWAPPER_SOURCE, onnx_type, source),
    ]
    outputs = [helper.make_tensor_value_info(SWAPPER_OUTPUT, onnx_type, [batch, 3, side, side])]
    if spec.extra_outputs:
        outputs.append(helper.make_tensor_value_info(HYPERSWAP_MASK, onnx_type, [batch, 1, side, side]))
    return inputs, outputs


def _mask_nodes(spec: SwapperSpec) -> list[Any]:
    if not spec.extra_outputs:
        return []
    return [
        helper.make_node("ReduceMean", [SWAPPER_OUTPUT], ["mask_mean"], axes=[1], keepdims=1),
        helper.make_node("Sigmoid", ["mask_mean"], [HYPERSWAP_MASK]),
    ]


def _source_zero(dtype: Any) -> tuple[list[Any], list[Any]]:
    """Nodes for ``source_zero`` = 0 * mean(source): adding it makes the output depend on the source."""
    zero = numpy_helper.from_array(np.zeros((), dtype), "source_zero_k")
    nodes = [
        helper.make_node("ReduceMean", [SWAPPER_SOURCE], ["source_mean"], keepdims=0),
        helper.make_node("Mul", ["source_mean", zero.name], ["source_zero"]),
    ]
    return nodes, [zero]


def write_swapper_standin(
    path: Path,
    name: SwapperName = "inswapper_128",
    kind: StandinKind = "identity",
    *,
    fp16: bool = False,
    emap: NDArray[Any] | None = None,
    dynamic_batch: bool = False,
    colour: tuple[float, float, float] = (0.2, 0.8, 0.4),
) -> Path:
    """Swapper ``name``'s stand-in (see the module): B is 1, as the published files, unless
    ``dynamic_batch``; ``colour`` is RGB in [0, 1]; ``fp16`` makes the tensors (and ``emap``) float16."""
    spec = SWAPPERS[name]
    dtype = np.float16 if fp16 else np.float32
    onnx_type = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    mean, std = _channels(spec.mean), _channels(spec.std)
    nodes, inits = _source_zero(dtype)
    if kind == "identity":  # give the crop back in the output space: normalised, or [0, 1]
        scale, shift = (np.ones_like(std), np.zeros_like(mean)) if spec.denormalise else (std, mean)
        inits += [numpy_helper.from_array(scale.astype(dtype), "scale")]
        inits += [numpy_helper.from_array(shift.astype(dtype), "shift")]
        nodes.append(helper.make_node("Mul", [SWAPPER_TARGET, "scale"], ["scaled"]))
        nodes.append(helper.make_node("Add", ["scaled", "shift"], ["shifted"]))
    else:
        fill = oriented_pattern(spec.size) if kind == "pattern" else _channels(colour)
        if spec.denormalise:
            fill = (fill - mean) / std
        inits.append(numpy_helper.from_array(np.asarray(fill, dtype), "colour"))
        zero = numpy_helper.from_array(np.zeros((), dtype), "target_zero_k")
        inits.append(zero)
        nodes.append(helper.make_node("Mul", [SWAPPER_TARGET, zero.name], ["target_zero"]))
        nodes.append(helper.make_node("Add", ["target_zero", "colour"], ["shifted"]))
    nodes.append(helper.make_node("Add", ["shifted", "source_zero"], [SWAPPER_OUTPUT]))
    nodes += _mask_nodes(spec)
    if spec.source == "emap":
        if emap is None:
            emap = np.random.default_rng(0).standard_normal((EMBEDDING_SIZE, EMBEDDING_SIZE)) / math.sqrt(512)
        inits.append(numpy_helper.from_array(np.asarray(emap, dtype), "emap"))
    inputs, outputs = _io(spec, onnx_type, BATCH if dynamic_batch else 1)
    return save_standin(path, nodes, inputs, outputs, inits)


@dataclass(frozen=True)
class RandomSwapper:
    """The weights of :func:`write_random_swapper_standin`: ``out = mix @ x + bias + term(source)``;
    ``term`` is ``source @ project`` (Bx512 -> Bx3) or ``channel_mean(source) @ project`` (Bx3 -> Bx3)."""

    mix: NDArray[np.float32]  # 3x3: output channel from input channel
    bias: NDArray[np.float32]  # 3
    project: NDArray[np.float32]  # 512x3 or 3x3
    emap: NDArray[np.float32] | None


def write_random_swapper_standin(
    path: Path, name: SwapperName, seed: int = 0, *, dynamic_batch: bool = True
) -> RandomSwapper:
    """A sensitive stand-in of swapper ``name`` (see the module); returns its weights."""
    spec = SWAPPERS[name]
    rng = np.random.default_rng(seed)
    mix = (0.6 * np.eye(3) + 0.3 * rng.uniform(-1, 1, (3, 3))).astype(np.float32)
    bias = (0.05 * rng.standard_normal(3)).astype(np.float32)
    width = 3 if spec.source_size is not None else EMBEDDING_SIZE
    project = (rng.standard_normal((width, 3)) * (0.6 if width == 3 else 0.5)).astype(np.float32)
    inits = [
        numpy_helper.from_array(mix.reshape(3, 3, 1, 1), "mix"),
        numpy_helper.from_array(bias, "bias"),
        numpy_helper.from_array(project, "project"),
        numpy_helper.from_array(np.array([-1, 3, 1, 1], np.int64), "term_shape"),
    ]
    nodes = [helper.make_node("Conv", [SWAPPER_TARGET, "mix", "bias"], ["mixed"], kernel_shape=[1, 1])]
    if spec.source_size is not None:
        nodes.append(helper.make_node("ReduceMean", [SWAPPER_SOURCE], ["pooled"], axes=[2, 3], keepdims=0))
        nodes.append(helper.make_node("MatMul", ["pooled", "project"], ["term"]))
    else:
        nodes.append(helper.make_node("MatMul", [SWAPPER_SOURCE, "project"], ["term"]))
    nodes.append(helper.make_node("Reshape", ["term", "term_shape"], ["term4"]))
    nodes.append(helper.make_node("Add", ["mixed", "term4"], [SWAPPER_OUTPUT]))
    nodes += _mask_nodes(spec)
    emap = None
    if spec.source == "emap":
        emap = (rng.standard_normal((EMBEDDING_SIZE, EMBEDDING_SIZE)) / math.sqrt(512)).astype(np.float32)
        inits.append(numpy_helper.from_array(emap, "emap"))
    inputs, outputs = _io(spec, TensorProto.FLOAT, BATCH if dynamic_batch else 1)
    save_standin(path, nodes, inputs, outputs, inits)
    return RandomSwapper(mix=mix, bias=bias, project=project, emap=emap)


def write_converter_standin(path: Path, seed: int = 0, *, dynamic_batch: bool = False) -> NDArray[np.float32]:
    """CrossFace stand-in ``input`` Bx512 -> ``output`` = ``input @ M`` (M random, seed ``seed``, scaled so
    a unit input gives an output of norm about 3); returns M."""
    matrix = (
        np.random.default_rng(seed).standard_normal((EMBEDDING_SIZE, EMBEDDING_SIZE)) * 3.0 / 22.6
    ).astype(np.float32)
    batch: str | int = BATCH if dynamic_batch else 1
    nodes = [helper.make_node("MatMul", [CONVERTER_INPUT, "matrix"], [CONVERTER_OUTPUT])]
    inputs = [helper.make_tensor_value_info(CONVERTER_INPUT, TensorProto.FLOAT, [batch, EMBEDDING_SIZE])]
    outputs = [helper.make_tensor_value_info(CONVERTER_OUTPUT, TensorProto.FLOAT, [batch, EMBEDDING_SIZE])]
    save_standin(path, nodes, inputs, outputs, [numpy_helper.from_array(matrix, "matrix")])
    return matrix
