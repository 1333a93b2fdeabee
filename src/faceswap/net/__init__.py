"""SSRF-safe fetching of user-supplied URLs (inputs, webhooks): checked addresses, capped bytes and time."""

from faceswap.net.addresses import AddressPolicy, forbidden_reason
from faceswap.net.fetch import FetchedInput, FetchLimits, GuardedClient, fetch_url, redact
from faceswap.net.transport import GuardedTransport, Resolver, system_resolver

__all__ = [
    "AddressPolicy",
    "FetchLimits",
    "FetchedInput",
    "GuardedClient",
    "GuardedTransport",
    "Resolver",
    "fetch_url",
    "forbidden_reason",
    "redact",
    "system_resolver",
]
