"""Tiny ONNX stand-ins with the real models' input/output names, dtypes and shapes.

They let the real loading, signature checks, pre/post-processing and paste back run in milliseconds with
no downloaded weights. Each writer builds a graph with the ``onnx`` helper API and saves it to ``path``:

* detectors output constant tensors that encode the faces the test asks for (in detector-input pixels,
  i.e. after the top-left letterbox; :func:`letterboxed` converts image pixels);
* ArcFace projects 8x8-pooled pixels with a fixed random matrix (same face -> same embedding);
* every swapper returns its ``target`` (``identity``), a fixed colour (``constant``) or a pattern, in its
  family's output space (:mod:`faceswap.testing.swapper_standins`); inswapper's last initializer is the
  512x512 ``emap``; the CrossFace converters multiply by a fixed random matrix;
* enhancers return the inverted input (times CodeFormer's ``weight``), a change easy to see, at each one's
  catalog size; the random-weight ones that test conventions are in :mod:`faceswap.testing.enhancer_standins`;
* frame enhancers upscale by repeating pixels (:mod:`faceswap.testing.enhancer_standins`);
* the landmark models come from :mod:`faceswap.testing.landmark_standins`, fairface from
  :mod:`faceswap.testing.classifier_standins`.
Every graph uses every input (times 0 where needed) so ONNX Runtime keeps them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray
from onnx import TensorProto, helper, numpy_helper

from faceswap.choices import EmbeddingConverterName, ModelName, SwapperName
from faceswap.engine.onnx.signature import (
    ARCFACE_INPUT,
    ARCFACE_OUTPUT,
    EMBEDDING_SIZE,
    ENHANCER_INPUT,
    ENHANCER_OUTPUT,
    ENHANCER_WEIGHT,
    SCRFD_ANCHORS,
    SCRFD_INPUT,
    SCRFD_OUTPUTS,
    SCRFD_STRIDES,
    YUNET_INPUT,
    YUNET_OUTPUTS,
    YUNET_STRIDES,
)
from faceswap.errors import BadOptionError
from faceswap.models.catalog import names_for_role, spec
from faceswap.models.swappers import converter_of
from faceswap.testing.classifier_standins import write_fairface_standin
from faceswap.testing.enhancer_standins import write_frame_enhancer_standin
from faceswap.testing.landmark_standins import write_2dfan4_standin, write_fan_68_5_standin
from faceswap.testing.onnx_files import save_standin
from faceswap.testing.swapper_standins import (
    StandinKind,
    write_converter_standin,
    write_swapper_standin,
)

BATCH = "N"
DETECTOR_SIZE = 640


@dataclass(frozen=True)
class StandinFace:
    """A face a detector stand-in reports: box x1, y1, x2, y2 and 5 key points, in detector pixels."""

    box: tuple[float, float, float, float]
    kps: Sequence[tuple[float, float]]
    score: float = 0.9


def letterboxed(
    faces: Sequence[StandinFace], image_shape: tuple[int, ...], size: int = DETECTOR_SIZE
) -> list[StandinFace]:
    """``faces`` given in image pixels moved to the detector's top-left letterbox of a ``size`` square."""
    height, width = image_shape[:2]
    scale = min(size / width, size / height)
    return [
        StandinFace(
            box=(f.box[0] * scale, f.box[1] * scale, f.box[2] * scale, f.box[3] * scale),
            kps=[(x * scale, y * scale) for x, y in f.kps],
            score=f.score,
        )
        for f in faces
    ]


def _zero_of(input_name: str, dtype: Any = np.float32) -> tuple[list[Any], list[Any], str]:
    """Nodes computing the scalar 0 * mean(input): adding it makes a constant output depend on the input."""
    zero = numpy_helper.from_array(np.zeros((), dtype), f"{input_name}_zero_k")
    nodes = [
        helper.make_node("ReduceMean", [input_name], [f"{input_name}_mean"], keepdims=0),
        helper.make_node("Mul", [f"{input_name}_mean", zero.name], [f"{input_name}_zero"]),
    ]
    return nodes, [zero], f"{input_name}_zero"


def _constant_outputs(
    path: Path, input_name: str, size: int, tensors: Sequence[tuple[str, NDArray[np.float32]]]
) -> Path:
    nodes, inits, zero = _zero_of(input_name)
    outputs = []
    for name, value in tensors:
        inits.append(numpy_helper.from_array(value.astype(np.float32), f"{name}_value"))
        nodes.append(helper.make_node("Add", [f"{name}_value", zero], [name]))
        outputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(value.shape)))
    image = helper.make_tensor_value_info(input_name, TensorProto.FLOAT, [1, 3, size, size])
    return save_standin(path, nodes, [image], outputs, inits)


