"""Full-size random-weight replicas of the models, for speed work where no weights can be downloaded.

* :func:`write_inswapper_replica`: inswapper_128's interface (``target`` Bx3x128x128, ``source`` Bx512 ->
  ``output``, the 512x512 ``emap`` as last initializer) with the real widths, after the published
  architecture's outline: a convolutional encoder (7x7 stem at 128, two stride-2 convolutions to
  512x32x32, a 3x3 to 1024), six residual style blocks at 1024x32x32 whose two instance-normalised 3x3
  convolutions are modulated (scale, shift) by the 512-d latent through a linear layer, and a decoder
  (two 2x upsamplings with 3x3 convolutions, 3x3 256 and 256->128, a 7x7 to RGB, tanh to [0, 1]). About
  139 M parameters and 354 GFLOP per face (the published file: 138 M, 349 GFLOP).
* :func:`write_detector_replica`: a backbone and heads of SCRFD-10G's size (~9.6 GMAC, 19 GFLOP at 640x640) whose
  work is added, times zero, to the outputs of the moving-face SCRFD stand-in: the cost of det_10g with
  detections that follow the benchmark clip's face.

Weights are random (He-scaled normal); saved with a batch of 1 as the public files are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from faceswap.engine.onnx.signature import (
    EMBEDDING_SIZE,
    SWAPPER_OUTPUT,
    SWAPPER_SOURCE,
    SWAPPER_TARGET,
)

OPSET = 17
IR_VERSION = 8
STYLE_BLOCKS = 6


@dataclass
class Graph:
    """A graph being built: nodes, random weights, and the multiply-accumulates of its convolutions."""

    dtype: Any = np.float32
    seed: int = 0
    materialize: bool = True
    """False: count parameters and operations only (no weights made)."""
    nodes: list[Any] = field(default_factory=list)
    inits: list[Any] = field(default_factory=list)
    macs: int = 0
    params: int = 0
    _count: int = 0

    def __post_init__(self) -> None:
        self.rng = np.random.default_rng(self.seed)

    def name(self, kind: str) -> str:
        self._count += 1
        return f"{kind}_{self._count}"

    def weight(self, shape: tuple[int, ...], std: float) -> str:
        name = self.name("w")
        self.params += int(np.prod(shape))
        if self.materialize:
            values = self.rng.standard_normal(shape, dtype=np.float32) * np.float32(std)
            self.inits.append(numpy_helper.from_array(values.astype(self.dtype), name))
        return name

    def const(self, value: Any, dtype: Any = None) -> str:
        name = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype or self.dtype), name))
        return name

    def op(self, kind: str, *inputs: str, **attrs: Any) -> str:
        out = self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, list(inputs), [out], **attrs))
        return out

    def conv(self, x: str, cin: int, cout: int, k: int, out_hw: int, stride: int = 1) -> str:
        """A bias-free ``k``x``k`` convolution with 'same' padding; ``out_hw`` is its output side."""
        self.macs += cin * cout * k * k * out_hw * out_hw
        w = self.weight((cout, cin, k, k), (2.0 / (cin * k * k)) ** 0.5)
        pad = k // 2
        return self.op("Conv", x, w, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4)

    def act(self, x: str) -> str:
        return self.op("LeakyRelu", x, alpha=0.2)

    def style(self, x: str, latent: str, channels: int) -> str:
        """Instance norm, then scale ``1 + gamma`` and shift ``beta`` from the latent (a linear layer)."""
        normed = self.op(
            "InstanceNormalization", x, self.const(np.ones(channels)), self.const(np.zeros(channels))
        )
        w = self.weight((EMBEDDING_SIZE, 2 * channels), (1.0 / EMBEDDING_SIZE) ** 0.5 * 0.1)
        params = self.op("MatMul", latent, w)
        styles = self.op("Reshape", params, self.const([0, 2 * channels, 1, 1], np.int64))
        gamma, beta = self.name("gamma"), self.name("beta")
        self.nodes.append(helper.make_node("Split", [styles], [gamma, beta], axis=1))
        return self.op("Add", self.op("Mul", normed, self.op("Add", gamma, self.const(1.0))), beta)

    def upsample(self, x: str) -> str:
        scales = self.const([1.0, 1.0, 2.0, 2.0], np.float32)
        return self.op("Resize", x, "", scales, mode="nearest")

    def save(self, path: Path, inputs: list[Any], outputs: list[Any], name: str) -> Path:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.inits)
        model = helper.make_model(
            graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=IR_VERSION
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save(model, str(path))
        return path


@dataclass(frozen=True)
class ReplicaStats:
    params: int
    gflop: float
    """Per item: 2 x the convolutions' multiply-accumulates, in 1e9."""


