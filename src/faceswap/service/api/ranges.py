"""HTTP byte ranges of downloads (``Range: bytes=START-END``), so a browser can seek in a result video.

One range per request (what media elements ask for); anything else in the header (several ranges, other
units, a malformed value) is ignored and the whole file sent, as RFC 9110 allows. A range that starts past
the end is unsatisfiable (416). The storage streams just the range (``Storage.stream(start=, stop=)``: a
seek, or a ranged request to S3 or GCS).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$")


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` inclusive of a file of ``size`` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    @property
    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end}/{self.size}"


class UnsatisfiableRangeError(Exception):
    """The range starts at or past the end of the file."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range ``header`` asks of a file of ``size`` bytes; None for the whole file (no header, or one
    this module does not serve); :class:`UnsatisfiableRangeError` when it lies past the end."""
    found = _SINGLE.match(header or "")
    if found is None:
        return None
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes (an empty file has none: RFC 9110 answers 416)
        count = int(last)
        if count == 0 or size == 0:
            raise UnsatisfiableRangeError(header)
        return ByteRange(max(0, size - count), size - 1, size)
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size:
        raise UnsatisfiableRangeError(header)
    if end < start:
        return None
    return ByteRange(start, end, size)
