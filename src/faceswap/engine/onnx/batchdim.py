"""Opening a model saved with a batch of 1 (inswapper, GFPGAN, most detectors) with a symbolic batch.

Many public ONNX files declare ``1x...`` inputs although nothing in the graph depends on it; with the
declared size made symbolic, N faces or frames run in one call, which is what makes a GPU worth having.
Where a graph does depend on it (a ``Reshape`` to a constant ``[1, ...]``, outputs that ignore the input's
batch, items that interact) the change is refused: shape inference must accept the edited graph, and a
session must pass :func:`faceswap.engine.onnx.batch_check.check_batch`. The file on disk is never changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import onnx
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]

from faceswap.engine.onnx.batch_check import BATCH, RUN_ERRORS, BatchVerdict, check_batch

logger = logging.getLogger(__name__)


def _dims(value: onnx.ValueInfoProto) -> list[Any]:
    return list(value.type.tensor_type.shape.dim)


def _has_fixed_batch(value: onnx.ValueInfoProto) -> bool:
    dims = _dims(value)
    return len(dims) >= 2 and dims[0].HasField("dim_value") and dims[0].dim_value == 1


def graph_inputs(model: onnx.ModelProto) -> list[onnx.ValueInfoProto]:
    """The graph's real inputs (older exports also list their initializers as inputs)."""
    constants = {init.name for init in model.graph.initializer}
    return [value for value in model.graph.input if value.name not in constants]


def with_symbolic_batch(model: onnx.ModelProto) -> onnx.ModelProto | None:
    """A copy of ``model`` whose inputs of rank >= 2 with a batch of 1, and all outputs, have a symbolic
    first dimension; None when the first input has no fixed batch of 1 or shape inference rejects the copy.

    Outputs of batch 1 get the same symbol as the inputs; other outputs (det_10g's ``12800x1``, flattened
    batch-major) get one of their own.
    """
    inputs = graph_inputs(model)
    if not inputs or not _has_fixed_batch(inputs[0]):
        return None
    edited = onnx.ModelProto()
    edited.CopyFrom(model)
    batched = {value.name for value in inputs if _has_fixed_batch(value)}
    for value in edited.graph.input:
        if value.name in batched:
            _dims(value)[0].dim_param = BATCH
    for index, value in enumerate(edited.graph.output):
        dims = _dims(value)
        if dims:
            one = dims[0].HasField("dim_value") and dims[0].dim_value == 1
            dims[0].dim_param = BATCH if one else f"{BATCH}_rows_{index}"
    del edited.graph.value_info[:]  # intermediate shapes were inferred for a batch of 1
    try:
        onnx.shape_inference.infer_shapes(edited, strict_mode=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError) as exc:
        logger.debug("shape inference refuses a symbolic batch: %s", exc)
        return None
    return edited


def open_dynamic_batch(path: Path, create: Callable[[bytes], Any]) -> tuple[Any | None, BatchVerdict]:
    """A session of ``path`` with a symbolic batch, or None, with the verdict saying why.

    ``create`` makes a session from serialized model bytes (with the caller's options and providers).
    """
    try:
        model = onnx.load(str(path))
    except (OSError, ValueError, DecodeError) as exc:
        return None, BatchVerdict(False, f"cannot read the graph ({exc})")
    if not graph_inputs(model) or not _has_fixed_batch(graph_inputs(model)[0]):
        return None, BatchVerdict(False, "its first input has no fixed batch of 1")
    edited = with_symbolic_batch(model)
    if edited is None:
        return None, BatchVerdict(False, "shape inference refuses a symbolic batch")
    try:
        session = create(edited.SerializeToString())
    except RUN_ERRORS as exc:
        return None, BatchVerdict(False, f"a session with a symbolic batch cannot be created ({exc})")
    verdict = check_batch(session)
    return (session if verdict.agrees else None), verdict
