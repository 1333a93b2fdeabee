"""Creating a session on a chain of execution providers: TensorRT's prerequisite, its engine folders and
build time, and the fall back from one provider to the next.

* ONNX Runtime lists ``TensorrtExecutionProvider`` in every ``onnxruntime-gpu`` install, with or without
  TensorRT's libraries. It is taken only where the ``tensorrt`` package imports (which also loads its
  libraries into the process, where ONNX Runtime finds them).
* Engines are cached on disk in a folder per model file (its name, size and modification time, and
  fp16 or fp32), so another file of the same graph never meets a stale engine; the first open of a model
  builds them (minutes for a large model) and is logged with its time, later opens load them.
* A provider that fails to create the session is logged and dropped, and the next one tried (TensorRT,
  then CUDA, then the CPU). A session ONNX Runtime created on another provider than the first asked
  (it falls back by itself, with a message on stdout) is logged too.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

from faceswap.engine.onnx.batch_check import RUN_ERRORS
from faceswap.engine.onnx.providers import PROVIDER_NAMES, Providers

logger = logging.getLogger(__name__)

TENSORRT = PROVIDER_NAMES["tensorrt"]
ENGINE_SUFFIX = ".engine"
PROVIDER_ERRORS = (*RUN_ERRORS, ort_state.EPFail, ort_state.EngineError, RuntimeError)
"""What a provider that cannot create a session raises (a corrupt file raises others, and is not retried)."""


def tensorrt_importable() -> bool:
    """Whether the ``tensorrt`` package imports (its libraries present and loadable)."""
    try:
        importlib.import_module("tensorrt")
    except (ImportError, OSError) as exc:
        logger.debug("the tensorrt package does not import: %s", exc)
        return False
    return True


def usable_providers(available: Sequence[str], tensorrt: bool) -> list[str]:
    """``available`` (ONNX Runtime's list) without TensorRT unless ``tensorrt`` (its package imports)."""
    return [name for name in available if name != TENSORRT or tensorrt]


def engine_folder(name: str, path: Path, fp16: bool) -> str:
    """The name of the folder holding ``path``'s TensorRT engines: the model's name, fp16 or fp32, and a
    digest of the file's size and modification time (a replaced file gets a new folder)."""
    stat = path.stat()
    digest = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:10]
    return f"{name}-{'fp16' if fp16 else 'fp32'}-{digest}"


def engine_files(folder: Path) -> set[Path]:
    """The TensorRT engine files in ``folder`` (none when it does not exist)."""
    return set(folder.glob(f"*{ENGINE_SUFFIX}")) if folder.is_dir() else set()


def create_on_chain(name: str, providers: Providers, create: Callable[[Providers], Any]) -> Any:
    """``create(providers)``; when it fails, again without the first provider, down to the last one,
    whose error is raised. Each fall back is a warning naming the provider, the error and the next."""
    chain = list(providers)
    while True:
        try:
            session = create(chain)
        except PROVIDER_ERRORS as exc:
            if len(chain) == 1:
                raise
            logger.warning(
                "model %s: %s failed (%s); falling back to %s",
                name,
                chain[0][0],
                str(exc).strip(),
                chain[1][0],
            )
            chain = chain[1:]
            continue
        taken = list(session.get_providers())
        if taken and taken[0] != chain[0][0]:
            logger.warning("model %s: %s was not taken; the session runs on %s", name, chain[0][0], taken[0])
        return session


def timed_open(name: str, providers: Providers, open_model: Callable[[], Any]) -> Any:
    """``open_model()``, and when TensorRT is the first provider, a line saying whether its engines were
    built (and how long the open took: the build, on first use) or loaded from the cache."""
    if not providers or providers[0][0] != TENSORRT:
        return open_model()
    folder = Path(providers[0][1]["trt_engine_cache_path"])
    before = engine_files(folder)
    start = time.perf_counter()
    session = open_model()
    seconds = time.perf_counter() - start
    built = engine_files(folder) - before
    if list(session.get_providers())[:1] != [TENSORRT]:
        return session
    if built:
        logger.warning(
            "model %s: TensorRT built %d engine(s) in %.1f s (first use; cached in %s, later opens load them)",
            name,
            len(built),
            seconds,
            folder,
        )
    elif before:
        logger.info("model %s: TensorRT engines loaded from %s in %.1f s", name, folder, seconds)
    else:  # inputs of dynamic shape other than the batch: no profile, engines are built per shape on use
        logger.info("model %s: TensorRT builds its engines at the first run of each input shape", name)
    return session
