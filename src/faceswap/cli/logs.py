"""The process's logging: level, text or JSON lines, secrets redacted, and no traceback for a task's
expected failure.

A task that fails with a :class:`~faceswap.errors.FaceswapError` (no face, a bad input, a missing model,
a cancel) is logged once by the worker as one line with the task id and the error code
(``faceswap.service.worker.run``); SAQ's own "Error processing job" record of the same failure, with its
traceback, is dropped. Unexpected exceptions keep SAQ's traceback.
"""

from __future__ import annotations

import logging
from typing import Literal

from pythonjsonlogger.json import JsonFormatter

from faceswap import redact
from faceswap.errors import FaceswapError

LogFormat = Literal["text", "json"]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = ("asctime", "levelname", "name", "message")
QUEUE_LOGGER = "saq"


class ExpectedTaskErrors(logging.Filter):
    """Drops a record whose exception is a :class:`FaceswapError` (already logged as one line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], FaceswapError))


def formatter(log_format: LogFormat) -> logging.Formatter:
    """Text lines, or one JSON object per line with ``asctime``, ``levelname``, ``name``, ``message`` and
    any ``extra`` fields (``task_id``, ``code``)."""
    if log_format == "json":
        return JsonFormatter(list(JSON_FIELDS))
    return logging.Formatter(TEXT_FORMAT)


def configure(level: int, log_format: LogFormat) -> None:
    """Sets up the root logger once for the process (a CLI entry point calls it)."""
    handler = logging.StreamHandler()
    handler.setFormatter(formatter(log_format))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    queue_logger = logging.getLogger(QUEUE_LOGGER)
    if not any(isinstance(f, ExpectedTaskErrors) for f in queue_logger.filters):
        queue_logger.addFilter(ExpectedTaskErrors())
    redact.install()  # no key, token or URL password reaches the log
