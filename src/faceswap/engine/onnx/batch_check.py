"""Whether a session with a symbolic batch treats the items of a batch independently.

Two questions, asked with random probe items:

* **Do items interact?** The batch ``[a, b]`` is run next to ``[c, b]`` and ``[a, d]``: at the same batch
  size a device runs the same kernels, so item ``b``'s output (and ``a``'s) must come out the same
  whatever its neighbour is. A batch-mean, a normalisation across the batch or a reshape that mixes items
  changes it by the size of the signal; the bound here is a tenth of the rounding bound below.
* **Does a batch give what each item gives alone?** The batch ``[a, b]`` against ``[a]`` and ``[b]``:
  same shapes (outputs that ignore the batch, ``Reshape`` to a constant ``1x...``) and values within a
  rounding bound relative to the output's magnitude. The bound depends on the dtype and the device:
  cuDNN and TensorRT pick other algorithms (and TF32 tensor cores) for other batch sizes, so on an
  accelerator fp32 results for a batch differ from those of one item by ~1e-3 of their magnitude,
  which says nothing about the model and everything about summation order. TensorRT's fp16 engines
compute in fp16 whatever the tensors' types: their outputs get the fp16 bound.

Integer outputs must match exactly in both. Nothing here depends on the model's role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from onnxruntime.capi import onnxruntime_pybind11_state as ort_state

DeviceKind = Literal["cpu", "accelerator"]
BATCH = "batch"
"""The symbolic name given to the batch dimension."""
PROBE_DIM = 64
"""Size used for other symbolic dimensions (spatial sizes of fully convolutional detectors) in the check."""
ROUNDING: dict[tuple[str, DeviceKind], float] = {
    ("float64", "cpu"): 1e-9,
    ("float64", "accelerator"): 1e-6,
    ("float32", "cpu"): 2e-3,
    ("float32", "accelerator"): 2e-2,
    ("float16", "cpu"): 2e-2,
    ("float16", "accelerator"): 5e-2,
}
"""Largest difference allowed between a batch and its items alone, relative to the output's largest
magnitude, by output dtype and device (the CPU's fp32 bound is that of an 8-bit image, 1/255 / 2)."""
INTERACTION_SHARE = 0.1
"""The bound on a change of one item's output with its neighbour, as a share of the rounding bound."""
RUN_ERRORS = (
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
_CPU_PROVIDER = "CPUExecutionProvider"
_TENSORRT_PROVIDER = "TensorrtExecutionProvider"


@dataclass(frozen=True)
class BatchVerdict:
    """The check's answer: whether a batch may be run in one call, why, and the largest relative
    difference seen between a batch and its items alone (0 when the check stopped before measuring)."""

    agrees: bool
    reason: str
    difference: float = 0.0


def device_kind(providers: Sequence[str]) -> DeviceKind:
    """``cpu`` when the session's first provider is the CPU's, else ``accelerator`` (CUDA, TensorRT,
    DirectML, CoreML ...)."""
    return "cpu" if not providers or providers[0] == _CPU_PROVIDER else "accelerator"


def computes_fp16(session: Any) -> bool:
    """Whether ``session`` runs its layers in fp16 whatever its tensors' types: TensorRT first, with fp16
    engines enabled."""
    providers = list(session.get_providers())
    if providers[:1] != [_TENSORRT_PROVIDER]:
        return False
    options = session.get_provider_options().get(_TENSORRT_PROVIDER, {})
    return str(options.get("trt_fp16_enable", "0")).lower() in ("1", "true")


def rounding_bound(dtype: np.dtype[Any], device: DeviceKind, fp16: bool = False) -> float:
    """The relative bound for outputs of ``dtype`` on ``device`` (float32's for unlisted float types;
    float16's when the session computes in ``fp16`` whatever the output's type)."""
    name = "float16" if fp16 else np.dtype(dtype).name
    return ROUNDING.get((name, device), ROUNDING[("float32", device)])


def relative_difference(got: NDArray[Any], expected: NDArray[Any]) -> float:
    """``max |got - expected|`` over ``max |expected|`` (over 1 when ``expected`` is all zeros)."""
    want = expected.astype(np.float64)
    scale = float(np.max(np.abs(want), initial=0.0)) or 1.0
    return float(np.max(np.abs(got.astype(np.float64) - want), initial=0.0)) / scale


def probe_items(session: Any, count: int, rng: np.random.Generator) -> dict[str, NDArray[Any]]:
    """Random feeds with ``count`` items on the batch axis of every batched input (one item elsewhere)."""
    feeds: dict[str, NDArray[Any]] = {}
    for item in session.get_inputs():
        shape = [
            count if index == 0 and dim == BATCH else dim if isinstance(dim, int) else PROBE_DIM
            for index, dim in enumerate(item.shape)
        ]
        dtype = _TYPES.get(item.type, np.float32)
        if np.issubdtype(dtype, np.floating):
            feeds[item.name] = rng.uniform(-1.0, 1.0, shape).astype(dtype)
        else:
            feeds[item.name] = np.zeros(shape, dtype)
    return feeds


def _pick(feeds: dict[str, NDArray[Any]], batched: set[str], items: Sequence[int]) -> dict[str, NDArray[Any]]:
    return {k: v[list(items)] if k in batched else v for k, v in feeds.items()}


def _exact(dtype: np.dtype[Any]) -> bool:
    return not np.issubdtype(dtype, np.floating)


def _halves(output: NDArray[Any]) -> list[NDArray[Any]] | None:
    """Item 0's and item 1's rows of a batch-of-2 output (outputs flattened batch-major included)."""
    if output.ndim == 0 or len(output) % 2:
        return None
    return list(np.split(output, 2))


def _interaction(
    names: Sequence[str],
    base: list[NDArray[Any]],
    moved: list[NDArray[Any]],
    item: int,
    kind: DeviceKind,
    fp16: bool,
) -> BatchVerdict | None:
    """A refusal when item ``item``'s rows of ``moved`` (its neighbour replaced) differ from ``base``'s."""
    for name, a, b in zip(names, base, moved, strict=True):
        first, second = _halves(a), _halves(b)
        if first is None or second is None:
            return BatchVerdict(False, f"output {name!r} has no rows per item for a batch of 2")
        mine, theirs = first[item], second[item]
        if _exact(a.dtype):
            changed = 0.0 if np.array_equal(mine, theirs) else 1.0
            allowed = 0.0
        else:
            changed = relative_difference(theirs, mine)
            allowed = rounding_bound(a.dtype, kind, fp16) * INTERACTION_SHARE
        if changed > allowed:
            return BatchVerdict(
                False,
                f"the items of a batch interact: output {name!r} of one item changes by {changed:.2g} "
                f"(relative) when its neighbour changes, over the {allowed:.2g} allowed",
            )
    return None


def check_batch(session: Any, device: DeviceKind | None = None, seed: int = 0) -> BatchVerdict:
    """Whether ``session`` (inputs with a ``batch`` dimension) may run several items in one call: its
    items do not interact and a batch of 2 gives each item's output alone within the rounding bound of
    the output's dtype on ``device`` (default: the session's first provider's)."""
    kind = device or device_kind(list(session.get_providers()))
    fp16 = computes_fp16(session)
    feeds = probe_items(session, 4, np.random.default_rng(seed))
    batched = {item.name for item in session.get_inputs() if item.shape and item.shape[0] == BATCH}
    names = [output.name for output in session.get_outputs()]

    def run(items: Sequence[int]) -> list[NDArray[Any]]:
        return [np.asarray(out) for out in session.run(None, _pick(feeds, batched, items))]

    try:
        together, alone = run([0, 1]), [run([0]), run([1])]
        other_first, other_second = run([2, 1]), run([0, 3])
    except RUN_ERRORS as exc:
        return BatchVerdict(False, f"a batch of 2 does not run: {exc}")
    expected = [np.concatenate([parts[index] for parts in alone], axis=0) for index in range(len(names))]
    for name, got, want in zip(names, together, expected, strict=True):
        if got.shape != want.shape:
            return BatchVerdict(
                False, f"output {name!r} is {got.shape} for a batch of 2, {want.shape} for two items alone"
            )
    for item, moved in ((1, other_first), (0, other_second)):
        refusal = _interaction(names, together, moved, item, kind, fp16)
        if refusal is not None:
            return refusal
    worst, bounds = 0.0, set()
    for name, got, want in zip(names, together, expected, strict=True):
        if _exact(want.dtype):
            if not np.array_equal(got, want):
                return BatchVerdict(
                    False, f"integer output {name!r} of a batch of 2 differs from its items alone"
                )
            continue
        bound = rounding_bound(want.dtype, kind, fp16)
        precision = f"{want.dtype} computed in fp16" if fp16 else str(want.dtype)
        bounds.add(f"{bound:.0e} for {precision} on the {kind}")
        difference = relative_difference(got, want)
        worst = max(worst, difference)
        if difference > bound:
            return BatchVerdict(
                False,
                f"output {name!r} of a batch of 2 differs from its items alone by {difference:.2g} "
                f"(relative), over the {bound:.0e} allowed for {precision} on the {kind}",
                difference,
            )
    allowed = ", ".join(sorted(bounds)) or "exact"
    return BatchVerdict(
        True,
        f"a batch of 2 gives each item's output alone (largest relative difference {worst:.1g}, "
        f"allowed {allowed}) and its items do not interact",
        worst,
    )
