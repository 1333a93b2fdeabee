"""The SSRF matrix against real sockets: every forbidden class refused before any connection.

Literal loopback URLs and numeric host spellings point straight at a trap socket on 127.0.0.1 and the
trap must see no connection. Non-loopback addresses (10/8, 169.254.169.254 ...) cannot be served
locally, so their requests go through ``ToLocal``, an inner transport that would carry anything the
guard let through to the trap; a control test shows it does carry public addresses there.
"""

from __future__ import annotations

import ipaddress
import json
import ssl
from collections.abc import Sequence

import httpx
import pytest

from faceswap.config import FetchSettings
from faceswap.errors import UrlFetchError, UrlForbiddenError
from faceswap.net import FetchLimits, GuardedClient, Resolver, fetch_url
from faceswap.net.addresses import IPAddress
from tests.net.conftest import Server, Trap
from tests.net.test_net_addresses import FORBIDDEN

LIMITS = FetchLimits(max_bytes=1 << 20, timeout_s=2.0)  # short: a regression fails fast on the trap


class ToLocal(httpx.AsyncBaseTransport):
    """The layer below the guard: sends every request to 127.0.0.1:port, recording the IP it was for."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.seen: list[str] = []
        self._http = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request.url.host)
        local = request.url.copy_with(scheme="http", host="127.0.0.1", port=self.port)
        forwarded = httpx.Request(request.method, local, headers=request.headers, stream=request.stream)
        return await self._http.handle_async_request(forwarded)

    async def aclose(self) -> None:
        await self._http.aclose()


def resolver_of(table: dict[str, list[str]]) -> Resolver:
    def resolve(host: str, port: int) -> Sequence[IPAddress]:
        if host not in table:
            raise OSError(f"unknown test host {host}")
        return [ipaddress.ip_address(a) for a in table[host]]

    return resolve


def literal_url(address: str, port: int, path: str = "/echo") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"http://{host}:{port}{path}"


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
async def test_forbidden_literal_addresses_never_reach_the_wire(
    address: str, reason: str, trap: Trap
) -> None:
    inner = ToLocal(trap.port)
    async with GuardedClient(FetchSettings(), inner=inner) as client:
        with pytest.raises(UrlForbiddenError) as info:
            await fetch_url(literal_url(address, trap.port), limits=LIMITS, client=client)
    assert info.value.code == "url_forbidden"
    assert reason in info.value.message
    assert inner.seen == []
    assert trap.connections() == 0


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
async def test_names_resolving_to_forbidden_addresses_are_refused(
    address: str, reason: str, trap: Trap
) -> None:
    inner = ToLocal(trap.port)
    resolver = resolver_of({"innocent.test": ["93.184.215.14", address]})
    async with GuardedClient(FetchSettings(), inner=inner, resolver=resolver) as client:
        with pytest.raises(UrlForbiddenError, match=r"'innocent\.test' resolves to"):
            await fetch_url(f"http://innocent.test:{trap.port}/", limits=LIMITS, client=client)
    assert inner.seen == []
    assert trap.connections() == 0


async def test_control_public_addresses_do_reach_the_layer_below(server: Server) -> None:
    """The harness would notice a connection: public addresses pass the guard and arrive, pinned."""
    inner = ToLocal(server.port)
    resolver = resolver_of({"public.test": ["93.184.215.14"]})
    async with GuardedClient(FetchSettings(), inner=inner, resolver=resolver) as client:
        by_name = await fetch_url("http://public.test/echo", limits=LIMITS, client=client)
        by_ip = await fetch_url("http://[2606:4700:4700::1111]:8080/echo", limits=LIMITS, client=client)
    assert inner.seen == ["93.184.215.14", "2606:4700:4700::1111"]
    assert json.loads(by_name.data)["host"] == "public.test"
    assert json.loads(by_ip.data)["host"] == "[2606:4700:4700::1111]:8080"
    assert server.requests == ["/echo", "/echo"]


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "127.1", "2130706433", "0x7f000001", "0177.0.0.1"]
)
async def test_loopback_spellings_never_connect(host: str, trap: Trap) -> None:
    """Real resolution (getaddrinfo): numeric spellings of 127.0.0.1 are caught after resolving
    (the octal one httpx already refuses to parse)."""
    async with GuardedClient(FetchSettings()) as client:
        with pytest.raises(UrlForbiddenError, match=r"loopback|Invalid IPv4 address"):
            await fetch_url(f"http://{host}:{trap.port}/", limits=LIMITS, client=client)
    assert trap.connections() == 0


async def test_ipv6_mapped_loopback_never_connects(trap: Trap) -> None:
    async with GuardedClient(FetchSettings()) as client:
        with pytest.raises(UrlForbiddenError, match="IPv4-mapped"):
            await fetch_url(f"http://[::ffff:127.0.0.1]:{trap.port}/", limits=LIMITS, client=client)
    assert trap.connections() == 0


async def test_the_name_is_resolved_once_and_the_checked_address_is_used(server: Server) -> None:
    """A rebinding resolver answers public first, loopback after: only the first answer is ever used."""
    answers = iter([["93.184.215.14"], ["127.0.0.1"], ["127.0.0.1"]])
    calls: list[str] = []

    def rebinding(host: str, port: int) -> list[IPAddress]:
        calls.append(host)
        return [ipaddress.ip_address(a) for a in next(answers)]

    inner = ToLocal(server.port)
    async with GuardedClient(FetchSettings(), inner=inner, resolver=rebinding) as client:
        await fetch_url("http://rebind.test/echo", limits=LIMITS, client=client)
    assert calls == ["rebind.test"]
    assert inner.seen == ["93.184.215.14"]


async def test_unresolvable_name_is_a_fetch_failure(trap: Trap) -> None:
    async with GuardedClient(FetchSettings(), resolver=resolver_of({})) as client:
        with pytest.raises(UrlFetchError, match=r"cannot resolve 'nowhere\.test'") as info:
            await fetch_url("http://nowhere.test/", limits=LIMITS, client=client)
    assert info.value.code == "url_fetch_failed"
    assert info.value.transient


async def test_allow_list_lets_a_loopback_server_through_keeping_host(server: Server) -> None:
    settings = FetchSettings(allow_private=["127.0.0.1"])
    async with GuardedClient(settings) as client:
        got = await fetch_url(server.url("/echo"), limits=LIMITS, client=client)
    assert json.loads(got.data)["host"] == f"127.0.0.1:{server.port}"


async def test_https_keeps_the_server_name_for_sni_and_certificate(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    """Connected to 127.0.0.1, yet SNI, certificate check and Host are all for files.test."""
    settings = FetchSettings(allow_private=["files.test"])
    resolver = resolver_of({"files.test": ["127.0.0.1"]})
    async with GuardedClient(settings, resolver=resolver, verify=client_tls) as client:
        got = await fetch_url(tls_server.url("/echo", host="files.test"), limits=LIMITS, client=client)
    assert json.loads(got.data) == {"host": f"files.test:{tls_server.port}", "sni": "files.test"}
    assert tls_server.sni_seen == ["files.test"]
    assert got.url == tls_server.url("/echo", host="files.test")


async def test_https_certificate_is_checked_against_the_original_name(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    """other.test pinned to the same IP gets the files.test certificate: verification must fail."""
    settings = FetchSettings(allow_private=["other.test"])
    resolver = resolver_of({"other.test": ["127.0.0.1"]})
    async with GuardedClient(settings, resolver=resolver, verify=client_tls) as client:
        with pytest.raises(UrlFetchError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await fetch_url(tls_server.url("/echo", host="other.test"), limits=LIMITS, client=client)
    assert tls_server.sni_seen == ["other.test"]
    assert tls_server.requests == []


async def test_proxy_environment_is_ignored(
    server: Server, trap: Trap, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{trap.port}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    async with GuardedClient(FetchSettings(allow_private=["127.0.0.1"])) as client:
        got = await fetch_url(server.url("/image"), limits=LIMITS, client=client)
    assert got.content_type == "image/png"
    assert trap.connections() == 0


async def test_no_connection_is_reused_for_another_name_on_the_same_ip(
    tls_server: Server, client_tls: ssl.SSLContext
) -> None:
    """files.test then other.test, both pinned to 127.0.0.1 in one client: the second must not ride the
    first's verified TLS connection (the pool keys by IP), so its own certificate check fails."""
    settings = FetchSettings(allow_private=["files.test", "other.test"])
    resolver = resolver_of({"files.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    async with GuardedClient(settings, resolver=resolver, verify=client_tls) as client:
        await fetch_url(tls_server.url("/echo", host="files.test"), limits=LIMITS, client=client)
        with pytest.raises(UrlFetchError, match=r"CERTIFICATE_VERIFY_FAILED|certificate"):
            await fetch_url(tls_server.url("/echo", host="other.test"), limits=LIMITS, client=client)
    assert tls_server.sni_seen == ["files.test", "other.test"]
    assert tls_server.requests == ["/echo"]
