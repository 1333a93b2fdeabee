"""Which inputs a task declares: the references any worker, in process or remote, may read for it."""

from __future__ import annotations

import contextlib

from faceswap.errors import BadOptionError
from faceswap.service.tasks.comfyui import file_inputs, is_builtin
from faceswap.service.tasks.model import TaskCreate


def task_inputs(task: TaskCreate) -> list[str]:
    """Every input reference ``task`` declares, each once, in this order: target, sources, reference,
    then a ComfyUI workflow's named ``wf_json.inputs``.

    These are the references the workflow's processor reads (:meth:`TaskRun.read`), so a remote worker
    is leased exactly these. A malformed ``inputs`` mapping adds none: the processor then refuses the
    task (``bad_option``) before reading anything.
    """
    wf = task.wf
    refs = [wf.target_url, *wf.sources(), *([wf.reference_url] if wf.reference_url else [])]
    if not is_builtin(task.workflow):
        with contextlib.suppress(BadOptionError):
            refs.extend(file_inputs(task).values())
    return list(dict.fromkeys(refs))