def _stride_for(face: StandinFace) -> int:
    side = max(face.box[2] - face.box[0], face.box[3] - face.box[1])
    return 32 if side >= 96 else 16 if side >= 32 else 8


def _cell(
    face: StandinFace, stride: int, size: int, pos: tuple[float, float] | None = None
) -> tuple[int, int]:
    cx, cy = pos or ((face.box[0] + face.box[2]) / 2, (face.box[1] + face.box[3]) / 2)
    cells = size // stride
    return min(max(round(cx / stride), 0), cells - 1), min(max(round(cy / stride), 0), cells - 1)


def write_scrfd_standin(path: Path, faces: Sequence[StandinFace], size: int = DETECTOR_SIZE) -> Path:
    """SCRFD/RetinaFace stand-in: input ``input.1`` 1x3xSxS, 9 constant outputs encoding ``faces``.

    Each face sits on the first anchor of the cell nearest its box centre (stride 32, 16 or 8 by size)
    with distances to that anchor's centre (the cell's top-left corner) in units of the stride.
    """
    scores = {s: np.zeros(((size // s) ** 2 * SCRFD_ANCHORS, 1), np.float32) for s in SCRFD_STRIDES}
    boxes = {s: np.zeros(((size // s) ** 2 * SCRFD_ANCHORS, 4), np.float32) for s in SCRFD_STRIDES}
    kps = {s: np.zeros(((size // s) ** 2 * SCRFD_ANCHORS, 10), np.float32) for s in SCRFD_STRIDES}
    for face in faces:
        stride = _stride_for(face)
        col, row = _cell(face, stride, size)
        slots = [(row * (size // stride) + col) * SCRFD_ANCHORS + a for a in range(SCRFD_ANCHORS)]
        free = [i for i in slots if scores[stride][i, 0] == 0]
        if not free:
            raise BadOptionError(f"stand-in faces too close together: no free anchor for {face.box}")
        index = free[0]
        ax, ay = col * stride, row * stride
        x1, y1, x2, y2 = face.box
        scores[stride][index, 0] = face.score
        boxes[stride][index] = np.array([ax - x1, ay - y1, x2 - ax, y2 - ay]) / stride
        kps[stride][index] = (np.asarray(face.kps, np.float32) - (ax, ay)).reshape(-1) / stride
    ordered = (
        [scores[s] for s in SCRFD_STRIDES]
        + [boxes[s] for s in SCRFD_STRIDES]
        + [kps[s] for s in SCRFD_STRIDES]
    )
    return _constant_outputs(path, SCRFD_INPUT, size, list(zip(SCRFD_OUTPUTS, ordered, strict=True)))


def write_yunet_standin(path: Path, faces: Sequence[StandinFace], size: int = DETECTOR_SIZE) -> Path:
    """YuNet 2023mar stand-in: input ``input`` 1x3xSxS, outputs ``cls_*``/``obj_*``/``bbox_*``/``kps_*``.

    Shapes are 1xNx1, 1xNx1, 1xNx4, 1xNx10 per stride with one anchor per cell; cls = obj = score.
    """
    cells = {s: (size // s) ** 2 for s in YUNET_STRIDES}
    arrays = {
        f"{kind}_{s}": np.zeros((1, cells[s], width), np.float32)
        for kind, width in (("cls", 1), ("obj", 1), ("bbox", 4), ("kps", 10))
        for s in YUNET_STRIDES
    }
    for face in faces:
        stride = _stride_for(face)
        col, row = _cell(face, stride, size)
        index = row * (size // stride) + col
        x1, y1, x2, y2 = face.box
        arrays[f"cls_{stride}"][0, index, 0] = face.score
        arrays[f"obj_{stride}"][0, index, 0] = face.score
        arrays[f"bbox_{stride}"][0, index] = [
            (x1 + x2) / 2 / stride - col,
            (y1 + y2) / 2 / stride - row,
            math.log((x2 - x1) / stride),
            math.log((y2 - y1) / stride),
        ]
        arrays[f"kps_{stride}"][0, index] = (np.asarray(face.kps, np.float32) / stride - (col, row)).reshape(
            -1
        )
    return _constant_outputs(path, YUNET_INPUT, size, [(name, arrays[name]) for name in YUNET_OUTPUTS])


def write_arcface_standin(path: Path, seed: int = 0) -> Path:
    """ArcFace stand-in: ``input.1`` Nx3x112x112 -> ``683`` Nx512, a fixed projection of pooled pixels."""
    weights = np.random.default_rng(seed).standard_normal((3 * 14 * 14, EMBEDDING_SIZE)).astype(np.float32)
    inits = [numpy_helper.from_array(weights, "projection")]
    nodes = [
        helper.make_node("AveragePool", [ARCFACE_INPUT], ["pooled"], kernel_shape=[8, 8], strides=[8, 8]),
        helper.make_node("Flatten", ["pooled"], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "projection"], [ARCFACE_OUTPUT]),
    ]
    image = helper.make_tensor_value_info(ARCFACE_INPUT, TensorProto.FLOAT, [BATCH, 3, 112, 112])
    output = helper.make_tensor_value_info(ARCFACE_OUTPUT, TensorProto.FLOAT, [BATCH, EMBEDDING_SIZE])
    return save_standin(path, nodes, [image], [output], inits)


def write_inswapper_standin(
    path: Path,
    kind: StandinKind = "identity",
    fp16: bool = False,
    emap: NDArray[Any] | None = None,
    dynamic_batch: bool = False,
    colour: tuple[float, float, float] = (0.2, 0.8, 0.4),
) -> Path:
    """inswapper stand-in: ``target`` Bx3x128x128 and ``source`` Bx512 -> ``output`` Bx3x128x128
    (:func:`faceswap.testing.swapper_standins.write_swapper_standin`); ``fp16``: float16 tensors and
    ``emap``, as ``inswapper_128_fp16``."""
    name: SwapperName = "inswapper_128_fp16" if fp16 else "inswapper_128"
    return write_swapper_standin(
        path, name, kind, fp16=fp16, emap=emap, dynamic_batch=dynamic_batch, colour=colour
    )


def write_enhancer_standin(
    path: Path, kind: Literal["gfpgan", "codeformer"] = "gfpgan", size: int = 512
) -> Path:
    """Enhancer stand-in: ``input`` 1x3xSxS (+ CodeFormer's double ``weight`` [1]) -> ``output``.

    The output is ``-input`` (times ``weight`` for CodeFormer): the colours inverted.
    """
    inputs = [helper.make_tensor_value_info(ENHANCER_INPUT, TensorProto.FLOAT, [1, 3, size, size])]
    if kind == "codeformer":
        inputs.append(helper.make_tensor_value_info(ENHANCER_WEIGHT, TensorProto.DOUBLE, [1]))
        nodes = [
            helper.make_node("Cast", [ENHANCER_WEIGHT], ["weight_float"], to=TensorProto.FLOAT),
            helper.make_node("Neg", [ENHANCER_INPUT], ["inverted"]),
            helper.make_node("Mul", ["inverted", "weight_float"], [ENHANCER_OUTPUT]),
        ]
    else:
        nodes = [helper.make_node("Neg", [ENHANCER_INPUT], [ENHANCER_OUTPUT])]
    output = helper.make_tensor_value_info(ENHANCER_OUTPUT, TensorProto.FLOAT, [1, 3, size, size])
    return save_standin(path, nodes, inputs, [output], [])


INSWAPPERS: tuple[SwapperName, ...] = ("inswapper_128", "inswapper_128_fp16")


def write_standin_models(
    directory: Path,
    faces: Sequence[StandinFace],
    swapper: StandinKind = "identity",
    swappers: Sequence[SwapperName] = INSWAPPERS,
) -> dict[ModelName, Path]:
    """Every catalog model but the swappers left out of ``swappers`` (default: the two inswappers; pass
    ``get_args(SwapperName)`` for all) as a stand-in, under its catalog file name in ``directory``, with
    the embedding converters those swappers need.

    ``faces`` (detector pixels) are what both detectors report; ``swapper`` is the swappers' kind.
    """
    paths: dict[ModelName, Path] = {}

    def target(name: ModelName) -> Path:
        paths[name] = directory / spec(name).file
        return paths[name]

    write_scrfd_standin(target("scrfd_2.5g"), faces)
    write_scrfd_standin(target("retinaface_10g"), faces)
    write_yunet_standin(target("yunet"), faces)
    write_arcface_standin(target("arcface_w600k_r50"))
    for name in swappers:
        write_swapper_standin(target(name), name, swapper, fp16=name.endswith("_fp16"))
    for seed, converter in enumerate(get_args(EmbeddingConverterName)):
        if any(converter_of(name) == converter for name in swappers):
            write_converter_standin(target(converter), seed)
    for enhancer in names_for_role("enhancer"):
        kind: Literal["gfpgan", "codeformer"] = "codeformer" if enhancer == "codeformer" else "gfpgan"
        write_enhancer_standin(target(enhancer), kind, spec(enhancer).input_size[0])
    for frame_enhancer in names_for_role("frame_enhancer"):
        write_frame_enhancer_standin(target(frame_enhancer), frame_enhancer)
    write_2dfan4_standin(target("2dfan4"))
    write_fan_68_5_standin(target("fan_68_5"))
    write_fairface_standin(target("fairface"))
    return paths
