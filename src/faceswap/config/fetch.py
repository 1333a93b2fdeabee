"""``fetch``: fetching user-supplied URLs safely (``FACESWAP_FETCH__*``)."""

from __future__ import annotations

import ipaddress
import re

from pydantic import BaseModel, Field, field_validator

_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})")


class FetchSettings(BaseModel):
    """Fetching user-supplied URLs (inputs, webhooks) without reaching the network the service runs in."""

    allow_private: list[str] = Field(
        default_factory=list,
        description="hosts (exact names) and IP networks (CIDR) that may be fetched although private, "
        "loopback or link-local; empty (the default): none",
    )
    timeout_s: float = Field(
        default=60.0, gt=0.0, description="cap on one fetch, redirects and body included"
    )
    connect_timeout_s: float = Field(default=10.0, gt=0.0)
    max_redirects: int = Field(default=5, ge=0, description="redirect hops followed, each one re-checked")

    @field_validator("allow_private")
    @classmethod
    def _check_entries(cls, entries: list[str]) -> list[str]:
        cleaned = [entry.strip().lower() for entry in entries]
        for entry in cleaned:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                if not _HOST_NAME.fullmatch(entry):
                    raise ValueError(f"{entry!r} is neither an IP network nor a host name") from None
        return cleaned
