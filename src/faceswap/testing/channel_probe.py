"""Detector stand-ins that see colour: their faces are reported only when input channel 0 is the brighter.

The stand-ins of :mod:`faceswap.testing.standins` report the same faces whatever the input, so they cannot
tell which channel order the input was built in. :func:`gate_by_channel_order` rewrites one so that each
score output is multiplied by ``sigmoid(sharpness * (mean(channel 0) - mean(channel 2)))`` of the input:
a red picture fed as RGB (channel 0 = red) reports the faces, the same picture fed as BGR reports none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import helper, numpy_helper

from faceswap.engine.onnx.signature import SCRFD_OUTPUTS, YUNET_OUTPUTS

SCRFD_SCORES = SCRFD_OUTPUTS[:3]
YUNET_SCORES = tuple(name for name in YUNET_OUTPUTS if name.startswith(("cls_", "obj_")))
SHARPNESS = 50.0
"""Per unit of the normalised input: SCRFD's input moves by 2 from black to white, so a difference of a
tenth of that between the channels' means gives a gate of 1 - 4.5e-5 (or 4.5e-5 the other way)."""


def gate_by_channel_order(path: Path, scores: tuple[str, ...], sharpness: float = SHARPNESS) -> Path:
    """Rewrites the stand-in at ``path`` in place: its ``scores`` outputs gated by the channel means."""
    model = onnx.load(str(path))
    graph = model.graph
    source = graph.input[0].name
    consts: dict[str, NDArray[Any]] = {
        "probe_first": np.array(0, np.int64),
        "probe_last": np.array(2, np.int64),
        "probe_sharpness": np.array(sharpness, np.float32),
    }
    graph.initializer.extend(numpy_helper.from_array(value, name) for name, value in consts.items())
    graph.node.extend(
        [
            helper.make_node("ReduceMean", [source], ["probe_means"], axes=[0, 2, 3], keepdims=0),
            helper.make_node("Gather", ["probe_means", "probe_first"], ["probe_c0"], axis=0),
            helper.make_node("Gather", ["probe_means", "probe_last"], ["probe_c2"], axis=0),
            helper.make_node("Sub", ["probe_c0", "probe_c2"], ["probe_diff"]),
            helper.make_node("Mul", ["probe_diff", "probe_sharpness"], ["probe_logit"]),
            helper.make_node("Sigmoid", ["probe_logit"], ["probe_gate"]),
        ]
    )
    return gate_outputs(model, scores, "probe_gate", path)


def gate_outputs(model: onnx.ModelProto, names: tuple[str, ...], gate: str, path: Path) -> Path:
    """Multiplies each output ``names`` of ``model`` by the tensor ``gate``, checks the model and saves
    it to ``path``."""
    graph = model.graph
    for name in names:
        producer = next(node for node in graph.node if name in node.output)
        raw = f"{name}_ungated"
        producer.output[list(producer.output).index(name)] = raw
        graph.node.append(helper.make_node("Mul", [raw, gate], [name]))
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path
