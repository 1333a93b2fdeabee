"""Fetch a user-supplied URL: checked addresses on every hop, capped bytes, capped time.

``GuardedClient`` is an :class:`httpx.AsyncClient` on a :class:`~faceswap.net.transport.GuardedTransport`
that ignores proxy settings and follows at most ``fetch.max_redirects`` redirects; use it for every
request to a URL a user gave (inputs, webhooks). :func:`fetch_url` GETs one into memory.

Errors (stable codes): ``url_forbidden`` (scheme or address refused, on any hop), ``input_too_large``
(over ``max_bytes``, by ``Content-Length`` or while streaming), ``url_fetch_timeout`` (over the total
time cap, however slowly the bytes trickle; final, so a task waits for an input at most one cap),
``url_unusable`` (4xx, too many redirects: retrying will not help) and ``url_fetch_failed`` (network
failures, a connection not made within ``connect_timeout_s``, 5xx, 408 and 429: transient).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from dataclasses import dataclass

import httpx

from faceswap.config import FetchSettings, Settings
from faceswap.errors import (
    InputTooLargeError,
    UrlFetchError,
    UrlForbiddenError,
    UrlTimeoutError,
    UrlUnusableError,
)
from faceswap.net.addresses import AddressPolicy, parse_ip
from faceswap.net.transport import ALLOWED_SCHEMES, GuardedTransport, Resolver, system_resolver

logger = logging.getLogger(__name__)

USER_AGENT = "faceswap"
_TRANSIENT_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class FetchLimits:
    """At most ``max_bytes`` of body, and ``timeout_s`` for the whole fetch (redirects and body included)."""

    max_bytes: int
    timeout_s: float

    @classmethod
    def from_settings(cls, settings: Settings) -> FetchLimits:
        return cls(max_bytes=settings.limits.max_bytes, timeout_s=settings.fetch.timeout_s)


@dataclass(frozen=True)
class FetchedInput:
    """A fetched body: its bytes, the ``Content-Type`` the server claimed, and the URL after redirects.

    The type that counts is the content's (:func:`faceswap.limits.check_media`), not ``content_type``.
    """

    data: bytes
    content_type: str | None
    url: str


class GuardedClient(httpx.AsyncClient):
    """An ``httpx.AsyncClient`` for user-supplied URLs: guarded transport, no proxies, capped redirects."""

    def __init__(
        self,
        fetch: FetchSettings,
        *,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        policy = AddressPolicy.from_entries(fetch.allow_private)
        super().__init__(
            transport=GuardedTransport(policy, resolver=resolver, verify=verify, inner=inner),
            trust_env=False,
            follow_redirects=True,
            max_redirects=fetch.max_redirects,
            timeout=httpx.Timeout(fetch.timeout_s, connect=fetch.connect_timeout_s),
            headers={"User-Agent": USER_AGENT},
        )


def redact(url: str | httpx.URL) -> str:
    """``url`` fit for messages and logs: no user info, query or fragment (they may hold secrets)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    return str(parsed.copy_with(username=None, password=None, query=None, fragment=None))


def check_url(url: str) -> httpx.URL:
    """``url`` parsed; :class:`UrlForbiddenError` unless it is an absolute http(s) URL with a host."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UrlForbiddenError(f"not a valid URL: {exc}") from exc
    if parsed.scheme not in ALLOWED_SCHEMES:
        raise UrlForbiddenError(f"only http and https URLs are fetched, not {parsed.scheme or 'no'} scheme")
    if not parsed.host:
        raise UrlForbiddenError("the URL has no host")
    return parsed


LOCAL_NAMES = ("localhost", "localhost.localdomain")
"""Names that always mean this machine (RFC 6761 reserves ``localhost`` and every name under it)."""


def check_literal(url: str, policy: AddressPolicy) -> None:
    """What can be refused about ``url`` without resolving a name, as soon as a user gives it (creating a
    task): not an http(s) URL with a host, an IP literal host that ``policy`` refuses (loopback,
    private, link-local ...), or a ``localhost`` name that ``policy.hosts`` does not list. Raises
    :class:`UrlForbiddenError`. Names that resolve to forbidden addresses are refused when fetched
    (the answer of DNS can change)."""
    parsed = check_url(url)
    host = parsed.host.rstrip(".").lower()
    address = parse_ip(host)
    if address is not None:
        reason = policy.refusal(host, address)
        if reason is not None:
            raise UrlForbiddenError(f"{redact(parsed)} is refused: {address} is {reason}")
    elif (host in LOCAL_NAMES or host.endswith(".localhost")) and host not in policy.hosts:
        raise UrlForbiddenError(f"{redact(parsed)} is refused: {host} is this machine (loopback)")


async def fetch_url(url: str, *, limits: FetchLimits, client: GuardedClient) -> FetchedInput:
    """GETs ``url`` through ``client`` into memory, within ``limits`` (see the module for errors)."""
    parsed = check_url(url)
    shown = redact(parsed)
    try:
        async with asyncio.timeout(limits.timeout_s):
            return await _get(client, parsed, limits.max_bytes, shown)
    except TimeoutError:
        raise UrlTimeoutError(f"fetching {shown} took longer than {limits.timeout_s:g} s") from None
    except httpx.TooManyRedirects as exc:
        raise UrlUnusableError(f"{shown} redirected too many times: {exc}") from exc
    except httpx.UnsupportedProtocol as exc:
        raise UrlForbiddenError(f"{shown} redirected to a URL that is not http or https") from exc
    except httpx.ConnectTimeout as exc:  # no connection: a network failure, worth another try
        raise UrlFetchError(f"cannot connect to {shown}: connection timed out") from exc
    except httpx.TimeoutException as exc:
        raise UrlTimeoutError(f"fetching {shown} timed out: {type(exc).__name__}") from exc
    except httpx.HTTPError as exc:
        raise UrlFetchError(f"cannot fetch {shown}: {exc or type(exc).__name__}") from exc


async def _get(client: GuardedClient, url: httpx.URL, max_bytes: int, shown: str) -> FetchedInput:
    async with client.stream("GET", url) as response:
        _check_status(response, shown)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise InputTooLargeError(f"{shown} is {declared} bytes; the limit is {max_bytes}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            if len(body) + len(chunk) > max_bytes:
                raise InputTooLargeError(f"{shown} is larger than the limit of {max_bytes} bytes")
            body += chunk
        final = response.url
    logger.debug("fetched %d bytes from %s (%d redirects)", len(body), shown, len(response.history))
    return FetchedInput(data=bytes(body), content_type=response.headers.get("Content-Type"), url=str(final))


def _check_status(response: httpx.Response, shown: str) -> None:
    status = response.status_code
    if response.is_success:
        return
    if status >= 500 or status in _TRANSIENT_STATUSES:
        raise UrlFetchError(f"{shown} answered HTTP {status}")
    raise UrlUnusableError(f"{shown} answered HTTP {status}")
