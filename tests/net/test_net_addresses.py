"""Which addresses are refused, with which reason; the operator allow-list (pure functions)."""

from __future__ import annotations

import ipaddress

import pytest

from faceswap.errors import UrlForbiddenError
from faceswap.net.addresses import AddressPolicy, embedded_ipv4, forbidden_reason, parse_ip

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "metadata"),
    ("169.254.0.1", "link-local"),
    ("100.64.0.1", "CGNAT"),
    ("100.127.255.254", "CGNAT"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "reserved"),
    ("192.0.2.10", "private"),  # documentation range (TEST-NET-1)
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fe80::1", "link-local"),
    ("fec0::1", "site-local"),
    ("fc00::1", "unique local"),
    ("fd00:ec2::254", "unique local"),  # the IPv6 metadata address of one cloud
    ("ff02::1", "multicast"),
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1, which is loopback"),
    (
        "::ffff:169.254.169.254",
        "IPv4-mapped form of 169.254.169.254, which is link-local (the cloud metadata",
    ),
    ("::ffff:10.1.2.3", "IPv4-mapped form of 10.1.2.3, which is private"),
    ("::127.0.0.1", "IPv4-compatible form of 127.0.0.1"),
    ("::8.8.8.8", "IPv4-compatible (deprecated)"),
    ("2002:7f00:1::", "6to4 form of 127.0.0.1"),
    ("2002:a9fe:a9fe::1", "6to4 form of 169.254.169.254"),
    ("2002:c0a8:101::", "6to4 form of 192.168.1.1"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1"),
    ("64:ff9b::a00:1", "NAT64 form of 10.0.0.1"),
    ("64:ff9b::6440:1", "NAT64 form of 100.64.0.1, which is shared address space"),
    ("64:ff9b:1::a00:1", "local-use NAT64"),
    ("2001:db8::1", "private"),  # documentation range
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.215.14", "100.128.0.1", "172.32.0.1", "192.169.0.1"]
PUBLIC += [
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "::ffff:8.8.8.8",
    "2002:808:808::",
    "64:ff9b::808:808",
]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_forbidden_classes_name_their_reason(address: str, reason: str) -> None:
    found = forbidden_reason(ipaddress.ip_address(address))
    assert found is not None
    assert reason in found


@pytest.mark.parametrize("address", PUBLIC)
def test_public_unicast_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


def test_embedded_ipv4_forms() -> None:
    v6 = ipaddress.IPv6Address
    assert embedded_ipv4(v6("::ffff:1.2.3.4")) == ("IPv4-mapped", ipaddress.IPv4Address("1.2.3.4"))
    assert embedded_ipv4(v6("2002:102:304::")) == ("6to4", ipaddress.IPv4Address("1.2.3.4"))
    assert embedded_ipv4(v6("64:ff9b::102:304")) == ("NAT64", ipaddress.IPv4Address("1.2.3.4"))
    assert embedded_ipv4(v6("::1.2.3.4")) == ("IPv4-compatible", ipaddress.IPv4Address("1.2.3.4"))
    assert embedded_ipv4(v6("::1")) is None
    assert embedded_ipv4(v6("2606:4700::1")) is None


def test_parse_ip_takes_brackets_and_zones_and_rejects_names() -> None:
    assert parse_ip("[::1]") == ipaddress.ip_address("::1")
    assert parse_ip("fe80::1%25eth0") == ipaddress.ip_address("fe80::1%eth0")
    assert parse_ip("10.0.0.1") == ipaddress.ip_address("10.0.0.1")
    assert parse_ip("example.com") is None
    assert parse_ip("127.1") is None  # not a literal: the resolver turns it into 127.0.0.1, then refused


def test_default_policy_refuses_private_and_names_the_resolved_address() -> None:
    policy = AddressPolicy()
    with pytest.raises(UrlForbiddenError, match=r"'db\.internal' resolves to 10\.0\.0\.5, which is private"):
        policy.check("db.internal", [ipaddress.ip_address("10.0.0.5")])
    with pytest.raises(UrlForbiddenError, match="metadata"):
        policy.check("169.254.169.254", [ipaddress.ip_address("169.254.169.254")])


def test_one_forbidden_address_among_public_ones_refuses_the_host() -> None:
    addresses = [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("127.0.0.1")]
    with pytest.raises(UrlForbiddenError) as info:
        AddressPolicy().check("mixed.test", addresses)
    assert info.value.code == "url_forbidden"
    AddressPolicy().check("public.test", addresses[:1])


def test_no_address_is_refused() -> None:
    with pytest.raises(UrlForbiddenError):
        AddressPolicy().check("nothing.test", [])


def test_allow_list_networks_admit_only_their_addresses() -> None:
    policy = AddressPolicy.from_entries(["127.0.0.1", "10.20.0.0/16"])
    policy.check("127.0.0.1", [ipaddress.ip_address("127.0.0.1")])
    policy.check("x.test", [ipaddress.ip_address("10.20.3.4")])
    policy.check("[::ffff:127.0.0.1]", [ipaddress.ip_address("::ffff:127.0.0.1")])
    for other in ("127.0.0.2", "10.21.0.1", "169.254.169.254", "::1"):
        with pytest.raises(UrlForbiddenError):
            policy.check("x.test", [ipaddress.ip_address(other)])


def test_allow_list_hosts_match_exactly_without_case_or_trailing_dot() -> None:
    policy = AddressPolicy.from_entries(["MinIO.internal"])
    private = [ipaddress.ip_address("10.0.0.9")]
    policy.check("minio.internal", private)
    policy.check("MINIO.INTERNAL.", private)
    for other in ("evil-minio.internal", "minio.internal.evil.test", "internal"):
        with pytest.raises(UrlForbiddenError):
            policy.check(other, private)
