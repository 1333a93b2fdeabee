"""An httpx transport that resolves a host once, checks every address, and connects to a checked one.

How (the choice, and why): each request's URL is rewritten to the checked IP address and handed to
httpx's own :class:`httpx.AsyncHTTPTransport`. The ``Host`` header stays the original host (httpx set
it when the request was built), and for ``https`` the request carries the ``sni_hostname`` extension
with the original host, which httpcore uses as the TLS server name: SNI and certificate verification
are against the name the user gave, not the IP. No name is resolved a second time anywhere, so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot slip through. This
uses only httpx's documented extension point; the alternative, an httpcore network backend that checks
inside ``connect_tcp``, needs httpx's private connection pool attribute or a re-implementation of
httpx's request mapping.

Because the pool now keys connections by IP, a kept-alive TLS connection made for one host name could
be reused for another name on the same IP without its certificate being checked for that name; the
transport therefore keeps no idle connections (each request connects anew; user URLs are fetched
rarely). It is used through a client built with ``trust_env=False`` (see :mod:`faceswap.net.fetch`),
so proxy variables and ``.netrc`` play no part; redirects come back through the transport one hop at
a time and are checked like the first request.

Refusals raise :class:`~faceswap.errors.UrlForbiddenError` before any connection is attempted;
resolution failures raise :class:`httpx.ConnectError` like any other network failure.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType

import httpx

from faceswap.errors import UrlForbiddenError
from faceswap.net.addresses import AddressPolicy, IPAddress, parse_ip

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Sequence[IPAddress]]
"""``resolver(host, port) -> addresses``; blocking (run in a thread). Default: :func:`system_resolver`."""

ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS: Mapping[str, int] = MappingProxyType({"http": 80, "https": 443})


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address ``socket.getaddrinfo`` gives for ``host`` (TCP), in its order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        address = parse_ip(str(sockaddr[0]))
        if address is not None and address not in addresses:
            addresses.append(address)
    return addresses


def pinned_request(request: httpx.Request, address: IPAddress, host: str) -> httpx.Request:
    """``request`` sent to ``address``: same method, headers (``Host`` included), body and timeouts."""
    extensions = dict(request.extensions)
    if request.url.scheme == "https":
        extensions["sni_hostname"] = host
    return httpx.Request(
        request.method,
        request.url.copy_with(host=str(address)),
        headers=request.headers,
        stream=request.stream,
        extensions=extensions,
    )


class GuardedTransport(httpx.AsyncBaseTransport):
    """Refuses forbidden addresses (see :mod:`faceswap.net.addresses`), then sends through httpx.

    ``inner`` is the transport that does the sending (default: an :class:`httpx.AsyncHTTPTransport`
    with ``verify`` and no kept-alive connections); tests put a recording one there.
    """

    def __init__(
        self,
        policy: AddressPolicy | None = None,
        *,
        resolver: Resolver = system_resolver,
        verify: ssl.SSLContext | bool = True,
        inner: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._policy = policy if policy is not None else AddressPolicy()
        self._resolver = resolver
        # trust_env here only means SSL_CERT_FILE/SSL_CERT_DIR; proxies are the client's, which ignores them
        self._inner = inner or httpx.AsyncHTTPTransport(
            verify=verify, limits=httpx.Limits(max_keepalive_connections=0)
        )

    async def resolve(self, request: httpx.Request) -> tuple[str, list[IPAddress]]:
        """(host, its checked addresses) for ``request``; raises before any connection is made."""
        url = request.url
        if url.scheme not in ALLOWED_SCHEMES:
            raise UrlForbiddenError(f"only http and https URLs are fetched, not {url.scheme or 'no'} scheme")
        host = url.raw_host.decode("ascii")
        if not host:
            raise UrlForbiddenError("the URL has no host")
        literal = parse_ip(host)
        if literal is not None:
            addresses = [literal]
        else:
            port = url.port or _DEFAULT_PORTS[url.scheme]
            try:
                addresses = list(await asyncio.to_thread(self._resolver, host, port))
            except (OSError, UnicodeError) as exc:
                raise httpx.ConnectError(f"cannot resolve {host!r}: {exc}", request=request) from exc
        self._policy.check(host, addresses)
        return host, addresses

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host, addresses = await self.resolve(request)
        failure: httpx.ConnectError | None = None
        for address in addresses:
            try:
                return await self._inner.handle_async_request(pinned_request(request, address, host))
            except httpx.ConnectError as exc:
                logger.debug("connecting to %s at %s failed: %s", host, address, exc)
                failure = exc
        assert failure is not None  # addresses is never empty: the policy refuses that
        raise failure

    async def aclose(self) -> None:
        await self._inner.aclose()
