"""One error hierarchy with stable codes, translated at the edges.

Every error the library raises on purpose is a :class:`FaceswapError`. Each subclass fixes a stable
``code`` (clients match on it), the CLI exit code and the HTTP status the API answers with, and
whether a task that failed with it may be retried (``transient``).
"""

from __future__ import annotations

import logging
import re
from pathlib import PureWindowsPath
from typing import ClassVar

_ABSOLUTE_PATH = re.compile(r"""(?<![\w:/.~-])/(?!api/)(?:[^/\s'"]+/)+([^/\s'"]*)""")
"""An absolute file path of two parts or more (not one of the API's own ``/api/...`` routes)."""
MAX_PUBLIC_MESSAGE = 500


def public_message(message: str) -> str:
    """``message`` as clients may see it: absolute file paths cut to their last part (a worker's scratch
    and data folders are not the client's business) and at most ``MAX_PUBLIC_MESSAGE`` characters."""
    cleaned = _ABSOLUTE_PATH.sub(r"\1", message)
    if len(cleaned) > MAX_PUBLIC_MESSAGE:
        cleaned = cleaned[: MAX_PUBLIC_MESSAGE - 3] + "..."
    return cleaned


class FaceswapError(Exception):
    """Base of every error with a stable code."""

    code: ClassVar[str] = "internal_error"
    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 500
    transient: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    public_text: str | None = None
    """What clients see instead of the message when it differs (set by subclasses that know more)."""

    def public(self) -> str:
        """The message as clients see it (a task's error, an HTTP answer): :func:`public_message` of
        :attr:`public_text` or the message."""
        return public_message(self.public_text or self.message)

    def to_dict(self) -> dict[str, str]:
        """The ``{code, message}`` clients see: the code and :meth:`public`."""
        return {"code": self.code, "message": self.public()}


class BadOptionError(FaceswapError):
    """An option or argument has a value the program cannot use."""

    code = "bad_option"
    exit_code = 2
    http_status = 422


class EncoderUnavailableError(BadOptionError):
    """The video encoder asked for is not in this build of PyAV/FFmpeg, or cannot open on this machine
    (NVENC without an NVIDIA GPU that has it)."""

    code = "encoder_unavailable"


class InputError(FaceswapError):
    """A user-supplied input is unusable."""

    code = "bad_input"
    exit_code = 3
    http_status = 422


class UnreadableInputError(InputError):
    """The file exists but cannot be decoded (corrupt or truncated)."""

    code = "unreadable_input"


class UnsupportedFormatError(InputError):
    """The file's content is of a type the program does not handle."""

    code = "unsupported_format"
    http_status = 415


class InputTooLargeError(InputError):
    """The input is over a configured size, pixel or duration limit."""

    code = "input_too_large"
    http_status = 413


class NoFaceError(InputError):
    """No face was found where one is needed."""

    code = "no_face"
    exit_code = 4


class NoFaceInSourceError(NoFaceError):
    code = "no_face_in_source"


class NoFaceInTargetError(NoFaceError):
    code = "no_face_in_target"


class NoMatchingFaceError(NoFaceError):
    """Faces were found in the target but none matches the reference person."""

    code = "no_matching_face"


class ModelError(FaceswapError):
    """A model file is missing, corrupt or does not have the expected signature."""

    code = "model_error"
    exit_code = 5
    http_status = 503


class ModelMissingError(ModelError):
    """A model is not installed; the message names the download command."""

    code = "model_missing"

    def __init__(self, name: str, path: str, *, others: tuple[str, ...] = ()) -> None:
        if others:
            names = (name, *others)
            message = (
                f"models {', '.join(repr(n) for n in names)} are not installed; "
                f"run `faceswap models download {' '.join(names)}` or copy the files to the models folder"
            )
        else:
            message = (
                f"model {name!r} is not installed (expected at {path}); "
                f"run `faceswap models download {name}` or copy the file there"
            )
        super().__init__(message)
        self.model_name = name
        if not others:  # the client learns the file's name, not the server's folder (of any system)
            file_name = PureWindowsPath(path).name
            self.public_text = (
                f"model {name!r} is not installed (no {file_name} in the server's models folder); "
                f"run `faceswap models download {name}`"
            )


class ModelHashMismatchError(ModelError):
    code = "model_hash_mismatch"


class ModelSignatureError(ModelError):
    """The ONNX file does not have the inputs and outputs its catalog entry describes."""

    code = "model_signature"


class DownloadError(FaceswapError):
    """A model or input download failed."""

    code = "download_failed"
    exit_code = 6
    http_status = 502
    transient = True


class CancelledError(FaceswapError):
    """The work was cancelled by the user; nothing was written."""

    code = "cancelled"
    exit_code = 130
    http_status = 409


class NotFoundError(FaceswapError):
    code = "not_found"
    exit_code = 7
    http_status = 404


class ConflictError(FaceswapError):
    code = "conflict"
    exit_code = 8
    http_status = 409


class TaskNotRetryableError(ConflictError):
    """A retry was asked for a task that has not ended FAILED or CANCELLED (it waits, runs or completed),
    or that another request retried first."""

    code = "task_not_retryable"


class EngineUnavailableError(FaceswapError):
    """An engine or runtime is temporarily unreachable (remote engine, GPU busy)."""

    code = "engine_unavailable"
    exit_code = 9
    http_status = 503
    transient = True


