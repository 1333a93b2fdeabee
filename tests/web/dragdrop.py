"""Drag-and-drop for the browser tests: a DataTransfer holding real files, built in the page from the test's
bytes, and the drag events a drop sends to a zone."""

from __future__ import annotations

import base64
import mimetypes
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Payload:
    """One file as the browser will see it: its name, MIME type and bytes."""

    name: str
    type: str
    data: bytes

    @classmethod
    def of(cls, path: Path, type: str | None = None) -> Payload:
        return cls(path.name, type or mimetypes.guess_type(path.name)[0] or "", path.read_bytes())


def transfer(page: Any, files: Sequence[Payload] = (), text: str | None = None) -> Any:
    """A handle on a ``DataTransfer`` in the page holding ``files`` (``File`` objects) and optional text."""
    spec = [{"name": f.name, "type": f.type, "data": base64.b64encode(f.data).decode("ascii")} for f in files]
    return page.evaluate_handle(
        """([files, text]) => {
            const transfer = new DataTransfer();
            for (const { name, type, data } of files) {
                const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            if (text !== null) transfer.setData("text/plain", text);
            return transfer;
        }""",
        [spec, text],
    )


def zone(page: Any, name: str) -> Any:
    """The drop zone of the input named ``name`` (source, target, face-0, ...)."""
    return page.locator(f".dropzone[data-name='{name}']")


def drop(page: Any, where: Any, *files: Payload) -> None:
    """What a drop of ``files`` on ``where`` sends it: dragenter, dragover, drop, with the same DataTransfer."""
    data = transfer(page, files)
    for kind in ("dragenter", "dragover", "drop"):
        where.dispatch_event(kind, {"dataTransfer": data})
    settled(page)


def settled(page: Any) -> None:
    """Waits until no zone is still reading a file it was given (its content is checked before it is taken)."""
    page.wait_for_function("!document.querySelector('.dropzone[aria-busy]')")


def dispatch(page: Any, where: Any, kind: str, data: Any, related: Any = None) -> dict[str, Any]:
    """Sends one drag event to ``where``; returns whether the page cancelled it and the drop effect it set."""
    result: dict[str, Any] = where.evaluate(
        """(el, [kind, data, related]) => {
            const event = new DragEvent(kind, {
                bubbles: true, cancelable: true, composed: true, dataTransfer: data, relatedTarget: related,
            });
            el.dispatchEvent(event);
            return { cancelled: event.defaultPrevented, dropEffect: data.dropEffect };
        }""",
        [kind, data, related],
    )
    return result