def build_inswapper(graph: Graph, base: int = 128, body: int = 1024) -> str:
    """The inswapper-like network on ``graph``; returns its output's name. ``base``/``body``: widths."""
    x = graph.act(graph.conv(SWAPPER_TARGET, 3, base, 7, 128))
    x = graph.act(graph.conv(x, base, base * 2, 3, 64, stride=2))
    x = graph.act(graph.conv(x, base * 2, base * 4, 3, 32, stride=2))
    x = graph.act(graph.conv(x, base * 4, body, 3, 32))
    for _ in range(STYLE_BLOCKS):
        y = graph.op("Relu", graph.style(graph.conv(x, body, body, 3, 32), SWAPPER_SOURCE, body))
        y = graph.style(graph.conv(y, body, body, 3, 32), SWAPPER_SOURCE, body)
        x = graph.op("Add", x, y)
    x = graph.act(graph.conv(graph.upsample(x), body, base * 4, 3, 64))
    x = graph.act(graph.conv(graph.upsample(x), base * 4, base * 2, 3, 128))
    x = graph.act(graph.conv(x, base * 2, base * 2, 3, 128))
    x = graph.act(graph.conv(x, base * 2, base, 3, 128))
    x = graph.op("Tanh", graph.conv(x, base, 3, 7, 128))
    half = graph.const(0.5)
    return graph.op("Mul", graph.op("Add", x, graph.const(1.0)), half)


def inswapper_stats(base: int = 128, body: int = 1024) -> ReplicaStats:
    """The replica's parameters (emap included) and GFLOP per face, without making its weights."""
    graph = Graph(materialize=False)
    build_inswapper(graph, base, body)
    return ReplicaStats(params=graph.params + EMBEDDING_SIZE * EMBEDDING_SIZE, gflop=2 * graph.macs / 1e9)


def detector_stats(width: int = 56, head: int = 176) -> ReplicaStats:
    graph = Graph(materialize=False)
    build_detector_backbone(graph, "image", width, head)
    return ReplicaStats(params=graph.params, gflop=2 * graph.macs / 1e9)


def write_inswapper_replica(
    path: Path, fp16: bool = False, base: int = 128, body: int = 1024, seed: int = 0
) -> ReplicaStats:
    """Writes the replica (batch 1, ``fp16``: half-precision tensors and weights) and returns its size.

    ``base``/``body`` shrink it for tests; the defaults are the real widths.
    """
    dtype = np.float16 if fp16 else np.float32
    onnx_type = TensorProto.FLOAT16 if fp16 else TensorProto.FLOAT
    graph = Graph(dtype=dtype, seed=seed)
    last = build_inswapper(graph, base, body)
    graph.nodes.append(helper.make_node("Identity", [last], [SWAPPER_OUTPUT]))
    emap = graph.rng.standard_normal((EMBEDDING_SIZE, EMBEDDING_SIZE), dtype=np.float32) / EMBEDDING_SIZE**0.5
    graph.inits.append(numpy_helper.from_array(emap.astype(dtype), "emap"))
    graph.params += EMBEDDING_SIZE * EMBEDDING_SIZE
    inputs = [
        helper.make_tensor_value_info(SWAPPER_TARGET, onnx_type, [1, 3, 128, 128]),
        helper.make_tensor_value_info(SWAPPER_SOURCE, onnx_type, [1, EMBEDDING_SIZE]),
    ]
    output = helper.make_tensor_value_info(SWAPPER_OUTPUT, onnx_type, [1, 3, 128, 128])
    graph.save(path, inputs, [output], "inswapper_replica")
    return ReplicaStats(params=graph.params, gflop=2 * graph.macs / 1e9)


def build_detector_backbone(
    graph: Graph, image: str, width: int = 56, head: int = 176, size: int = 640
) -> str:
    """A stride-8/16/32 backbone with two-convolution heads per level; returns a scalar of its outputs."""
    x = graph.act(graph.conv(image, 3, width // 2, 3, size // 2, stride=2))
    x = graph.act(graph.conv(x, width // 2, width, 3, size // 4, stride=2))
    sums = []
    channels = width
    for level, stride in enumerate((8, 16, 32)):
        out_channels = 80 * 2**level
        side = size // stride
        x = graph.act(graph.conv(x, channels, out_channels, 3, side, stride=2))
        for _ in range(3):
            x = graph.act(graph.conv(x, out_channels, out_channels, 3, side))
        channels = out_channels
        y = graph.act(graph.conv(x, out_channels, head, 1, side))
        for _ in range(2):
            y = graph.act(graph.conv(y, head, head, 3, side))
        y = graph.conv(y, head, 2 * (1 + 4 + 10), 3, side)
        sums.append(graph.op("ReduceMean", y, keepdims=0))
    total = sums[0]
    for part in sums[1:]:
        total = graph.op("Add", total, part)
    return total


def write_detector_replica(path: Path, standin: Path, width: int = 56, head: int = 176) -> ReplicaStats:
    """``standin`` (a SCRFD stand-in) with a SCRFD-10G-sized backbone added to every output times zero."""
    model = onnx.load(str(standin))
    image = model.graph.input[0].name
    graph = Graph(seed=1)
    zero = graph.op("Mul", build_detector_backbone(graph, image, width, head), graph.const(0.0))
    for output in model.graph.output:
        base = f"{output.name}_standin"
        for node in model.graph.node:
            node.output[:] = [base if name == output.name else name for name in node.output]
        graph.nodes.append(helper.make_node("Add", [base, zero], [output.name]))
    model.graph.node.extend(graph.nodes)
    model.graph.initializer.extend(graph.inits)
    onnx.save(model, str(path))
    return ReplicaStats(params=graph.params, gflop=2 * graph.macs / 1e9)
