"""An API key's record (never the key itself), and how keys are made and hashed.

A key is ``fsk_`` plus 43 URL-safe characters (256 random bits). Only its SHA-256 is stored: a key has
that much entropy, so a fast hash is enough (no salt or slow hash is needed, unlike for passwords), and a
lookup by digest is one index read on every backend.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from faceswap.errors import BadOptionError

KEY_PREFIX: Final = "fsk_"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


def new_secret() -> str:
    """A new API key (shown once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(secret: str) -> str:
    """The SHA-256 of a key in hex: what the store keeps and looks keys up by."""
    return hashlib.sha256(secret.encode()).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise BadOptionError(
            f"a key name is 1-64 letters, digits, '_', '.', '@' or '-', starting with a letter or digit; "
            f"got {name!r}"
        )
    return name


@dataclass(frozen=True)
class ApiKey:
    """A stored key: ``id`` is what tasks and files record as their owner (names can be reused)."""

    id: str
    name: str
    digest: str
    created: datetime
    rate_limit_per_minute: float | None = None

    @classmethod
    def new(cls, name: str, rate_limit_per_minute: float | None) -> tuple[ApiKey, str]:
        """A new record and its key."""
        if rate_limit_per_minute is not None and rate_limit_per_minute <= 0:
            raise BadOptionError("a rate limit must be a positive number of requests per minute")
        secret = new_secret()
        key = cls(
            id=secrets.token_hex(8),
            name=check_name(name),
            digest=key_digest(secret),
            created=datetime.now(UTC),
            rate_limit_per_minute=rate_limit_per_minute,
        )
        return key, secret

    def dump(self) -> dict[str, Any]:
        """The record as JSON (for stores and ``faceswap keys list --json``)."""
        return {
            "id": self.id,
            "name": self.name,
            "digest": self.digest,
            "created": self.created.isoformat(),
            "rate_limit_per_minute": self.rate_limit_per_minute,
        }

    @classmethod
    def load(cls, data: dict[str, Any]) -> ApiKey:
        limit = data.get("rate_limit_per_minute")
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            digest=str(data["digest"]),
            created=datetime.fromisoformat(str(data["created"])),
            rate_limit_per_minute=None if limit is None else float(limit),
        )
