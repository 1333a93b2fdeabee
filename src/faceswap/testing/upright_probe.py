"""Detector stand-ins that find their faces only in one picture: the one they were made for, upright.

The stand-ins of :mod:`faceswap.testing.standins` report the same faces whatever the input. For tests of
rotated faces, :func:`gate_by_template` rewrites one so that each score output is multiplied by
``sigmoid(sharpness * (corr - threshold))``, where ``corr`` is the Pearson correlation of the input with
``template`` (the detector input made from the upright picture). The same picture turned by 90, 180 or
270 degrees, or another picture, correlates far less and reports no face; so a face is found in a rotated
picture only when the detector is also run on the copy turned back upright.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import helper, numpy_helper

from faceswap.testing.channel_probe import gate_outputs

SHARPNESS = 60.0
THRESHOLD = 0.9


def gate_by_template(
    path: Path,
    template: NDArray[Any],
    scores: tuple[str, ...],
    threshold: float = THRESHOLD,
    sharpness: float = SHARPNESS,
) -> Path:
    """Rewrites the stand-in at ``path`` in place: its ``scores`` outputs gated by the input's correlation
    with ``template`` (the 1x3xHxW input the upright picture makes)."""
    centred = np.asarray(template, np.float32) - np.float32(np.mean(template))
    unit = centred / np.float32(np.linalg.norm(centred))
    model = onnx.load(str(path))
    graph = model.graph
    source = graph.input[0].name
    consts: dict[str, NDArray[Any]] = {
        "upright_template": unit.astype(np.float32),
        "upright_threshold": np.array(threshold, np.float32),
        "upright_sharpness": np.array(sharpness, np.float32),
        "upright_tiny": np.array(1e-12, np.float32),
    }
    graph.initializer.extend(numpy_helper.from_array(value, name) for name, value in consts.items())
    graph.node.extend(
        [
            helper.make_node("ReduceMean", [source], ["upright_mean"], keepdims=1),
            helper.make_node("Sub", [source, "upright_mean"], ["upright_centred"]),
            helper.make_node("Mul", ["upright_centred", "upright_template"], ["upright_product"]),
            helper.make_node("ReduceSum", ["upright_product"], ["upright_dot"], keepdims=0),
            helper.make_node("Mul", ["upright_centred", "upright_centred"], ["upright_squares"]),
            helper.make_node("ReduceSum", ["upright_squares"], ["upright_energy"], keepdims=0),
            helper.make_node("Add", ["upright_energy", "upright_tiny"], ["upright_safe"]),
            helper.make_node("Sqrt", ["upright_safe"], ["upright_norm"]),
            helper.make_node("Div", ["upright_dot", "upright_norm"], ["upright_corr"]),
            helper.make_node("Sub", ["upright_corr", "upright_threshold"], ["upright_margin"]),
            helper.make_node("Mul", ["upright_margin", "upright_sharpness"], ["upright_logit"]),
            helper.make_node("Sigmoid", ["upright_logit"], ["upright_gate"]),
        ]
    )
    return gate_outputs(model, scores, "upright_gate", path)
