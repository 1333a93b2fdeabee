"""ONNX Runtime sessions: one per model, on the first of the configured, installed execution providers
that opens it (:mod:`.provider_chain`), with a symbolic batch where the batch check allows (:mod:`.batchdim`)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnx
import onnxruntime as ort
from numpy.typing import NDArray
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from faceswap.choices import DynamicBatch, ModelName
from faceswap.config import EngineSettings
from faceswap.engine.onnx.batch_check import BatchVerdict, device_kind
from faceswap.engine.onnx.batchdim import graph_inputs, open_dynamic_batch
from faceswap.engine.onnx.provider_chain import (
    create_on_chain,
    engine_folder,
    tensorrt_importable,
    timed_open,
    usable_providers,
)
from faceswap.engine.onnx.providers import (
    PROVIDER_NAMES,
    Providers,
    binding_device,
    select_providers,
    tensorrt_fp16,
)
from faceswap.engine.onnx.signature import Dim, check_signature
from faceswap.errors import ModelMissingError, ModelSignatureError

logger = logging.getLogger(__name__)

_NUMPY_TYPES: dict[str, type[np.floating[Any]]] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
}
_LOAD_ERRORS = (
    ort_state.Fail,
    ort_state.InvalidArgument,
    ort_state.InvalidGraph,
    ort_state.InvalidProtobuf,
    ort_state.NoModel,
    ort_state.NotImplemented,
    ort_state.RuntimeException,
)


@dataclass(frozen=True)
class ModelSession:
    """A loaded model: its ONNX Runtime session plus what the code needs to know about its tensors."""

    name: ModelName
    path: Path
    session: Any  # onnxruntime.InferenceSession (untyped library)

    @property
    def providers(self) -> list[str]:
        return list(self.session.get_providers())

    @property
    def device(self) -> tuple[str, int]:
        """Where IO binding keeps this session's tensors: ``("cuda", id)`` or ``("cpu", 0)``."""
        options = self.session.get_provider_options()
        return binding_device([(name, dict(options.get(name, {}))) for name in self.providers])

    def input_names(self) -> list[str]:
        return [i.name for i in self.session.get_inputs()]

    def output_names(self) -> list[str]:
        return [o.name for o in self.session.get_outputs()]

    def input_shape(self, name: str | None = None) -> list[Dim]:
        """The declared shape of input ``name`` (default: the first); dynamic dims are names or None."""
        return list(self._input(name).shape)

    def input_dtype(self, name: str | None = None) -> type[np.floating[Any]]:
        """The numpy dtype input ``name`` (default: the first) is declared with."""
        declared = self._input(name).type
        if declared not in _NUMPY_TYPES:
            raise ModelSignatureError(f"model {self.name!r} input has unsupported type {declared}")
        return _NUMPY_TYPES[declared]

    @property
    def batch_dynamic(self) -> bool:
        """Whether the first input's batch dimension is dynamic (several items can run in one call)."""
        return not isinstance(self.input_shape()[0], int)

    def call_batch(self, wanted: int) -> int:
        """Items one call takes when ``wanted`` are at hand: ``wanted`` with a dynamic batch dimension,
        else the batch size the model declares."""
        declared = self.input_shape()[0]
        return declared if isinstance(declared, int) else wanted

    def run(self, feeds: Mapping[str, NDArray[Any]]) -> list[NDArray[Any]]:
        """One forward pass; each feed is cast to the dtype its input declares."""
        cast = {name: np.asarray(value, dtype=self.input_dtype(name)) for name, value in feeds.items()}
        return [np.asarray(out) for out in self.session.run(None, cast)]

    def _input(self, name: str | None) -> Any:
        inputs = self.session.get_inputs()
        if name is None:
            return inputs[0]
        for item in inputs:
            if item.name == name:
                return item
        raise ModelSignatureError(f"model {self.name!r} has no input {name!r}")


def wants_dynamic_batch(mode: DynamicBatch, providers: Providers) -> bool:
    """Whether to try a symbolic batch: ``on``, or ``auto`` when the first provider is not the CPU (batches
    pay off on GPUs; on a CPU the check would cost seconds at load for little gain)."""
    if mode == "auto":
        return bool(providers) and providers[0][0] != PROVIDER_NAMES["cpu"]
    return mode == "on"


def log_batching(
    name: ModelName, path: Path, session: Any, mode: DynamicBatch, verdict: BatchVerdict | None
) -> None:
    """One line saying how ``name`` (from ``path``) was opened: batched (several items per model call) or per call (one
    item per call, a loop over a batch), on which providers, and why. A model that could not be batched
    on an accelerator is a warning: it costs most of a GPU's throughput."""
    batch = session.get_inputs()[0].shape[0]
    providers = list(session.get_providers())
    batched = not isinstance(batch, int)
    if batched and (verdict is None or not verdict.agrees):
        why = "saved with a dynamic batch"
    elif verdict is None:
        why = f"engine.dynamic_batch is {mode!r}" + (
            " and the session is on the CPU" if mode == "auto" else ""
        )
    else:
        why = verdict.reason
    way = (
        "batched (several items per model call)"
        if batched
        else f"per call (batch {batch}, one call per item)"
    )
    level = logging.INFO
    if verdict is not None and not verdict.agrees and not batched and device_kind(providers) != "cpu":
        level = logging.WARNING
    logger.log(level, "model %s from %s opened %s on %s: %s", name, path, way, ", ".join(providers), why)


