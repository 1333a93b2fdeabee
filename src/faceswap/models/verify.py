"""Model file integrity: zlib CRC32 of a file against its ``<name>.hash`` sidecar (8 hex chars).

The sidecar format is the one FaceFusion publishes beside every model file, so a models directory
copied from a FaceFusion install (files and sidecars) verifies as is.
"""

from __future__ import annotations

import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from faceswap.choices import VerifyOutcome

CHUNK_BYTES = 1 << 20
_HASH_RE = re.compile(r"^[0-9a-f]{8}$")


@dataclass(frozen=True)
class Verification:
    """The result of checking one file against its sidecar."""

    path: Path
    outcome: VerifyOutcome
    expected: str | None = None
    actual: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    def describe(self) -> str:
        if self.outcome == "ok":
            return f"ok ({self.actual})"
        if self.outcome == "missing":
            return f"missing ({self.path} does not exist)"
        if self.outcome == "missing_sidecar":
            return f"no hash sidecar to check against (CRC32 {self.actual})"
        if self.expected is None:
            return "unreadable hash sidecar"
        return f"CRC32 mismatch: expected {self.expected}, got {self.actual}"


def format_crc32(value: int) -> str:
    """The sidecar spelling of a CRC32: 8 lowercase hex digits."""
    return f"{value & 0xFFFFFFFF:08x}"


def parse_hash(text: str) -> str | None:
    """The CRC32 in a sidecar's text (surrounding whitespace ignored), or None when it is not one."""
    value = text.strip().lower()
    return value if _HASH_RE.match(value) else None


def crc32_update(crc: int, path: Path) -> int:
    """Continues a running CRC32 over the bytes of ``path`` (streamed, never loaded whole)."""
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            crc = zlib.crc32(chunk, crc)
    return crc


def crc32_file(path: Path) -> str:
    """The CRC32 of a whole file, spelled as in a sidecar."""
    return format_crc32(crc32_update(0, path))


def read_sidecar(path: Path) -> str | None:
    """The CRC32 a sidecar holds; None when it is absent or does not hold one."""
    try:
        return parse_hash(path.read_text(encoding="ascii", errors="replace"))
    except FileNotFoundError:
        return None


def write_sidecar(path: Path, crc: str) -> None:
    """Writes a sidecar atomically (temporary file, then rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(crc, encoding="ascii")
    os.replace(tmp, path)


def verify_file(path: Path, sidecar: Path) -> Verification:
    """Recomputes the CRC32 of ``path`` and compares it with ``sidecar``."""
    if not path.is_file():
        return Verification(path=path, outcome="missing")
    actual = crc32_file(path)
    if not sidecar.is_file():
        return Verification(path=path, outcome="missing_sidecar", actual=actual)
    expected = read_sidecar(sidecar)
    outcome: VerifyOutcome = "ok" if expected == actual else "mismatch"
    return Verification(path=path, outcome=outcome, expected=expected, actual=actual)
