"""Stand-ins for the fairface face classifier with its real signature: ``input`` 1x3x224x224 in, the race,
gender and age ids out (int64 ``[1]`` each, argmax taken in the graph, in that order).

``random``: 18 class logits (7 races, 2 genders, 9 ages, the FairFace authors' layout) from random
weights over the input's 8x8-pooled pixels and the mean response of random 5x5 edge filters, so the ids
follow the crop's colours, layout and sharpness: an input fed BGR, without ImageNet's mean and std,
aligned on another template or warped at another size and scaled gives other ids for some faces.

``redness``: gender female (1) where the crop's mean normalised red exceeds its mean normalised blue (a
warm face), male (0) otherwise; race white (0) and age 20-29 (3) always. For end-to-end tests: tint a face
blue and it reads male.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from faceswap.engine.onnx.signature import FAIRFACE_INPUT, FAIRFACE_SIZE
from faceswap.testing.onnx_files import save_standin

FAIRFACE_OUTPUT_NAMES = ("race_id", "gender_id", "age_id")
CLASSES = (7, 2, 9)
"""Races, genders and ages: the split of fairface's 18 logits."""
POOL = 28
"""Side of the pooling window: 224 / 28 = 8x8 cells per channel."""
EDGE_FILTERS = 8


def _random_logits(seed: int) -> tuple[list[Any], list[Any]]:
    rng = np.random.default_rng(seed)
    cells = 3 * (FAIRFACE_SIZE // POOL) ** 2
    edges = rng.standard_normal((EDGE_FILTERS, 3, 5, 5)).astype(np.float32)
    edges -= edges.mean(axis=(2, 3), keepdims=True)  # zero-sum kernels: they see edges, not flat colour
    weights = rng.standard_normal((sum(CLASSES), cells + EDGE_FILTERS)).astype(np.float32)
    weights[:, cells:] *= 4.0
    bias = rng.standard_normal(sum(CLASSES)).astype(np.float32)
    inits = [
        numpy_helper.from_array(edges, "edges"),
        numpy_helper.from_array(weights, "weights"),
        numpy_helper.from_array(bias, "bias"),
    ]
    nodes = [
        helper.make_node(
            "AveragePool", [FAIRFACE_INPUT], ["cells"], kernel_shape=[POOL, POOL], strides=[POOL, POOL]
        ),
        helper.make_node("Flatten", ["cells"], ["cells_flat"]),
        helper.make_node(
            "Conv", [FAIRFACE_INPUT, "edges"], ["edge_map"], kernel_shape=[5, 5], strides=[2, 2]
        ),
        helper.make_node("Abs", ["edge_map"], ["edge_energy"]),
        helper.make_node("GlobalAveragePool", ["edge_energy"], ["edge_mean"]),
        helper.make_node("Flatten", ["edge_mean"], ["edge_flat"]),
        helper.make_node("Concat", ["cells_flat", "edge_flat"], ["features"], axis=1),
        helper.make_node("Gemm", ["features", "weights", "bias"], ["logits"], transB=1),
    ]
    return nodes, inits


def _redness_logits() -> tuple[list[Any], list[Any]]:
    weights = np.zeros((sum(CLASSES), 3), np.float32)
    bias = np.zeros(sum(CLASSES), np.float32)
    bias[0] = 1.0  # race: white
    weights[7 + 1] = (1.0, 0.0, -1.0)  # gender: female where mean red - mean blue > 0 (male logit 0)
    bias[9 + 3] = 1.0  # age: 20-29
    inits = [numpy_helper.from_array(weights, "weights"), numpy_helper.from_array(bias, "bias")]
    nodes = [
        helper.make_node("GlobalAveragePool", [FAIRFACE_INPUT], ["channel_mean"]),
        helper.make_node("Flatten", ["channel_mean"], ["features"]),
        helper.make_node("Gemm", ["features", "weights", "bias"], ["logits"], transB=1),
    ]
    return nodes, inits


def write_fairface_standin(path: Path, kind: Literal["random", "redness"] = "random", seed: int = 0) -> Path:
    """A fairface stand-in of ``kind`` (see the module docstring) saved at ``path``."""
    nodes, inits = _random_logits(seed) if kind == "random" else _redness_logits()
    start = 0
    for name, count in zip(FAIRFACE_OUTPUT_NAMES, CLASSES, strict=True):
        bounds = [
            numpy_helper.from_array(np.array([start], np.int64), f"{name}_start"),
            numpy_helper.from_array(np.array([start + count], np.int64), f"{name}_end"),
        ]
        inits.extend(bounds)
        axes = numpy_helper.from_array(np.array([1], np.int64), f"{name}_axes")
        inits.append(axes)
        nodes.append(
            helper.make_node(
                "Slice", ["logits", f"{name}_start", f"{name}_end", f"{name}_axes"], [f"{name}_logits"]
            )
        )
        nodes.append(helper.make_node("ArgMax", [f"{name}_logits"], [name], axis=1, keepdims=0))
        start += count
    image = helper.make_tensor_value_info(
        FAIRFACE_INPUT, TensorProto.FLOAT, [1, 3, FAIRFACE_SIZE, FAIRFACE_SIZE]
    )
    outputs = [helper.make_tensor_value_info(name, TensorProto.INT64, [1]) for name in FAIRFACE_OUTPUT_NAMES]
    return save_standin(path, nodes, [image], outputs, inits)
