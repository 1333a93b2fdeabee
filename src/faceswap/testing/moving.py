"""A SCRFD stand-in that follows one face moving sideways over a plain background.

The stand-ins of :mod:`faceswap.testing.standins` report the same faces whatever the input. This one reads
the pixels: in a band of rows (detector pixels) it finds the columns that differ from the background grey
and reports one face spanning them, its key points placed at fixed fractions of the box. It serves clips
where a face slides across a flat frame (the video benchmark, batching tests): the detections change
from frame to frame, and every frame of a batch is computed on its own, so a mixed-up batch shows.

Outputs are SCRFD's 9 tensors. The face sits on the first anchor of stride 32 (cell 0, 0), its box and
key points as distances to that anchor's centre (0, 0) in units of 32. ``layout`` ``batched`` gives
``BxAxK`` outputs (InsightFace's batched exports); ``flat`` gives ``(B*A)xK`` (as det_10g's ``AxK``).
The batch is 1 unless ``dynamic_batch``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
from onnx import TensorProto, helper, numpy_helper

from faceswap.engine.onnx.signature import SCRFD_ANCHORS, SCRFD_INPUT, SCRFD_OUTPUTS, SCRFD_STRIDES
from faceswap.testing.onnx_files import save_standin

KPS_FRACTIONS = ((0.32, 0.42), (0.68, 0.42), (0.5, 0.6), (0.36, 0.78), (0.64, 0.78))
"""Left eye, right eye, nose, mouth corners as fractions of the box (x, y)."""
STRIDE = 32


def write_moving_scrfd_standin(
    path: Path,
    band: tuple[int, int],
    face_rows: tuple[float, float],
    background: int = 96,
    threshold: float = 0.05,
    size: int = 640,
    dynamic_batch: bool = False,
    layout: Literal["batched", "flat"] = "batched",
    score: float = 0.9,
) -> Path:
    """Writes the stand-in to ``path``.

    ``band``: the rows (first, end) scanned for the face; ``face_rows``: the box's top and bottom;
    ``background``: the grey level of the plain frame; ``threshold``: mean absolute difference (in SCRFD
    input units, 1/128 of a level) over the band above which a column is part of the face. A frame with
    no such column has no face (score 0).
    """
    batch: str | int = "N" if dynamic_batch else 1
    top, bottom = face_rows
    cells = (size // STRIDE) ** 2 * SCRFD_ANCHORS
    fx = np.array([x for x, _ in KPS_FRACTIONS], np.float32).reshape(1, 5)
    fy = np.array([top + y * (bottom - top) for _, y in KPS_FRACTIONS], np.float32).reshape(1, 5)
    onehot = np.zeros((1, cells, 1), np.float32)
    onehot[0, 0, 0] = 1.0
    consts: dict[str, Any] = {
        "band_start": np.array([band[0]], np.int64),
        "band_end": np.array([band[1]], np.int64),
        "band_axis": np.array([2], np.int64),
        "background": np.array((background - 127.5) / 128.0, np.float32),
        "threshold": np.array(threshold, np.float32),
        "score_k": np.array(score, np.float32),
        "one": np.array(1.0, np.float32),
        "zero": np.array(0.0, np.float32),
        "stride": np.array(float(STRIDE), np.float32),
        "top": np.array(top, np.float32),
        "bottom": np.array(bottom, np.float32),
        "fx": fx,
        "fy": fy,
        "onehot": onehot,
        "shape_b11": np.array([-1, 1, 1], np.int64),
        "shape_b1k4": np.array([-1, 1, 4], np.int64),
        "shape_b1k10": np.array([-1, 1, 10], np.int64),
        "shape_b51": np.array([-1, 5, 1], np.int64),
    }
    node = helper.make_node
    nodes = [
        node("Slice", [SCRFD_INPUT, "band_start", "band_end", "band_axis"], ["band"]),
        node("Sub", ["band", "background"], ["diff"]),
        node("Abs", ["diff"], ["absdiff"]),
        node("ReduceMean", ["absdiff"], ["profile"], axes=[1, 2], keepdims=0),  # B x W
        node("Greater", ["profile", "threshold"], ["is_face"]),
        node("Cast", ["is_face"], ["mask"], to=TensorProto.FLOAT),
        node("ArgMax", ["mask"], ["first"], axis=1, keepdims=1),  # B x 1
        node("ArgMax", ["mask"], ["last"], axis=1, keepdims=1, select_last_index=1),
        node("Cast", ["first"], ["x1"], to=TensorProto.FLOAT),
        node("Cast", ["last"], ["last_f"], to=TensorProto.FLOAT),
        node("Add", ["last_f", "one"], ["x2"]),
        node("ReduceMax", ["mask"], ["found"], axes=[1], keepdims=1),
        node("Mul", ["found", "score_k"], ["score"]),  # B x 1
        node("Mul", ["x1", "zero"], ["zero_b"]),  # B x 1 zeros
        node("Add", ["zero_b", "top"], ["y1"]),
        node("Add", ["zero_b", "bottom"], ["y2"]),
        node("Neg", ["x1"], ["neg_x1"]),
        node("Neg", ["y1"], ["neg_y1"]),
        node("Concat", ["neg_x1", "neg_y1", "x2", "y2"], ["box_px"], axis=1),  # B x 4
        node("Div", ["box_px", "stride"], ["box_d"]),
        node("Sub", ["x2", "x1"], ["width"]),
        node("Mul", ["width", "fx"], ["kx_off"]),
        node("Add", ["kx_off", "x1"], ["kx"]),  # B x 5
        node("Add", ["zero_b", "fy"], ["ky"]),  # B x 5
        node("Reshape", ["kx", "shape_b51"], ["kx3"]),
        node("Reshape", ["ky", "shape_b51"], ["ky3"]),
        node("Concat", ["kx3", "ky3"], ["kps_px"], axis=2),  # B x 5 x 2
        node("Div", ["kps_px", "stride"], ["kps_d"]),
        node("Reshape", ["score", "shape_b11"], ["score3"]),
        node("Reshape", ["box_d", "shape_b1k4"], ["box3"]),
        node("Reshape", ["kps_d", "shape_b1k10"], ["kps3"]),
        node("Mul", ["score3", "zero"], ["zero3"]),  # B x 1 x 1 zeros
    ]
    widths = {"scores": 1, "boxes": 4, "kps": 10}
    values = {"scores": "score3", "boxes": "box3", "kps": "kps3"}
    outputs = []
    for group, kind in enumerate(("scores", "boxes", "kps")):
        for index, stride in enumerate(SCRFD_STRIDES):
            name = SCRFD_OUTPUTS[group * len(SCRFD_STRIDES) + index]
            anchors = (size // stride) ** 2 * SCRFD_ANCHORS
            width = widths[kind]
            raw = f"{name}_raw" if layout == "flat" else name
            if stride == STRIDE:
                nodes.append(node("Mul", ["onehot", values[kind]], [raw]))
            else:
                consts[f"{name}_zeros"] = np.zeros((1, anchors, width), np.float32)
                nodes.append(node("Add", [f"{name}_zeros", "zero3"], [raw]))
            if layout == "flat":
                consts[f"{name}_shape"] = np.array([-1, width], np.int64)
                nodes.append(node("Reshape", [raw, f"{name}_shape"], [name]))
                first: str | int = f"N{anchors}" if dynamic_batch else anchors
                shape: list[str | int] = [first, width]
            else:
                shape = [batch, anchors, width]
            outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
    image = helper.make_tensor_value_info(SCRFD_INPUT, TensorProto.FLOAT, [batch, 3, size, size])
    inits = [numpy_helper.from_array(np.asarray(v), k) for k, v in consts.items()]
    return save_standin(path, nodes, [image], outputs, inits)
