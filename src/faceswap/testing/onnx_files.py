"""Writing a stand-in ONNX graph to a file: one opset and IR version for every stand-in, checked first."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import onnx
from onnx import helper

OPSET = 17
IR_VERSION = 8


def save_standin(
    path: Path, nodes: list[Any], inputs: list[Any], outputs: list[Any], inits: list[Any]
) -> Path:
    """The graph of ``nodes`` checked and saved at ``path`` (folders made as needed)."""
    graph = helper.make_graph(nodes, "standin", inputs, outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION)
    onnx.checker.check_model(model)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path
