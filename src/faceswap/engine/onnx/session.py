"""ONNX Runtime sessions: one per model, on the configured execution providers that are installed."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from faceswap.choices import DynamicBatch, ExecutionProvider, ModelName
from faceswap.config import EngineSettings
from faceswap.engine.onnx.batchdim import open_dynamic_batch
from faceswap.engine.onnx.signature import Dim, check_signature
from faceswap.errors import ModelMissingError, ModelSignatureError

logger = logging.getLogger(__name__)

PROVIDER_NAMES: dict[ExecutionProvider, str] = {
    "cuda": "CUDAExecutionProvider",
    "tensorrt": "TensorrtExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "directml": "DmlExecutionProvider",
    "cpu": "CPUExecutionProvider",
}
_DEVICE_PROVIDERS = ("cuda", "tensorrt", "directml")
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

Providers = list[tuple[str, dict[str, Any]]]


def select_providers(settings: EngineSettings, available: Sequence[str]) -> Providers:
    """The configured providers that are installed, in the configured order, with their options.

    When none of them is installed the CPU provider is used (and a warning logged), so a machine without
    a GPU still works with the default settings.
    """
    chosen: Providers = []
    for provider in settings.providers:
        ort_name = PROVIDER_NAMES[provider]
        if ort_name not in available:
            continue
        options: dict[str, Any] = {"device_id": settings.device_id} if provider in _DEVICE_PROVIDERS else {}
        chosen.append((ort_name, options))
    if not chosen:
        logger.warning("none of the execution providers %s is installed; using the CPU", settings.providers)
        chosen.append((PROVIDER_NAMES["cpu"], {}))
    return chosen


@dataclass(frozen=True)
class ModelSession:
    """A loaded model: its ONNX Runtime session plus what the code needs to know about its tensors."""

    name: ModelName
    path: Path
    session: Any  # onnxruntime.InferenceSession (untyped library)

    @property
    def providers(self) -> list[str]:
        return list(self.session.get_providers())

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


def open_session(name: ModelName, path: Path, settings: EngineSettings) -> ModelSession:
    """Loads ``path`` as model ``name`` and checks its signature.

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
    providers = select_providers(settings, ort.get_available_providers())

    def create(model: str | bytes) -> Any:
        return ort.InferenceSession(
            model,
            sess_options=options,
            providers=[p for p, _ in providers],
            provider_options=[o for _, o in providers],
        )

    session = None
    if wants_dynamic_batch(settings.dynamic_batch, providers):
        session, why = open_dynamic_batch(path, create)
        choice = "made symbolic" if session is not None else "left as saved"
        logger.info("model %s: batch dimension %s: %s", name, choice, why)
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
    batch = session.get_inputs()[0].shape[0]
    logger.info(
        "loaded model %s from %s on %s, batch %s",
        name,
        path,
        ", ".join(session.get_providers()),
        batch if isinstance(batch, int) else "dynamic",
    )
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
