"""The import contracts of pyproject.toml (``lint-imports``): kept by the code, broken by a forbidden import."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest
from importlinter.api import read_configuration
from importlinter.contracts.acyclic_siblings import AcyclicSiblingsContract
from importlinter.contracts.forbidden import ForbiddenContract
from importlinter.contracts.layers import LayersContract
from importlinter.domain.contract import Contract

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
CONTRACT_TYPES: dict[str, type[Contract]] = {
    "layers": LayersContract,
    "forbidden": ForbiddenContract,
    "acyclic_siblings": AcyclicSiblingsContract,
}


def contracts() -> list[Contract]:
    config = read_configuration(str(PYPROJECT))
    found = []
    for options in config["contracts_options"]:
        cls = CONTRACT_TYPES[options["type"]]
        found.append(cls(options["name"], config["session_options"], options))
    return found


def broken(graph: grimp.ImportGraph) -> list[str]:
    """The names of the contracts ``graph`` breaks."""
    return [c.name for c in contracts() if not c.check(graph, verbose=False).kept]


@pytest.fixture
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("faceswap", cache_dir=None)


def add(graph: grimp.ImportGraph, importer: str, imported: str) -> grimp.ImportGraph:
    graph.add_import(importer=importer, imported=imported, line_number=1, line_contents=f"import {imported}")
    return graph


def test_the_code_keeps_every_contract(graph: grimp.ImportGraph) -> None:
    assert len(contracts()) >= 5
    assert broken(graph) == []


def test_a_worker_importing_the_api_breaks_the_layers(graph: grimp.ImportGraph) -> None:
    names = broken(add(graph, "faceswap.service.worker.run", "faceswap.service.api.app"))
    assert any(name.startswith("service layers") for name in names)
    assert "processors and worker never import the API" in names


def test_the_queue_importing_tasks_breaks_the_layers(graph: grimp.ImportGraph) -> None:
    names = broken(add(graph, "faceswap.service.queue.sqlite", "faceswap.service.tasks.model"))
    assert [name for name in names if name.startswith("service layers")]


def test_engine_server_importing_the_api_is_refused(graph: grimp.ImportGraph) -> None:
    names = broken(add(graph, "faceswap.engine_server.app", "faceswap.service.api.envelope"))
    assert any(name.startswith("engine_server") for name in names)


def test_the_protocol_importing_the_service_is_refused(graph: grimp.ImportGraph) -> None:
    names = broken(add(graph, "faceswap.swap_protocol", "faceswap.service.tasks.model"))
    assert any(name.startswith("the swap protocol") for name in names)


def test_a_cycle_between_packages_is_refused(graph: grimp.ImportGraph) -> None:
    names = broken(add(graph, "faceswap.comfyui.graph", "faceswap.service.tasks.model"))
    assert any(name.startswith("no cycles") for name in names)
