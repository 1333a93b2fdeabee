"""ComfyUI workflows in API format: loading, input bindings, substitution and outputs (pure functions).

An API-format workflow ("Save (API)" in ComfyUI) maps node ids to ``{"class_type", "inputs", "_meta"}``.
A task's named inputs (``target``, ``source``, ``wf_json.inputs`` and ``wf_json.values``) reach the graph
through bindings: ``{name: {"node": "<id>", "field": "<input>"}}``, declared in the workflow file
(``{"workflow": {...}, "bindings": {...}}``) or in ``wf_json.bindings``. Without a declaration a node
whose ``_meta.title`` equals an input's name is bound on its ``image`` field (file inputs) or its only
scalar field (values), so a workflow made in ComfyUI needs nothing but node titles.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceswap.errors import BadOptionError, NotFoundError

Graph = dict[str, Any]
FILE_FIELD = "image"
"""The field a file input fills on a node bound by its title (ComfyUI's ``LoadImage``)."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class Binding:
    node: str
    field: str


@dataclass(frozen=True)
class ComfyWorkflow:
    graph: Graph
    bindings: dict[str, Binding]


@dataclass(frozen=True)
class OutputFile:
    """One file a node wrote, as ``/history`` lists it (``type`` is output, temp or input)."""

    node: str
    filename: str
    subfolder: str
    type: str


def check_graph(graph: object) -> Graph:
    """``graph`` if it looks like an API-format workflow; ``BadOptionError`` otherwise."""
    if not isinstance(graph, dict) or not graph:
        raise BadOptionError("a ComfyUI workflow must be a non-empty object of nodes (API format)")
    for node_id, node in graph.items():
        if not isinstance(node, dict) or not isinstance(node.get("class_type"), str):
            raise BadOptionError(
                f"node {node_id!r} has no class_type: export the workflow with 'Save (API)', not 'Save'"
            )
        if not isinstance(node.get("inputs", {}), dict):
            raise BadOptionError(f"node {node_id!r}: inputs must be an object")
    return graph


def parse_bindings(raw: object) -> dict[str, Binding]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BadOptionError("bindings must be an object {name: {node, field}}")
    found = {}
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("field"), str) or "node" not in spec:
            raise BadOptionError(f"binding {name!r} needs a node id and a field name")
        found[str(name)] = Binding(node=str(spec["node"]), field=spec["field"])
    return found


def parse_workflow(document: object, extra_bindings: object = None) -> ComfyWorkflow:
    """A workflow from a plain graph or ``{"workflow": graph, "bindings": ...}``; ``extra_bindings`` win."""
    bindings: dict[str, Binding] = {}
    if isinstance(document, dict) and isinstance(document.get("workflow"), dict):
        bindings = parse_bindings(document.get("bindings"))
        document = document["workflow"]
    graph = check_graph(document)
    bindings.update(parse_bindings(extra_bindings))
    return ComfyWorkflow(graph=graph, bindings=bindings)


def workflow_path(directory: Path, name: str) -> Path:
    """``<directory>/<name>.json`` for a safe ``name`` (no separators, no leading dot)."""
    if not _NAME.fullmatch(name):
        raise BadOptionError(f"{name!r} is not a workflow name")
    return directory / f"{name}.json"


