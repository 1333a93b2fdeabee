"""Where a pipeline's wall time goes on the host: inside ONNX Runtime calls, in named stages, the rest.

On a GPU every ``InferenceSession.run`` / ``run_with_iobinding`` waits for the device, so time outside
those calls is host (CPU) work that does not overlap model execution: it bounds the frame rate whatever
the GPU does. :class:`HostClock` measures it by wrapping those two methods (for every session) and the
functions named in its stages while installed, timing each call *exclusively* (a span's own time, its
nested spans' taken out), so the spans and ``other`` add up to the wall time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import onnxruntime as ort

ORT = "ort"
"""The label of time inside ``InferenceSession.run`` and ``run_with_iobinding``."""
ORT_METHODS = ("run", "run_with_iobinding")

Target = tuple[Any, str]
"""A module or class and the name of a function in it, looked up where the caller looks it up."""


@dataclass
class HostClock:
    """Exclusive seconds per label, accumulated while :meth:`installed`."""

    seconds: dict[str, float] = field(default_factory=dict)
    _stack: list[float] = field(default_factory=list)
    """Per open span: the time its nested spans took (subtracted from its own)."""

    def reset(self) -> None:
        self.seconds.clear()

    def _wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append(0.0)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                nested = self._stack.pop()
                self.seconds[label] = self.seconds.get(label, 0.0) + elapsed - nested
                if self._stack:
                    self._stack[-1] += elapsed

        return timed

    @contextmanager
    def installed(self, stages: Mapping[str, Sequence[Target]]) -> Iterator[HostClock]:
        """Wraps ONNX Runtime's run methods (label ``ort``) and each stage's targets; restores them after."""
        targets: list[tuple[str, Target]] = [(ORT, (ort.InferenceSession, name)) for name in ORT_METHODS]
        targets += [(label, target) for label, items in stages.items() for target in items]
        saved: list[tuple[Any, str, Any]] = []  # owner, name, its own attribute (None: inherited)
        try:
            for label, (owner, name) in targets:
                own = vars(owner).get(name)
                setattr(owner, name, self._wrap(label, getattr(owner, name)))
                saved.append((owner, name, own))
            yield self
        finally:
            for owner, name, own in reversed(saved):
                if own is None:
                    delattr(owner, name)
                else:
                    setattr(owner, name, own)


def split(
    seconds: Mapping[str, float], wall_s: float, frames: int, stages: Iterable[str] = ()
) -> dict[str, float]:
    """Milliseconds per frame of every label (``stages`` listed even where nothing ran), and ``other``
    (wall time in no span)."""
    per_frame = dict.fromkeys(stages, 0.0)
    per_frame.update({label: 1000.0 * value / frames for label, value in seconds.items()})
    per_frame["other"] = 1000.0 * (wall_s - sum(seconds.values())) / frames
    return per_frame