def _graph_facts(model: str | bytes) -> tuple[list[tuple[str, list[int | str | None]]], bool]:
    """The graph inputs' names and dims (for TensorRT's profiles) and whether the first is fp16, without
    the weights' external data."""
    proto = (
        onnx.load_from_string(model)
        if isinstance(model, bytes)
        else onnx.load(model, load_external_data=False)
    )
    inputs = graph_inputs(proto)
    shapes = [
        (
            value.name,
            [
                d.dim_value if d.HasField("dim_value") else d.dim_param or None
                for d in value.type.tensor_type.shape.dim
            ],
        )
        for value in inputs
    ]
    fp16 = bool(inputs) and inputs[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    return shapes, fp16


def open_session(
    name: ModelName, path: Path, settings: EngineSettings, *, cache_dir: Path | None = None
) -> ModelSession:
    """Loads ``path`` as model ``name`` and checks its signature.

    ``cache_dir`` is where the TensorRT provider (when installed and configured) keeps its engines. How
    the model opened (providers, batched or per call, and why) is logged.

    Raises :class:`ModelMissingError` if the file is absent and :class:`ModelSignatureError` if it is not
    a loadable ONNX model or its inputs and outputs are not those the role needs.
    """
    if not path.is_file():
        raise ModelMissingError(name, str(path))
    options = ort.SessionOptions()
    options.log_severity_level = 3  # errors only: we log what matters ourselves
    if settings.intra_op_threads:
        options.intra_op_num_threads = settings.intra_op_threads
    # Idle ONNX Runtime workers would busy-wait for the next run; between runs our own threads (video
    # decode and encode, OpenCV warps and blends) need those cores. Measured on 2 cores: a batch of
    # 8 frames through the stand-in pipeline took 16 ms per frame with spinning, 10 ms without.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    offered = ort.get_available_providers()
    available = usable_providers(offered, PROVIDER_NAMES["tensorrt"] in offered and tensorrt_importable())
    if len(available) < len(offered) and "tensorrt" in settings.providers:
        logger.info("model %s: TensorRT is offered but the tensorrt package does not import; skipped", name)
    providers = select_providers(settings, available, cache_dir=cache_dir)

    def create(model: str | bytes) -> Any:
        chosen = providers
        if providers[0][0] == PROVIDER_NAMES["tensorrt"]:  # profiles need the inputs, the cache the file
            inputs, fp16 = _graph_facts(model)
            engines = engine_folder(name, path, tensorrt_fp16(settings.tensorrt_fp16, fp16))
            chosen = select_providers(
                settings, available, cache_dir=cache_dir, inputs=inputs, engines=engines, model_fp16=fp16
            )

        def on(chain: Providers) -> Any:
            return ort.InferenceSession(
                model,
                sess_options=options,
                providers=[p for p, _ in chain],
                provider_options=[o for _, o in chain],
            )

        return timed_open(name, chosen, lambda: create_on_chain(name, chosen, on))

    session, verdict = None, None
    if wants_dynamic_batch(settings.dynamic_batch, providers):
        session, verdict = open_dynamic_batch(path, create)
    if session is None:
        try:
            session = create(str(path))
        except _LOAD_ERRORS as exc:
            raise ModelSignatureError(
                f"model {name!r} at {path} is not a loadable ONNX model: {exc}"
            ) from exc
    check_signature(
        name,
        [(i.name, list(i.shape)) for i in session.get_inputs()],
        [(o.name, list(o.shape)) for o in session.get_outputs()],
    )
    log_batching(name, path, session, settings.dynamic_batch, verdict)
    return ModelSession(name=name, path=path, session=session)


def run_batched(
    model: ModelSession,
    feeds: Mapping[str, NDArray[Any]],
    constants: Mapping[str, NDArray[Any]] | None = None,
    output: int = 0,
) -> NDArray[Any]:
    """Output ``output`` for a batch: one call if the batch dim is dynamic, else one call per item.

    Every array in ``feeds`` has the batch on its first axis (all of the same length); ``constants`` are
    fed unchanged to every call (CodeFormer's ``weight``).
    """
    fixed = dict(constants or {})
    count = min(len(value) for value in feeds.values())
    if model.batch_dynamic or count == 1:
        return model.run({**feeds, **fixed})[output]
    parts = [
        model.run({**{k: v[i : i + 1] for k, v in feeds.items()}, **fixed})[output] for i in range(count)
    ]
    return np.concatenate(parts, axis=0)
