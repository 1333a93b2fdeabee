"""Which GPUs ``faceswap worker --devices`` runs workers on: ``all`` or a list of device ids.

The count is what CUDA will show the workers: the entries of ``CUDA_VISIBLE_DEVICES`` when it is set
(device ids then number those entries, as CUDA numbers them), else the lines of ``nvidia-smi -L``.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Callable, Mapping

from faceswap.errors import BadOptionError, NoGpuError

logger = logging.getLogger(__name__)

ALL = "all"
NVIDIA_SMI_TIMEOUT_S = 10.0


def nvidia_smi_lines() -> list[str]:
    """The lines of ``nvidia-smi -L`` (one ``GPU i: ...`` per GPU); none when it is missing or fails."""
    try:
        done = subprocess.run(
            ["nvidia-smi", "-L"], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        logger.debug("nvidia-smi -L did not run: %s", exc)
        return []
    if done.returncode:
        logger.debug("nvidia-smi -L failed (%d): %s", done.returncode, done.stderr.strip())
        return []
    return done.stdout.splitlines()


def gpu_count(environ: Mapping[str, str], list_gpus: Callable[[], list[str]] = nvidia_smi_lines) -> int:
    """GPUs a worker started with ``environ`` can use: the entries of its ``CUDA_VISIBLE_DEVICES`` (an
    empty value or ``-1`` hides them all), else the GPUs ``list_gpus`` (``nvidia-smi -L``) lists."""
    visible = environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        entries = [entry.strip() for entry in visible.split(",") if entry.strip()]
        return 0 if not entries or entries[0] == "-1" else len(entries)
    return sum(1 for line in list_gpus() if line.startswith("GPU "))


def parse_devices(spec: str, count: int) -> list[int]:
    """Device ids for ``--devices spec``: ``all`` (every one of the ``count`` GPUs) or ids such as
    ``0,2``. Raises :class:`NoGpuError` when there is no GPU, :class:`BadOptionError` for ids that are
    not numbers, repeated or beyond the last GPU."""
    if count <= 0:
        raise NoGpuError(
            "--devices needs GPUs and none is visible (nvidia-smi -L lists none, or CUDA_VISIBLE_DEVICES "
            "hides them); run `faceswap worker` without --devices on a CPU"
        )
    if spec.strip().lower() == ALL:
        return list(range(count))
    try:
        ids = [int(part) for part in spec.split(",")]
    except ValueError:
        raise BadOptionError(f"--devices takes 'all' or device ids such as 0,1, not {spec!r}") from None
    if len(set(ids)) != len(ids):
        raise BadOptionError(f"--devices names a GPU twice: {spec!r}")
    wrong = [i for i in ids if not 0 <= i < count]
    if wrong:
        raise BadOptionError(
            f"--devices {spec!r}: no GPU {wrong[0]}; this machine shows {count} (0-{count - 1})"
        )
    return ids