def load_workflow(directory: Path, name: str) -> object:
    path = workflow_path(directory, name)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NotFoundError(
            f"no ComfyUI workflow {name!r} (looked for {path.name} in the workflows directory)"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadOptionError(f"workflow file {path.name} is not JSON: {exc}") from exc


def titled(graph: Graph, title: str) -> str | None:
    """The id of the node titled ``title`` (``_meta.title``), if exactly one has it."""
    hits = [nid for nid, node in graph.items() if (node.get("_meta") or {}).get("title") == title]
    return hits[0] if len(hits) == 1 else None


def resolve_binding(workflow: ComfyWorkflow, name: str, *, is_file: bool) -> Binding:
    """Where input ``name`` goes: its declared binding, else the node titled ``name``."""
    if name in workflow.bindings:
        binding = workflow.bindings[name]
    else:
        node_id = titled(workflow.graph, name)
        if node_id is None:
            raise BadOptionError(
                f"input {name!r} has no binding and no node of the workflow is titled {name!r}"
            )
        binding = Binding(
            node_id, FILE_FIELD if is_file else _only_scalar_field(workflow.graph[node_id], name)
        )
    node = workflow.graph.get(binding.node)
    if node is None:
        raise BadOptionError(f"input {name!r} is bound to node {binding.node!r}, which the workflow lacks")
    return binding


def _only_scalar_field(node: Mapping[str, Any], name: str) -> str:
    fields = [k for k, v in (node.get("inputs") or {}).items() if not isinstance(v, list)]
    if len(fields) != 1:
        raise BadOptionError(f"node titled {name!r} has {len(fields)} plain fields; declare a binding")
    return str(fields[0])


def substitute(workflow: ComfyWorkflow, files: Mapping[str, str], values: Mapping[str, Any]) -> Graph:
    """A copy of the graph with uploaded file names and values written into their bound fields."""
    graph = copy.deepcopy(workflow.graph)
    for name, value in [*((n, f) for n, f in files.items()), *values.items()]:
        binding = resolve_binding(workflow, name, is_file=name in files)
        graph[binding.node].setdefault("inputs", {})[binding.field] = value
    return graph


def feeding(graph: Graph, outputs: Iterable[str]) -> set[str]:
    """The nodes ComfyUI runs for ``outputs``: those output nodes and every node their inputs link to,
    directly or not (a link is ``[node_id, index]``). Nodes feeding no output are not run."""
    found: set[str] = set()
    pending = [str(n) for n in outputs if str(n) in graph]
    while pending:
        node_id = pending.pop()
        if node_id in found:
            continue
        found.add(node_id)
        for value in (graph[node_id].get("inputs") or {}).values():
            if isinstance(value, list) and len(value) == 2 and str(value[0]) in graph:
                pending.append(str(value[0]))
    return found


def sinks(graph: Graph) -> set[str]:
    """The nodes no other node links to: the output nodes, when ComfyUI cannot say which they are."""
    linked = {
        str(value[0])
        for node in graph.values()
        for value in (node.get("inputs") or {}).values()
        if isinstance(value, list) and len(value) == 2
    }
    return {node_id for node_id in graph if node_id not in linked}


def nodes_to_run(graph: Graph, output_classes: set[str] | None) -> set[str]:
    """The nodes ComfyUI will run: those feeding a node of one of ``output_classes`` (ComfyUI's output
    nodes), or feeding a sink when the classes are unknown (None); every node if that finds none."""
    if output_classes is None:
        outputs = sinks(graph)
    else:
        outputs = {nid for nid, node in graph.items() if node.get("class_type") in output_classes}
    return feeding(graph, outputs) or set(graph)


def output_files(entry: Mapping[str, Any]) -> list[OutputFile]:
    """The files of a ``/history/{prompt_id}`` entry: ``output`` ones, or every file if none is."""
    found = []
    for node_id, output in sorted((entry.get("outputs") or {}).items()):
        if not isinstance(output, dict):
            continue
        for items in output.values():
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("filename"), str):
                    found.append(
                        OutputFile(
                            node=str(node_id),
                            filename=item["filename"],
                            subfolder=str(item.get("subfolder") or ""),
                            type=str(item.get("type") or "output"),
                        )
                    )
    final = [f for f in found if f.type == "output"]
    return final or found


def execution_error(entry: Mapping[str, Any]) -> str | None:
    """The error message of a ``/history`` entry that ended in error, else None: its
    ``execution_error`` or ``execution_interrupted`` message (ComfyUI records either in
    ``status.messages``)."""
    status = entry.get("status") or {}
    if status.get("status_str") != "error":
        return None
    for kind, data in status.get("messages") or []:
        if kind == "execution_error" and isinstance(data, dict):
            return describe_error(data)
        if kind == "execution_interrupted" and isinstance(data, dict):
            return describe_interruption(data)
    return "ComfyUI reported an error"


def describe_error(data: Mapping[str, Any]) -> str:
    """One line for an ``execution_error`` message: node, type and ComfyUI's exception message."""
    node = data.get("node_id")
    node_type = data.get("node_type") or "node"
    message = str(data.get("exception_message") or data.get("exception_type") or "error").strip()
    return f"{node_type} (node {node}) failed: {message}"[:1000]


def describe_interruption(data: Mapping[str, Any]) -> str:
    """One line for an ``execution_interrupted`` message: the node (and its type) that was running."""
    node_type = data.get("node_type")
    at = f"node {data.get('node_id')}" + (f" ({node_type})" if node_type else "")
    return f"ComfyUI interrupted the workflow at {at}"
