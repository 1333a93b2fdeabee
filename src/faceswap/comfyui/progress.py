"""Following one prompt through ComfyUI's ``/ws`` messages: how far it is, and whether it has ended.

Messages (ComfyUI's server): ``execution_start``, ``execution_cached`` (``nodes`` skipped from cache),
``executing`` (``node`` now running; ``null`` when the prompt has finished), ``progress`` (``value`` of
``max`` within the running node), ``executed`` (a node's ``output``), ``execution_success``,
``execution_error`` and ``execution_interrupted``. Messages of other prompts (another client's, or
``status`` without a prompt id) are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from faceswap.comfyui.graph import describe_error, describe_interruption
from faceswap.errors import ComfyUIExecutionError

Message = dict[str, Any]


@dataclass
class PromptProgress:
    """The state of prompt ``prompt_id``, of which ComfyUI runs ``total`` nodes (those feeding an output
    node: :func:`faceswap.comfyui.graph.nodes_to_run`, not every node of the graph)."""

    prompt_id: str
    total: int
    done: set[str] = field(default_factory=set)
    running: str | None = None
    within: float = 0.0
    finished: bool = False

    @property
    def fraction(self) -> float:
        """Nodes done (cached ones included) plus the running node's own progress, over ``total``."""
        if self.finished:
            return 1.0
        current = self.within if self.running is not None and self.running not in self.done else 0.0
        return min(1.0, (len(self.done) + current) / max(1, self.total))

    def update(self, message: Message) -> bool:
        """Applies one message; True once the prompt has finished well. An execution error raises
        ``comfyui_execution_error``; an interruption this task did not ask for raises it too."""
        kind, data = message.get("type"), message.get("data") or {}
        if data.get("prompt_id") != self.prompt_id:
            return self.finished
        if kind == "execution_cached":
            self.done.update(str(n) for n in data.get("nodes") or [])
        elif kind == "executing":
            self._finish_running()
            node = data.get("node")
            if node is None:
                self.finished = True
            else:
                self.running, self.within = str(node), 0.0
        elif kind == "progress":
            maximum = float(data.get("max") or 0)
            if maximum > 0:
                self.within = min(1.0, float(data.get("value") or 0) / maximum)
        elif kind == "executed":
            self.done.add(str(data.get("node")))
        elif kind == "execution_success":
            self._finish_running()
            self.finished = True
        elif kind == "execution_error":
            raise ComfyUIExecutionError(describe_error(data))
        elif kind == "execution_interrupted":
            raise ComfyUIExecutionError(describe_interruption(data))
        return self.finished

    def _finish_running(self) -> None:
        if self.running is not None:
            self.done.add(self.running)
            self.running, self.within = None, 0.0
