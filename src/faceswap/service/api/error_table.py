"""The error table clients show errors from: every stable error code with what it means in plain words
(``title``), what to do next (``hint``), its HTTP status and whether retrying may help (``transient``).

The table is built from :mod:`faceswap.errors` (every :class:`FaceswapError` class' code, status and
``transient``), plus the codes the HTTP edge answers with on its own (``bad_request``); ``GET
/api/options`` serves it as ``errors``, and the web page shows its errors from it. ``show_message`` marks
the codes whose server message is the useful part (which file, which limit, which models and the command
that installs them), shown as it is rather than folded under "Details".
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from faceswap.errors import FaceswapError

FORMATS = "JPEG, PNG, WebP, GIF or BMP photos and MP4, MOV, WebM, MKV or AVI videos"
RETRY = "Wait a minute and start it again. If it keeps happening, tell whoever runs this server."
DAMAGED = (
    "The chosen engine's model files are damaged.",
    "Choose another engine, or ask the server's owner to download the models again.",
)
NOT_DOWNLOADED = (
    "An input could not be downloaded.",
    "Check the link, or download the file and upload it here.",
)
LOST_TO_ANOTHER = ("The machine working on this lost it to another.", "It is being run again; wait for it.")

WORDS: dict[str, tuple[str, str]] = {
    "no_face_in_source": (
        "No face was found in the face photo.",
        "Use a clear, well-lit photo where the face looks at the camera and fills a good part of the picture.",
    ),
    "no_face_in_target": (
        "No face was found in the picture to change.",
        "Pick a picture where the faces are visible, not too small and not turned away.",
    ),
    "no_matching_face": (
        "The chosen person was not found.",
        "Pick the person again, loosen \u201cWhich faces\u201d under Advanced, or set \u201cFaces to change\u201d"
        " to every face.",
    ),
    "no_face": ("No face was found.", "Use pictures where faces are clearly visible."),
    "unsupported_format": ("This kind of file is not supported.", f"Use {FORMATS}."),
    "input_too_large": (
        "The file is over this server's limits.",
        "Use a smaller file, a picture with fewer pixels or a shorter video.",
    ),
    "unreadable_input": (
        "The file could not be read.",
        "It may be damaged or incomplete: export or download it again.",
    ),
    "bad_input": ("One of the files cannot be used.", f"Check that you picked the right files ({FORMATS})."),
    "bad_option": ("One of the settings cannot be used.", "Go back to the defaults and try again."),
    "encoder_unavailable": (
        "This server cannot write videos with the chosen encoder.",
        "Choose another encoder (the list shows the ones this server has), or leave it at its default.",
    ),
    "bad_request": ("The request was not understood.", "Reload the page and try again."),
    "model_missing": (
        "A model this needs is not installed on this server.",
        "Choose another engine or option (the lists grey out what is not installed), or ask the server's"
        " owner to run the command below.",
    ),
    "model_error": DAMAGED,
    "model_hash_mismatch": DAMAGED,
    "model_signature": (
        "The chosen engine's model files are not the expected ones.",
        "Choose another engine, or ask the server's owner to check the models.",
    ),
    "engine_unavailable": ("The engine is busy or unavailable right now.", RETRY),
    "queue_unavailable": ("The service cannot take work right now.", RETRY),
    "storage_unavailable": ("The service cannot store files right now.", RETRY),
    "download_failed": NOT_DOWNLOADED,
    "url_forbidden": ("That link cannot be used.", "Download the file and upload it here instead."),
    "url_fetch_failed": NOT_DOWNLOADED,
    "url_fetch_timeout": (
        "Downloading an input took too long.",
        "Download the file and upload it here instead.",
    ),
    "url_unusable": (
        "The link did not lead to a file.",
        "Check the link, or download the file and upload it here.",
    ),
    "timeout": ("It took too long.", "Try a shorter or smaller video, or a lower output resolution."),
    "worker_lost": ("The machine working on this stopped.", "Start it again."),
    "output_failed": ("The result could not be saved.", RETRY),
    "cancelled": ("Stopped.", "Start it again whenever you like."),
    "not_found": (
        "This is no longer on the server.",
        "Results are kept for a limited time: start it again.",
    ),
    "conflict": ("This was already done or is already running.", "Look for it in the task list."),
    "task_not_retryable": ("This is already running or done.", "The task list shows how it is going."),
    "input_expired": (
        "A file this used is no longer on the server.",
        "Files are kept for a limited time: pick them again and start a new swap.",
    ),
    "internal_error": ("Something went wrong on the server.", RETRY),
    "no_gpu": (
        "The server was asked to use a GPU it does not have.",
        "Tell whoever runs this server: its workers need a GPU or a CPU setting.",
    ),
    "unauthorized": (
        "This server needs an API key.",
        "Paste the key you were given under \u201cAPI key\u201d at the top of the page, then start again.",
    ),
    "invalid_key": ("That file name or id cannot be used.", "Pick the file again and upload it."),
    "rate_limited": (
        "Too many requests with this key right now.",
        "Wait a minute and start again: the key has a limit of requests per minute.",
    ),
    "comfyui_unavailable": ("The workflow server is not answering.", RETRY),
    "comfyui_execution_error": (
        "The workflow failed on the workflow server.",
        "Check the workflow's nodes and inputs; the details say which node failed.",
    ),
    "remote_engine_unavailable": ("The swap service behind this server is not answering.", RETRY),
    "lease_lost": LOST_TO_ANOTHER,
    "attempt_superseded": LOST_TO_ANOTHER,
}
"""Every code's ``(title, hint)``."""

EDGE_CODES: dict[str, int] = {"bad_request": 422}
"""Codes the HTTP edge answers with that no error class carries, with their HTTP status
(:mod:`faceswap.asgi.answers`: a request that fails validation)."""

SHOW_MESSAGE = frozenset({"input_too_large", "unsupported_format", "unreadable_input", "model_missing"})


class ErrorEntry(BaseModel):
    title: str = Field(description="what happened, in plain words")
    hint: str = Field(description="what to do next")
    http_status: int
    transient: bool = Field(description="true: the same request may succeed later")
    show_message: bool = Field(description="true: the server's message is the useful part; show it as it is")


def error_classes() -> list[type[FaceswapError]]:
    """:class:`FaceswapError` and every subclass, parents first."""
    found: list[type[FaceswapError]] = [FaceswapError]
    for cls in found:
        found.extend(sub for sub in cls.__subclasses__() if sub not in found)
    return found


def error_table() -> dict[str, ErrorEntry]:
    """Every error code clients may get, with its words, status and ``transient``."""
    statuses = {cls.code: (cls.http_status, cls.transient) for cls in error_classes()}
    statuses.update({code: (status, False) for code, status in EDGE_CODES.items()})
    return {
        code: ErrorEntry(
            title=WORDS[code][0],
            hint=WORDS[code][1],
            http_status=status,
            transient=transient,
            show_message=code in SHOW_MESSAGE,
        )
        for code, (status, transient) in statuses.items()
    }
