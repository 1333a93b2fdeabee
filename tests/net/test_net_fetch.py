"""fetch_url against a real local server: redirects re-checked, byte and time caps, status codes."""

from __future__ import annotations

import ipaddress
import time
from urllib.parse import quote

import pytest

from faceswap.config import FetchSettings, Settings
from faceswap.errors import (
    InputTooLargeError,
    UrlFetchError,
    UrlForbiddenError,
    UrlTimeoutError,
    UrlUnusableError,
)
from faceswap.net import FetchLimits, GuardedClient, fetch_url, redact
from faceswap.net.addresses import IPAddress
from tests.net.conftest import PNG_BYTES, Server, Trap

LIMITS = FetchLimits(max_bytes=1 << 20, timeout_s=2.0)  # short: a regression fails fast on the trap
LOCAL = FetchSettings(allow_private=["127.0.0.1"])


def redirect_to(server: Server, target: str) -> str:
    return server.url("/redirect?to=" + quote(target, safe=""))


async def test_happy_path_returns_bytes_type_and_final_url(server: Server) -> None:
    async with GuardedClient(LOCAL) as client:
        got = await fetch_url(redirect_to(server, "/image"), limits=LIMITS, client=client)
    assert got.data == PNG_BYTES
    assert got.content_type == "image/png"
    assert got.url == server.url("/image")


async def test_default_settings_refuse_the_same_loopback_server(server: Server) -> None:
    async with GuardedClient(FetchSettings()) as client:
        with pytest.raises(UrlForbiddenError, match="loopback"):
            await fetch_url(server.url("/image"), limits=LIMITS, client=client)
    assert server.requests == []


async def test_redirect_to_a_private_address_is_refused_before_connecting(server: Server, trap: Trap) -> None:
    """An allow-listed host (by name) redirects to a loopback address that is not allow-listed."""

    def resolve(host: str, port: int) -> list[IPAddress]:
        assert host == "allowed.test"
        return [ipaddress.ip_address("127.0.0.1")]

    async with GuardedClient(FetchSettings(allow_private=["allowed.test"]), resolver=resolve) as client:
        start = server.url(
            "/redirect?to=" + quote(f"http://127.0.0.1:{trap.port}/secret"), host="allowed.test"
        )
        with pytest.raises(UrlForbiddenError, match=r"127\.0\.0\.1 is loopback"):
            await fetch_url(start, limits=LIMITS, client=client)
    assert server.requests == ["/redirect?to=" + quote(f"http://127.0.0.1:{trap.port}/secret")]
    assert trap.connections() == 0


@pytest.mark.parametrize(
    "target",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://10.0.0.1/", "http://0.0.0.0/"],
)
async def test_redirect_to_each_private_class_is_refused(server: Server, target: str) -> None:
    async with GuardedClient(LOCAL) as client:
        with pytest.raises(UrlForbiddenError) as info:
            await fetch_url(redirect_to(server, target), limits=LIMITS, client=client)
    assert info.value.code == "url_forbidden"


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.com/x", "gopher://127.0.0.1:70/"])
async def test_redirect_to_other_schemes_is_refused(server: Server, target: str) -> None:
    async with GuardedClient(LOCAL) as client:
        with pytest.raises(UrlForbiddenError):
            await fetch_url(redirect_to(server, target), limits=LIMITS, client=client)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://example.com/a.png", "data:,x", "/relative", "http://"]
)
async def test_only_absolute_http_urls_are_fetched(url: str) -> None:
    async with GuardedClient(LOCAL) as client:
        with pytest.raises(UrlForbiddenError):
            await fetch_url(url, limits=LIMITS, client=client)


async def test_redirects_are_capped(server: Server) -> None:
    settings = FetchSettings(allow_private=["127.0.0.1"], max_redirects=3)
    async with GuardedClient(settings) as client:
        got = await fetch_url(server.url("/chain?n=3"), limits=LIMITS, client=client)
        assert got.data == b"end of chain"
        with pytest.raises(UrlUnusableError, match="redirected too many times") as info:
            await fetch_url(server.url("/chain?n=4"), limits=LIMITS, client=client)
    assert info.value.code == "url_unusable"
    assert len(server.requests) == 4 + 4  # four hops of the first chain, the cap's four of the second


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "no-length"])
async def test_oversized_body_is_refused(server: Server, declared: bool) -> None:
    limits = FetchLimits(max_bytes=100_000, timeout_s=10.0)
    async with GuardedClient(LOCAL) as client:
        fits = await fetch_url(
            server.url(f"/big?n=100000&length={int(declared)}"), limits=limits, client=client
        )
        assert len(fits.data) == 100_000
        with pytest.raises(InputTooLargeError) as info:
            await fetch_url(
                server.url(f"/big?n=5000000&length={int(declared)}"), limits=limits, client=client
            )
    assert info.value.code == "input_too_large"


async def test_slow_body_is_cut_at_the_time_cap(server: Server) -> None:
    """One byte every 0.1 s keeps every read under its timeout; the total cap still stops it."""
    limits = FetchLimits(max_bytes=1 << 20, timeout_s=0.8)
    async with GuardedClient(LOCAL) as client:
        started = time.monotonic()
        with pytest.raises(UrlTimeoutError) as info:
            await fetch_url(server.url("/slow"), limits=limits, client=client)
        elapsed = time.monotonic() - started
    assert info.value.code == "url_fetch_timeout"
    assert 0.7 < elapsed < 3.0


@pytest.mark.parametrize(
    ("status", "error", "code"),
    [
        (404, UrlUnusableError, "url_unusable"),
        (403, UrlUnusableError, "url_unusable"),
        (500, UrlFetchError, "url_fetch_failed"),
        (503, UrlFetchError, "url_fetch_failed"),
        (429, UrlFetchError, "url_fetch_failed"),
    ],
)
async def test_error_statuses(server: Server, status: int, error: type[Exception], code: str) -> None:
    async with GuardedClient(LOCAL) as client:
        with pytest.raises(error) as info:
            await fetch_url(server.url(f"/status?code={status}"), limits=LIMITS, client=client)
    assert getattr(info.value, "code", None) == code


async def test_connection_refused_is_transient(trap: Trap) -> None:
    port = trap.port
    trap.close()
    async with GuardedClient(LOCAL) as client:
        with pytest.raises(UrlFetchError) as info:
            await fetch_url(f"http://127.0.0.1:{port}/", limits=LIMITS, client=client)
    assert info.value.transient


def test_limits_from_settings() -> None:
    settings = Settings(limits={"max_bytes": 1234}, fetch={"timeout_s": 7})
    assert FetchLimits.from_settings(settings) == FetchLimits(max_bytes=1234, timeout_s=7.0)


def test_redact_drops_credentials_query_and_fragment() -> None:
    shown = redact("https://user:pw@bucket.example.com/a/b.png?X-Amz-Signature=abc#frag")
    assert shown == "https://bucket.example.com/a/b.png"


async def test_a_fetch_over_its_time_cap_is_final_and_a_failed_connection_is_not(server: Server) -> None:
    """A timed-out fetch is not worth another try: the task would wait another whole cap."""
    limits = FetchLimits(max_bytes=1 << 20, timeout_s=0.5)
    async with GuardedClient(LOCAL) as client:
        with pytest.raises(UrlTimeoutError) as info:
            await fetch_url(server.url("/slow"), limits=limits, client=client)
    assert not info.value.transient
    assert UrlFetchError("x").transient
