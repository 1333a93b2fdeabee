"""Worker tokens for ``/api/comm/*``: separate from user API keys, compared in constant time.

``service.worker_tokens`` holds comma-separated entries, each a plain token or ``sha256:<64 hex>`` (the
SHA-256 of the token, so the configuration need not hold the secret itself). A request presents its token
as ``Authorization: Bearer <token>``. Every presented token is hashed and compared against every configured
digest with :func:`hmac.compare_digest`, without stopping at the first match, so timing tells nothing
about which entry (or how much of one) matched. With no entry configured the worker routes are disabled.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from pydantic import SecretStr

from faceswap.errors import BadOptionError, NotFoundError, UnauthorizedError

HASHED_PREFIX = "sha256:"
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")


def token_digest(token: str) -> bytes:
    """The SHA-256 of a token (what a ``sha256:`` entry holds, in hex)."""
    return hashlib.sha256(token.encode()).digest()


def parse_tokens(configured: SecretStr | None) -> tuple[bytes, ...]:
    """The digests of the configured tokens; ``BadOptionError`` for a malformed ``sha256:`` entry."""
    if configured is None:
        return ()
    digests = []
    for raw in configured.get_secret_value().split(","):
        entry = raw.strip()
        if not entry:
            continue
        if entry.startswith(HASHED_PREFIX):
            hexdigest = entry[len(HASHED_PREFIX) :]
            if not _HEX_DIGEST.fullmatch(hexdigest):
                raise BadOptionError("a hashed worker token is sha256: followed by 64 hex digits")
            digests.append(bytes.fromhex(hexdigest))
        else:
            digests.append(token_digest(entry))
    return tuple(digests)


@dataclass(frozen=True)
class WorkerTokens:
    """The configured worker tokens (as digests)."""

    digests: tuple[bytes, ...]

    @classmethod
    def from_setting(cls, configured: SecretStr | None) -> WorkerTokens:
        return cls(parse_tokens(configured))

    @property
    def enabled(self) -> bool:
        return bool(self.digests)

    def accepts(self, token: str) -> bool:
        presented = token_digest(token)
        matched = False
        for digest in self.digests:
            matched |= hmac.compare_digest(presented, digest)
        return matched

    def check(self, authorization: str | None) -> None:
        """Raises unless ``authorization`` (the header) carries a configured token.

        ``NotFoundError`` when no token is configured (the routes are disabled), ``UnauthorizedError``
        when the header is missing, not ``Bearer``, or holds a token that is not configured.
        """
        if not self.enabled:
            raise NotFoundError("the worker routes are disabled: no worker token is configured")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise UnauthorizedError("a worker token is required (Authorization: Bearer <token>)")
        if not self.accepts(token.strip()):
            raise UnauthorizedError("the worker token is not valid")
