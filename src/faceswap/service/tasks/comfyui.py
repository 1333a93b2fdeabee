"""What a ComfyUI task asks for: its workflow, its named file inputs and values (from ``wf_json``).

A task whose ``workflow`` is not a built-in one names a ComfyUI workflow. ``wf_json`` holds:

- ``target_url`` (required, as for every task) and ``source_url``: file inputs named ``target`` and
  ``source``; ``inputs``: more file inputs ``{name: ref}`` (file ids, stored keys, http(s) or data: URLs);
- ``values``: plain values ``{name: value}`` (a prompt text, a seed, a strength);
- ``workflow`` (optional): the API-format graph itself; else ``<comfyui.workflows_dir>/<name>.json``;
- ``bindings`` (optional): ``{name: {node, field}}``, added to those the workflow file declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from faceswap.choices import Workflow, choices
from faceswap.comfyui.graph import ComfyWorkflow, load_workflow, parse_workflow, workflow_path
from faceswap.config import Settings
from faceswap.errors import BadOptionError
from faceswap.service.tasks.model import TaskCreate


@dataclass(frozen=True)
class ComfyTask:
    name: str
    workflow: ComfyWorkflow
    files: dict[str, str]
    """input name -> reference (read like any task input)"""
    values: dict[str, Any]


def is_builtin(workflow: str) -> bool:
    return workflow in choices(Workflow)


def _extra(create: TaskCreate, key: str) -> Any:
    return (create.wf.model_extra or {}).get(key)


def _mapping(create: TaskCreate, key: str) -> dict[str, Any]:
    raw = _extra(create, key)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadOptionError(f"wf_json.{key} must be an object {{name: ...}}")
    return {str(k): v for k, v in raw.items()}


def file_inputs(create: TaskCreate) -> dict[str, str]:
    """The task's file inputs ``{name: ref}``: ``target``, ``source`` (if given) and those named in
    ``wf_json.inputs``; ``BadOptionError`` if ``inputs`` is not a mapping of non-empty references."""
    wf = create.wf
    files = {"target": wf.target_url, **({"source": wf.source_url} if wf.source_url else {})}
    for name, ref in _mapping(create, "inputs").items():
        if not isinstance(ref, str) or not ref:
            raise BadOptionError(f"wf_json.inputs.{name} must be a file id, stored key or URL")
        files[name] = ref
    return files


def comfy_task(create: TaskCreate, settings: Settings) -> ComfyTask:
    """The ComfyUI workflow and inputs of ``create``; ``BadOptionError``/``NotFoundError`` if unusable."""
    inline = _extra(create, "workflow")
    if inline is not None:
        document: object = inline
    else:
        assert settings.comfyui.workflows_dir is not None
        document = load_workflow(settings.comfyui.workflows_dir, create.workflow)
    workflow = parse_workflow(document, _extra(create, "bindings"))
    files = file_inputs(create)
    values = _mapping(create, "values")
    if clash := set(files) & set(values):
        raise BadOptionError(f"{', '.join(sorted(clash))}: both a file input and a value")
    return ComfyTask(name=create.workflow, workflow=workflow, files=files, values=values)


def check_workflow(create: TaskCreate, settings: Settings) -> None:
    """At task creation: a workflow that is not built in must be a ComfyUI workflow this service can run.

    Refused (``bad_option``) when no ComfyUI server is configured, when ``wf_json.inputs`` is not a
    mapping of references, or when the workflows directory exists here and lacks the file and no graph
    was sent. An API without the directory (workers keep it) lets the worker decide.
    """
    if is_builtin(create.workflow):
        return
    builtins = ", ".join(choices(Workflow))
    if settings.comfyui.url is None:
        raise BadOptionError(
            f"unknown workflow {create.workflow!r}: not one of {builtins}, and no ComfyUI server is "
            "configured (COMFYUI_URL) to run it"
        )
    file_inputs(create)
    if _extra(create, "workflow") is not None:
        parse_workflow(_extra(create, "workflow"), _extra(create, "bindings"))
        return
    directory = settings.comfyui.workflows_dir
    if (
        directory is not None
        and directory.is_dir()
        and not workflow_path(directory, create.workflow).is_file()
    ):
        raise BadOptionError(
            f"unknown workflow {create.workflow!r}: not one of {builtins}, nor a ComfyUI workflow file"
        )
