"""Opening a model saved with a batch of 1 (inswapper, GFPGAN, most detectors) with a symbolic batch.

Many public ONNX files declare ``1x...`` inputs although nothing in the graph depends on it; with the
declared size made symbolic, N faces or frames run in one call, which is what makes a GPU worth having.
Where a graph does depend on it (a ``Reshape`` to a constant ``[1, ...]``, outputs that ignore the input's
batch) the change is refused: shape inference must accept the edited graph, and a session must give for
a batch of 2 exactly what it gives for each item alone. The file on disk is never changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from google.protobuf.message import DecodeError  # type: ignore[import-untyped]
from numpy.typing import NDArray
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

logger = logging.getLogger(__name__)

BATCH = "batch"
"""The symbolic name given to the batch dimension."""
PROBE_DIM = 64
"""Size used for other symbolic dimensions (spatial sizes of fully convolutional detectors) in the check."""
_RUN_ERRORS = (
    ort_state.Fail,
    ort_state.InvalidArgument,
    ort_state.RuntimeException,
    ort_state.InvalidGraph,
    ort_state.NotImplemented,
)
_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
}


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


def _probe_feeds(session: Any, batch: int, rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    feeds: dict[str, NDArray[Any]] = {}
    for item in session.get_inputs():
        shape = [
            batch if index == 0 and dim == BATCH else dim if isinstance(dim, int) else PROBE_DIM
            for index, dim in enumerate(item.shape)
        ]
        dtype = _TYPES.get(item.type, np.float32)
        if np.issubdtype(dtype, np.floating):
            feeds[item.name] = rng.uniform(-1.0, 1.0, shape).astype(dtype)
        else:
            feeds[item.name] = np.zeros(shape, dtype)
    return feeds


def batch_agrees(session: Any, seed: int = 0) -> bool:
    """Whether ``session`` (inputs with a ``batch`` dimension) gives, for a batch of two random items,
    every output equal to the two items' outputs alone, concatenated along the first axis."""
    feeds = _probe_feeds(session, 2, np.random.default_rng(seed))
    batched = {item.name for item in session.get_inputs() if item.shape and item.shape[0] == BATCH}
    try:
        together = session.run(None, feeds)
        alone = [
            session.run(None, {k: v[i : i + 1] if k in batched else v for k, v in feeds.items()})
            for i in range(2)
        ]
    except _RUN_ERRORS as exc:
        logger.debug("a batch of 2 does not run: %s", exc)
        return False
    for index, output in enumerate(together):
        expected = np.concatenate([np.asarray(parts[index]) for parts in alone], axis=0)
        got = np.asarray(output)
        if got.shape != expected.shape:
            return False
        exact = np.issubdtype(expected.dtype, np.integer) or expected.dtype == np.bool_
        if exact and not np.array_equal(got, expected):
            return False
        if not exact:
            scale = 1.0 + float(np.max(np.abs(expected.astype(np.float64)), initial=0.0))
            tolerance = (2e-2 if expected.dtype == np.float16 else 1e-4) * scale
            if not np.allclose(got.astype(np.float64), expected.astype(np.float64), rtol=0, atol=tolerance):
                return False
    return True


def open_dynamic_batch(path: Path, create: Callable[[bytes], Any]) -> tuple[Any | None, str]:
    """A session of ``path`` with a symbolic batch, or None, with a word on why.

    ``create`` makes a session from serialized model bytes (with the caller's options and providers).
    """
    try:
        model = onnx.load(str(path))
    except (OSError, ValueError, DecodeError) as exc:
        return None, f"cannot read the graph ({exc})"
    if not graph_inputs(model) or not _has_fixed_batch(graph_inputs(model)[0]):
        return None, "its first input has no fixed batch of 1"
    edited = with_symbolic_batch(model)
    if edited is None:
        return None, "shape inference refuses a symbolic batch"
    try:
        session = create(edited.SerializeToString())
    except _RUN_ERRORS as exc:
        return None, f"a session with a symbolic batch cannot be created ({exc})"
    if not batch_agrees(session):
        return None, "a batch of 2 does not give what each item gives alone"
    return session, "a batch of 2 gives what each item gives alone"
