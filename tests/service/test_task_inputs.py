"""Which inputs a task declares (what any worker may read for it, so what a remote worker is leased)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from faceswap.errors import BadOptionError
from faceswap.service.tasks.comfyui import check_workflow
from faceswap.service.tasks.inputs import task_inputs
from faceswap.service.tasks.model import TaskCreate
from tests.service.helpers import service_settings


def task(name: str, **wf: Any) -> TaskCreate:
    return TaskCreate.model_validate({"workflow": name, "params": {"input_data": {"wf_json": wf}}})


def test_a_swap_declares_its_target_sources_and_reference_once_each() -> None:
    swap = task(
        "face_swap",
        target_url="t",
        source_urls=["a", "b", "t"],
        mapping={0: 0, 1: 1, 2: 2},
        reference_url="r",
        inputs={"mask": "m"},  # not a ComfyUI task: no named inputs are read
    )
    assert task_inputs(swap) == ["t", "a", "b", "r"]


def test_a_comfyui_task_also_declares_its_named_inputs() -> None:
    comfy = task(
        "restore", target_url="t", source_url="s", inputs={"mask": "m", "style": "data:x", "again": "t"}
    )
    assert task_inputs(comfy) == ["t", "s", "m", "data:x"]


def test_malformed_named_inputs_are_refused_at_creation_and_not_leased(tmp_path: Path) -> None:
    settings = service_settings(tmp_path)
    settings.comfyui.url = "http://comfy.invalid"
    for inputs in ({"mask": 3}, {"mask": ""}, ["m"]):
        comfy = task("restore", target_url="t", inputs=inputs, workflow={"1": {"class_type": "LoadImage"}})
        assert task_inputs(comfy) == ["t"]
        with pytest.raises(BadOptionError, match="inputs"):
            check_workflow(comfy, settings)
