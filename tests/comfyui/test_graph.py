"""Pure parts of the ComfyUI client: bindings and substitution, outputs, progress from messages."""

from __future__ import annotations

from typing import Any

import pytest

from faceswap.comfyui.graph import Binding, execution_error, output_files, parse_workflow, substitute
from faceswap.comfyui.progress import PromptProgress
from faceswap.errors import BadOptionError, ComfyUIExecutionError

GRAPH: dict[str, Any] = {
    "1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}, "_meta": {"title": "target"}},
    "2": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "", "clip": ["4", 1]},
        "_meta": {"title": "prompt"},
    },
    "3": {"class_type": "KSampler", "inputs": {"steps": 20, "seed": 1}},
}


def test_inputs_go_to_declared_bindings_or_to_the_node_with_their_title() -> None:
    workflow = parse_workflow({"workflow": GRAPH, "bindings": {"steps": {"node": 3, "field": "steps"}}})
    assert workflow.bindings == {"steps": Binding("3", "steps")}
    graph = substitute(workflow, {"target": "up/t.png"}, {"prompt": "a smile", "steps": 8})
    assert graph["1"]["inputs"]["image"] == "up/t.png"
    assert graph["2"]["inputs"] == {"text": "a smile", "clip": ["4", 1]}  # the only plain field; links kept
    assert graph["3"]["inputs"]["steps"] == 8
    assert GRAPH["1"]["inputs"]["image"] == "x.png"  # the workflow itself is not changed


def test_unbound_inputs_and_bad_graphs_are_refused() -> None:
    workflow = parse_workflow(GRAPH)
    with pytest.raises(BadOptionError, match="no node of the workflow is titled 'mask'"):
        substitute(workflow, {"mask": "m.png"}, {})
    with pytest.raises(BadOptionError, match="2 plain fields"):
        substitute(parse_workflow({"3": {**GRAPH["3"], "_meta": {"title": "k"}}}), {}, {"k": 1})
    with pytest.raises(BadOptionError, match="lacks"):
        substitute(parse_workflow(GRAPH, {"seed": {"node": "9", "field": "seed"}}), {}, {"seed": 2})
    with pytest.raises(BadOptionError, match="Save \\(API\\)"):
        parse_workflow({"nodes": [], "links": []})


def test_outputs_prefer_output_files_over_previews() -> None:
    entry = {
        "outputs": {
            "9": {"images": [{"filename": "a.png", "subfolder": "s", "type": "output"}]},
            "7": {"images": [{"filename": "p.png", "subfolder": "", "type": "temp"}], "text": ["hi"]},
        }
    }
    assert [(f.node, f.filename, f.subfolder) for f in output_files(entry)] == [("9", "a.png", "s")]
    previews = {"outputs": {"7": entry["outputs"]["7"]}}
    assert [f.type for f in output_files(previews)] == ["temp"]
    failed = {
        "status": {
            "status_str": "error",
            "messages": [
                [
                    "execution_error",
                    {"node_id": "3", "node_type": "KSampler", "exception_message": "CUDA out of memory"},
                ]
            ],
        }
    }
    assert execution_error(failed) == "KSampler (node 3) failed: CUDA out of memory"
    assert execution_error({"status": {"status_str": "success"}}) is None


def test_an_interrupted_prompt_in_history_says_where_it_was_interrupted() -> None:
    # the status ComfyUI 0.8.0 keeps in /history for a prompt interrupted at node 5
    say = {"prompt_id": "p", "timestamp": 1}
    interrupted = {
        "outputs": {},
        "status": {
            "status_str": "error",
            "completed": False,
            "messages": [
                ["execution_start", say],
                ["execution_cached", {**say, "nodes": []}],
                [
                    "execution_interrupted",
                    {**say, "node_id": "5", "node_type": "ImageBlur", "executed": ["4", "1", "2", "3"]},
                ],
            ],
        },
    }
    assert execution_error(interrupted) == "ComfyUI interrupted the workflow at node 5 (ImageBlur)"


def test_progress_counts_cached_and_finished_nodes_and_the_running_one() -> None:
    state = PromptProgress("p", total=4)
    say = {"prompt_id": "p"}
    assert not state.update({"type": "execution_cached", "data": {**say, "nodes": ["1"]}})
    assert state.fraction == 0.25
    state.update({"type": "executing", "data": {**say, "node": "2"}})
    state.update({"type": "progress", "data": {**say, "value": 5, "max": 10}})
    assert state.fraction == pytest.approx(1.5 / 4)
    state.update({"type": "progress", "data": {"prompt_id": "other", "value": 10, "max": 10}})
    assert state.fraction == pytest.approx(1.5 / 4)  # another prompt's message
    state.update({"type": "executing", "data": {**say, "node": "3"}})
    assert state.fraction == 0.5
    assert state.update({"type": "executing", "data": {**say, "node": None}})
    assert state.fraction == 1.0
    with pytest.raises(ComfyUIExecutionError, match="VAEDecode \\(node 4\\) failed: boom"):
        PromptProgress("p", 4).update(
            {
                "type": "execution_error",
                "data": {**say, "node_id": "4", "node_type": "VAEDecode", "exception_message": "boom"},
            }
        )
