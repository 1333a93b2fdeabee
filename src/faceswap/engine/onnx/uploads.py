"""Frames going up to the execution provider's device: stacked once per batch, and shared between stages.

The detector's letterbox and the swapper's warp both read whole frames on the device. Within a batch
scope (:meth:`SharedUploads.scope`, opened by :class:`faceswap.engine.frames.FrameSwapper` around each
batch) the frames uploaded by one stage are kept, and a later stage that asks for some of those very
arrays (by identity) gets the same tensor instead of a second upload. The scope's owner guarantees the
frames do not change inside it except through our own in-place writes, and those call
:meth:`SharedUploads.forget`. Outside a scope nothing is kept. State is per thread.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from faceswap.engine.onnx.binding import Device, to_device
from faceswap.engine.onnx.staging import HostBuffers
from faceswap.engine.types import ImageBGR


def distinct_frames(frames: Sequence[ImageBGR]) -> tuple[list[ImageBGR], list[int]]:
    """The distinct frames (by identity) and, per item, its frame's index among them."""
    unique: list[ImageBGR] = []
    slots: dict[int, int] = {}
    index = []
    for frame in frames:
        if id(frame) not in slots:
            slots[id(frame)] = len(unique)
            unique.append(frame)
        index.append(slots[id(frame)])
    return unique, index


def stackable(frames: Sequence[ImageBGR]) -> bool:
    """Whether ``frames`` can go up as one tensor: at least one, all of one size, 3 channels."""
    return bool(frames) and all(f.ndim == 3 and f.shape == frames[0].shape for f in frames)


def upload_frames(frames: Sequence[ImageBGR], device: Device, buffers: HostBuffers) -> Any:
    """``frames`` (all of one size) as one ``BxHxWx3`` uint8 ``OrtValue`` on ``device``, stacked in a
    reused host buffer (on the CPU the tensor is that buffer: valid until the next upload)."""
    stacked = buffers.take("frames", (len(frames), *frames[0].shape))
    np.stack(frames, out=stacked)
    return to_device(stacked, device)


@dataclass(frozen=True)
class _Held:
    frames: list[ImageBGR]  # held, so their ids cannot be reused while the tensor is
    tensor: Any
    device: Device


class SharedUploads:
    """The last upload inside the current thread's batch scope, for the next stage to reuse."""

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def scope(self) -> Iterator[None]:
        """Uploads are shared until the scope ends; nothing is kept after it."""
        self._local.open = True
        self._local.held = None
        try:
            yield
        finally:
            self._local.open = False
            self._local.held = None

    def forget(self) -> None:
        """Drops the kept upload (its frames were just written into)."""
        self._local.held = None

    def upload(
        self, frames: Sequence[ImageBGR], device: Device, buffers: HostBuffers
    ) -> tuple[Any, list[int]]:
        """``frames`` on ``device`` and, per item, its frame's index in that tensor: the kept tensor when
        it holds every one of them, else a new upload (``buffers`` stage it), kept when in a scope."""
        held: _Held | None = getattr(self._local, "held", None)
        if held is not None and held.device == device:
            slots = {id(frame): slot for slot, frame in enumerate(held.frames)}
            if all(id(frame) in slots for frame in frames):
                return held.tensor, [slots[id(frame)] for frame in frames]
        unique, index = distinct_frames(frames)
        tensor = upload_frames(unique, device, buffers)
        if getattr(self._local, "open", False):
            self._local.held = _Held(unique, tensor, device)
        return tensor, index
