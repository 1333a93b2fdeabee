"""Secrets out of log lines: API keys, bearer tokens, ``X-API-Key`` values, passwords in URLs.

:func:`redact` is a pure function; :class:`RedactFilter` applies it to every record a handler emits. The
CLI installs the filter on the root handler once (``faceswap -v ...``), and the server's access log goes
through that handler too. The code never logs a key on purpose; this is the net under it.
"""

from __future__ import annotations

import logging
import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 [redacted]"),
    (
        re.compile(
            r"(?i)\b(x-api-key|api[_-]?key|token|authorization)(['\"]?\s*[:=]\s*['\"]?)(?!bearer\s|basic\s)[^\s'\",&]+"
        ),
        r"\1\2[redacted]",
    ),
    (re.compile(r"\bfsk_[A-Za-z0-9_-]{8,}"), "fsk_[redacted]"),
    (re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^/\s:@]*):([^/\s@]+)@"), r"\1\2:[redacted]@"),
)


def redact(text: str) -> str:
    """``text`` with credentials replaced by ``[redacted]``."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactFilter(logging.Filter):
    """Rewrites each record's message (arguments merged) with :func:`redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Adds a :class:`RedactFilter` to every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactFilter) for f in handler.filters):
            handler.addFilter(RedactFilter())