class OutputError(FaceswapError):
    """A result could not be written (missing directory, permission denied, disk full)."""

    code = "output_failed"
    exit_code = 10
    http_status = 500


class QueueUnavailableError(FaceswapError):
    """The task queue cannot be used: not connected, unreachable, or its storage is of a newer version."""

    code = "queue_unavailable"
    exit_code = 11
    http_status = 503
    transient = True


class InvalidKeyError(BadOptionError):
    """A storage key is not a plain relative name (``..``, absolute, backslash, NUL, odd characters)."""

    code = "invalid_key"


class StorageUnavailableError(FaceswapError):
    """The object storage cannot be reached or written (missing root, permissions, service down)."""

    code = "storage_unavailable"
    exit_code = 12
    http_status = 503
    transient = True


class TaskTimeoutError(FaceswapError):
    """A task ran longer than its type's time limit, or a caller stopped waiting for it."""

    code = "timeout"
    exit_code = 13
    http_status = 504


class WorkerLostError(FaceswapError):
    """The worker running a task stopped answering (killed, crashed) and the task had no attempts left."""

    code = "worker_lost"
    exit_code = 14
    http_status = 500
    transient = True


class InputExpiredError(FaceswapError):
    """A task cannot be retried because an input it names is no longer stored (retention deleted the upload)."""

    code = "input_expired"
    exit_code = 18
    http_status = 410


class NoGpuError(FaceswapError):
    """GPUs were asked for (``faceswap worker --devices``) and the machine shows none."""

    code = "no_gpu"
    exit_code = 19
    http_status = 503


class UrlForbiddenError(InputError):
    """A URL is refused. A user-supplied URL is not fetched: not http(s), or its host is (or resolves to) a
    forbidden address (loopback, private, link-local, CGNAT, multicast, reserved) that no operator
    allow-list entry admits. A remote worker's result URL is not stored: it does not link to a file its
    attempt uploaded (:mod:`faceswap.service.comm.result_urls`)."""

    code = "url_forbidden"


class UrlFetchError(DownloadError):
    """A user-supplied URL could not be fetched: network failure, or the server answered 5xx, 408 or 429."""

    code = "url_fetch_failed"


class UrlTimeoutError(UrlFetchError):
    """Fetching a user-supplied URL (redirects and body together) took longer than its time cap. Final: the
    cap is the one deadline of an input's fetch, and a retry would hold a worker for another whole cap."""

    code = "url_fetch_timeout"
    transient = False


class UrlUnusableError(InputError):
    """A user-supplied URL answered in a way retrying will not fix: a 4xx status or too many redirects."""

    code = "url_unusable"


class UnauthorizedError(FaceswapError):
    """A request lacks valid credentials (a worker token on ``/api/comm/*``)."""

    code = "unauthorized"
    exit_code = 15
    http_status = 401


class RateLimitedError(FaceswapError):
    """An API key made more requests than its rate limit allows; ``retry_after`` seconds until the next."""

    code = "rate_limited"
    exit_code = 17
    http_status = 429
    transient = True

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class LeaseLostError(ConflictError):
    """A remote worker's lease on a task is no longer held: it expired and the task went back to the
    queue (or to another worker), or the task finished meanwhile."""

    code = "lease_lost"


class AttemptSupersededError(LeaseLostError):
    """A task attempt no longer owns its task: the task was swept and re-queued, claimed by another
    attempt, or finished by one. Its writes and uploads are refused and what it uploaded is deleted."""

    code = "attempt_superseded"


class ComfyUIUnavailableError(EngineUnavailableError):
    """The ComfyUI server cannot be reached (refused, network failure, 5xx, websocket dropped)."""

    code = "comfyui_unavailable"


class ComfyUIExecutionError(FaceswapError):
    """ComfyUI refused the workflow or reported an error while running it (a node failed)."""

    code = "comfyui_execution_error"
    exit_code = 16
    http_status = 502


class RemoteEngineUnavailableError(EngineUnavailableError):
    """The remote swap service (``FACE_SWAP_API_URL``) did not answer, or answered 5xx, on every try."""

    code = "remote_engine_unavailable"


def error_for_code(code: str) -> type[FaceswapError]:
    """The error class with ``code`` (for an error reported by another service or a task); the base if none."""
    pending: list[type[FaceswapError]] = [FaceswapError]
    while pending:
        cls = pending.pop()
        if cls.code == code:
            return cls
        pending.extend(cls.__subclasses__())
    return FaceswapError


def recorded_error(code: str, message: str) -> FaceswapError:
    """The error recorded or reported as ``{code, message}``, of the class with ``code`` (only the code and
    message travel, so a subclass' own ``__init__``, whose arguments may differ, is skipped)."""
    cls = error_for_code(code)
    error = cls.__new__(cls)
    FaceswapError.__init__(error, message)
    return error


def log_level(error: FaceswapError) -> int:
    """How loud a task's failure with ``error`` is in the log: INFO for a cancel or a client's error (no
    face, a bad input or option: the 4xx codes), WARNING for the rest (a missing model, an outage). One
    line with the code, never a traceback: unexpected exceptions alone keep theirs."""
    if isinstance(error, CancelledError) or error.http_status < 500:
        return logging.INFO
    return logging.WARNING
