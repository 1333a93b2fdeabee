"""Stand-ins of the 68-point landmark models with the real signatures, whose outputs depend on the input.

* 2dfan4 (``input`` 1x3x256x256 -> 1x68x3 landmarks in 64-px heatmap space, 1x68x64x64 heatmaps): the
  landmarks are the points the test chooses; the heatmaps peak there with a height of ``peak`` times a
  *gate* in [0, 1] computed from the input, so the landmark score (mean of the heatmaps' maxima) is high
  only when the input is what the model expects:

  - given ``expected`` (the 3x256x256 crop the test built itself: BGR, ``x/255``), the gate is
    ``sigmoid(sharpness * (tolerance - mean((input - expected)^2)))``: a crop fed as RGB, in another
    range (0..255, [-1, 1]), transposed (x and y swapped) or cut from the wrong place scores about 0;
  - without it, the gate only checks the range: every value in [0, 1] (``x/255``).

* fan_68_5 (``input`` 1x5x2 -> 1x68x2): ``weights @ points + offsets``, where each row of ``weights`` sums
  to 1 and ``offsets`` are in the normalised (template) space, so the result mapped back to the frame
  depends on the normalisation's scale and rotation (:class:`Fan685Standin` says what to expect).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from faceswap.engine.geometry import TEMPLATES
from faceswap.engine.onnx.signature import (
    FAN_68_5_INPUT,
    FAN_HEATMAP_SIZE,
    FAN_INPUT,
    FAN_SIZE,
    LANDMARK_COUNT,
)
from faceswap.testing.onnx_files import save_standin

HEATMAP_SIGMA = 1.5
GATE_SHARPNESS = 2000.0
"""Per unit of mean squared error: at the default tolerance of 0.004, a perfect match gates at
sigmoid(8) = 0.9997 and an error of 0.008 (a channel swap on skin is several times that) at 3e-4."""
GATE_TOLERANCE = 0.004


def canonical_68(size: float = FAN_HEATMAP_SIZE) -> NDArray[np.float32]:
    """A plausible 68-point face (iBUG 300-W order) filling a ``size`` square, for stand-ins."""
    unit = np.zeros((LANDMARK_COUNT, 2), np.float64)
    jaw = np.linspace(np.pi, 0.0, 17)
    unit[0:17] = np.stack([0.5 + 0.4 * np.cos(jaw), 0.45 + 0.45 * np.sin(jaw)], axis=1)
    unit[17:22] = np.stack([np.linspace(0.2, 0.42, 5), np.full(5, 0.3)], axis=1)  # brow, image left
    unit[22:27] = np.stack([np.linspace(0.58, 0.8, 5), np.full(5, 0.3)], axis=1)
    unit[27:31] = np.stack([np.full(4, 0.5), np.linspace(0.38, 0.58, 4)], axis=1)  # bridge, 30 = tip
    unit[31:36] = np.stack([np.linspace(0.42, 0.58, 5), np.full(5, 0.62)], axis=1)
    for start, cx in ((36, 0.33), (42, 0.67)):  # eyes: 6 points around (cx, 0.4)
        angles = np.linspace(np.pi, -np.pi, 6, endpoint=False)
        unit[start : start + 6] = np.stack([cx + 0.07 * np.cos(angles), 0.4 + 0.03 * np.sin(angles)], axis=1)
    outer = np.linspace(np.pi, -np.pi, 12, endpoint=False)  # mouth: 48 and 54 are the corners
    unit[48:60] = np.stack([0.5 + 0.15 * np.cos(outer), 0.75 + 0.06 * np.sin(outer)], axis=1)
    inner = np.linspace(np.pi, -np.pi, 8, endpoint=False)
    unit[60:68] = np.stack([0.5 + 0.1 * np.cos(inner), 0.75 + 0.02 * np.sin(inner)], axis=1)
    return (unit * size).astype(np.float32)


def heatmaps_peaking_at(points: NDArray[Any], peak: float) -> NDArray[np.float32]:
    """1x68x64x64 Gaussians of height ``peak`` centred on ``points`` (64-px space) rounded to the grid."""
    ys, xs = np.mgrid[:FAN_HEATMAP_SIZE, :FAN_HEATMAP_SIZE].astype(np.float32)
    centres = np.clip(np.rint(np.asarray(points, np.float32)), 0, FAN_HEATMAP_SIZE - 1)
    squared = (xs[None] - centres[:, 0, None, None]) ** 2 + (ys[None] - centres[:, 1, None, None]) ** 2
    heatmaps: NDArray[np.float32] = (peak * np.exp(-squared / (2 * HEATMAP_SIGMA**2)))[None].astype(
        np.float32
    )
    return heatmaps


def write_2dfan4_standin(
    path: Path,
    points: NDArray[Any] | None = None,
    peak: float = 0.95,
    expected: NDArray[Any] | None = None,
    tolerance: float = GATE_TOLERANCE,
) -> Path:
    """2dfan4 stand-in: landmarks ``points`` (68x2, 64-px heatmap space; default :func:`canonical_68`),
    heatmaps peaking there at ``peak`` times the input's gate (see the module docstring)."""
    chosen = canonical_68() if points is None else np.asarray(points, np.float32).reshape(LANDMARK_COUNT, 2)
    landmarks = np.concatenate([chosen, np.full((LANDMARK_COUNT, 1), peak, np.float32)], axis=1)[None]
    inits = [
        numpy_helper.from_array(heatmaps_peaking_at(chosen, peak), "heatmaps_value"),
        numpy_helper.from_array(landmarks.astype(np.float32), "landmarks_value"),
        numpy_helper.from_array(np.array(0.0, np.float32), "zero"),
    ]
    nodes = []
    if expected is not None:
        reference = np.asarray(expected, np.float32).reshape(1, 3, FAN_SIZE, FAN_SIZE)
        inits += [
            numpy_helper.from_array(reference, "expected"),
            numpy_helper.from_array(np.array(tolerance, np.float32), "tolerance"),
            numpy_helper.from_array(np.array(GATE_SHARPNESS, np.float32), "sharpness"),
        ]
        nodes += [
            helper.make_node("Sub", [FAN_INPUT, "expected"], ["error"]),
            helper.make_node("Mul", ["error", "error"], ["squared"]),
            helper.make_node("ReduceMean", ["squared"], ["mse"], keepdims=0),
            helper.make_node("Sub", ["tolerance", "mse"], ["margin"]),
            helper.make_node("Mul", ["margin", "sharpness"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["gate"]),
        ]
    else:  # every value in [0, 1]: sigmoid(100 * (min + 0.02)) * sigmoid(100 * (1.02 - max))
        inits += [
            numpy_helper.from_array(np.array(0.02, np.float32), "slack"),
            numpy_helper.from_array(np.array(1.02, np.float32), "ceiling"),
            numpy_helper.from_array(np.array(100.0, np.float32), "sharpness"),
        ]
        nodes += [
            helper.make_node("ReduceMin", [FAN_INPUT], ["lowest"], keepdims=0),
            helper.make_node("ReduceMax", [FAN_INPUT], ["highest"], keepdims=0),
            helper.make_node("Add", ["lowest", "slack"], ["low_margin"]),
            helper.make_node("Sub", ["ceiling", "highest"], ["high_margin"]),
            helper.make_node("Mul", ["low_margin", "sharpness"], ["low_logit"]),
            helper.make_node("Mul", ["high_margin", "sharpness"], ["high_logit"]),
            helper.make_node("Sigmoid", ["low_logit"], ["low_gate"]),
            helper.make_node("Sigmoid", ["high_logit"], ["high_gate"]),
            helper.make_node("Mul", ["low_gate", "high_gate"], ["gate"]),
        ]
    nodes += [
        helper.make_node("Mul", ["heatmaps_value", "gate"], ["heatmaps"]),
        helper.make_node("Mul", ["gate", "zero"], ["gate_zero"]),
        helper.make_node("Add", ["landmarks_value", "gate_zero"], ["landmarks"]),
    ]
    image = helper.make_tensor_value_info(FAN_INPUT, TensorProto.FLOAT, [1, 3, FAN_SIZE, FAN_SIZE])
    outputs = [
        helper.make_tensor_value_info("landmarks", TensorProto.FLOAT, [1, LANDMARK_COUNT, 3]),
        helper.make_tensor_value_info(
            "heatmaps", TensorProto.FLOAT, [1, LANDMARK_COUNT, FAN_HEATMAP_SIZE, FAN_HEATMAP_SIZE]
        ),
    ]
    return save_standin(path, nodes, [image], outputs, inits)


@dataclass(frozen=True)
class Fan685Standin:
    """What the fan_68_5 stand-in computes: ``weights @ points + offsets`` in the normalised space."""

    weights: NDArray[np.float32]  # 68x5, rows sum to 1
    offsets: NDArray[np.float32]  # 68x2

    @staticmethod
    def make() -> Fan685Standin:
        """Weights from distances to the ``ffhq_512`` template; offsets so the template lifts to a face."""
        template = TEMPLATES["ffhq_512"].astype(np.float64)
        face = canonical_68(1.0).astype(np.float64) * 0.5 + 0.25  # the middle of the unit square
        distances = ((face[:, None, :] - template[None]) ** 2).sum(axis=2)
        weights = np.exp(-distances / 0.02)
        weights /= weights.sum(axis=1, keepdims=True)
        offsets = face - weights @ template
        return Fan685Standin(weights.astype(np.float32), offsets.astype(np.float32))

    def lift(self, normalised: NDArray[Any]) -> NDArray[np.float32]:
        """The stand-in's output for 5 normalised points."""
        return (self.weights @ np.asarray(normalised, np.float32).reshape(5, 2) + self.offsets).astype(
            np.float32
        )


def write_fan_68_5_standin(path: Path, lifter: Fan685Standin | None = None) -> Path:
    """fan_68_5 stand-in: ``input`` 1x5x2 -> ``output`` 1x68x2 (see :class:`Fan685Standin`)."""
    chosen = lifter or Fan685Standin.make()
    inits = [
        numpy_helper.from_array(chosen.weights, "weights"),
        numpy_helper.from_array(chosen.offsets[None], "offsets"),
    ]
    nodes = [
        helper.make_node("MatMul", ["weights", FAN_68_5_INPUT], ["mixed"]),
        helper.make_node("Add", ["mixed", "offsets"], ["output"]),
    ]
    points = helper.make_tensor_value_info(FAN_68_5_INPUT, TensorProto.FLOAT, [1, 5, 2])
    output = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, LANDMARK_COUNT, 2])
    return save_standin(path, nodes, [points], [output], inits)
