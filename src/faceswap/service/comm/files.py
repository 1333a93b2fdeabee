"""The result files of a remote worker's lease: what a completion may point to.

A remote worker uploads its outputs through ``POST /api/comm/task/{id}/files``; they are stored under
the lease's attempt folder, ``results/<task_id>/<attempt>/<name>``. Its completion's result names them by
``file_id`` (at the top level, and in lists such as a ComfyUI workflow's ``outputs`` or the faces of a
detection). Each must be a file this very attempt uploaded: never another attempt's (a superseded one's
output, or the owner's), never a key outside the task, never a file that is not there.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from faceswap.errors import BadOptionError
from faceswap.storage.base import Storage
from faceswap.storage.keys import attempt_prefix

FILE_ID = "file_id"


def result_file_ids(result: Any) -> Iterator[str]:
    """Every ``file_id`` value in a task's result, at any depth of its dicts and lists."""
    if isinstance(result, dict):
        for name, value in result.items():
            if name == FILE_ID and value is not None:
                yield str(value)
            else:
                yield from result_file_ids(value)
    elif isinstance(result, list):
        for item in result:
            yield from result_file_ids(item)


async def check_result_files(storage: Storage, result: dict[str, Any], task_id: str, attempt: str) -> None:
    """``BadOptionError`` unless every ``file_id`` in ``result`` is a stored file under
    ``results/<task_id>/<attempt>/``."""
    prefix = attempt_prefix(task_id, attempt)
    for key in dict.fromkeys(result_file_ids(result)):
        if not key.startswith(prefix):
            raise BadOptionError(
                f"a result's file_id must be a file this attempt uploaded (under {prefix}); got {key!r}"
            )
        if not await storage.exists(key):
            raise BadOptionError(f"result file {key!r} was not uploaded")
