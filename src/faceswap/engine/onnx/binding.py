"""IO binding: running sessions on tensors that stay on the execution provider's device.

With the CUDA (or TensorRT) provider, inputs are uploaded once as ``OrtValue`` s in device memory and
outputs are left there, so one session's output feeds the next (warp -> swapper -> paste back) with no
copy through the host. On the CPU the same calls run with device ``"cpu"``, which is how tests cover them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

Device = tuple[str, int]
"""``(device_type, device_id)`` as OrtValue takes them: ``("cuda", 0)``, ``("cpu", 0)``."""
Feed = Any
"""A numpy array (uploaded on the way in) or an ``onnxruntime.OrtValue`` already on the device."""
CPU: Device = ("cpu", 0)

_NUMPY_TYPES: dict[str, Any] = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int64)": np.int64,
    "tensor(uint8)": np.uint8,
}


def to_device(array: NDArray[Any], device: Device) -> Any:
    """``array`` copied into an ``OrtValue`` on ``device``."""
    return ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(array), device[0], device[1])


def to_host(value: Any) -> NDArray[Any]:
    """An ``OrtValue`` (on any device) as a numpy array."""
    return np.asarray(value.numpy())


def run_bound(
    session: Any,
    feeds: Mapping[str, Feed],
    device: Device,
    into: Mapping[str, NDArray[Any]] | None = None,
    outputs_on: Device | None = None,
) -> list[Any]:
    """One run of ``session`` with its inputs bound to ``feeds`` and every output left on ``outputs_on``
    (default ``device``; ``CPU``: copied down to ONNX Runtime's host memory, which it reuses from run to
    run), but those named in ``into``: written into those host arrays (C-contiguous, of the output's
    exact shape and dtype; from a GPU, copied down into them).

    numpy feeds are cast to the dtype their input declares and uploaded; ``OrtValue`` feeds are bound as
    they are. Returns the outputs as ``OrtValue`` s, in the session's output order.
    """
    binding = session.io_binding()
    declared = {item.name: item.type for item in session.get_inputs()}
    for name, feed in feeds.items():
        value = feed
        if isinstance(feed, np.ndarray):
            value = to_device(feed.astype(_NUMPY_TYPES.get(declared[name], feed.dtype), copy=False), device)
        binding.bind_ortvalue_input(name, value)
    for output in session.get_outputs():
        if into is not None and output.name in into:
            binding.bind_ortvalue_output(output.name, to_device(into[output.name], CPU))
        else:
            place = outputs_on or device
            binding.bind_output(output.name, place[0], place[1])
    session.run_with_iobinding(binding)
    return list(binding.get_outputs())
