"""Which IP addresses a user-supplied URL may reach: pure functions over the stdlib ``ipaddress`` types.

Refused: loopback, private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local (169.254/16 with the
cloud metadata address 169.254.169.254, fe80::/10), site-local fec0::/10, shared address space (CGNAT
100.64/10), multicast, unspecified and "this network" (0.0.0.0/8, ``::``; Linux connects 0.0.0.0 to
the local host), reserved (240/4, broadcast) and everything else ``ipaddress`` does not call globally
routable (documentation and benchmarking ranges, Teredo, ...). IPv6 forms that carry an IPv4 address
(IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``) are judged by the IPv4 address they carry; a public one behind IPv4-mapped, 6to4
or well-known NAT64 is allowed (DNS64 networks hand those out), IPv4-compatible is deprecated and refused.

An :class:`AddressPolicy` adds the operator's allow-list (host names and networks that may be private).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from faceswap.errors import UrlForbiddenError

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

METADATA_ADDRESS = IPv4Address("169.254.169.254")
_THIS_NETWORK = IPv4Network("0.0.0.0/8")
_SHARED_ADDRESS_SPACE = IPv4Network("100.64.0.0/10")
_UNIQUE_LOCAL = IPv6Network("fc00::/7")
_NAT64_WELL_KNOWN = IPv6Network("64:ff9b::/96")
_NAT64_LOCAL_USE = IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = IPv6Network("::/96")
_BROADCAST = IPv4Address("255.255.255.255")


def parse_ip(host: str) -> IPAddress | None:
    """``host`` as an IP address when it is one (IPv6 without brackets, zone ``%25eth0`` or ``%eth0``)."""
    text = host.strip("[]").replace("%25", "%")
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def embedded_ipv4(address: IPv6Address) -> tuple[str, IPv4Address] | None:
    """(form, IPv4 address) for IPv6 addresses that carry one; None for plain IPv6 addresses."""
    if address.ipv4_mapped is not None:
        return "IPv4-mapped", address.ipv4_mapped
    if address.sixtofour is not None:
        return "6to4", address.sixtofour
    if address in _NAT64_WELL_KNOWN:
        return "NAT64", IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_COMPATIBLE and int(address) > 1:
        return "IPv4-compatible", IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why a connection to ``address`` is refused, or None when it is a public unicast address."""
    if isinstance(address, IPv6Address):
        return _ipv6_reason(address)
    return _ipv4_reason(address)


_IPV4_RULES: tuple[tuple[Callable[[IPv4Address], bool], str], ...] = (
    (lambda a: a in _THIS_NETWORK, "unspecified ('this network', 0.0.0.0/8)"),
    (lambda a: a.is_loopback, "loopback"),
    (lambda a: a == METADATA_ADDRESS, "link-local (the cloud metadata service)"),
    (lambda a: a.is_link_local, "link-local"),
    (lambda a: a in _SHARED_ADDRESS_SPACE, "shared address space (CGNAT, 100.64.0.0/10)"),
    (lambda a: a.is_multicast, "multicast"),
    (lambda a: a.is_reserved or a == _BROADCAST, "reserved"),
    (lambda a: a.is_private, "private"),
    (lambda a: not a.is_global, "not globally routable"),
)
_IPV6_RULES: tuple[tuple[Callable[[IPv6Address], bool], str], ...] = (
    (lambda a: a.is_unspecified, "unspecified"),
    (lambda a: a.is_loopback, "loopback"),
    (lambda a: a.is_link_local, "link-local"),
    (lambda a: a.is_site_local, "site-local"),
    (lambda a: a.is_multicast, "multicast"),
    (lambda a: a in _UNIQUE_LOCAL, "private (unique local, fc00::/7)"),
    (lambda a: a in _NAT64_LOCAL_USE, "local-use NAT64"),
    (lambda a: a.is_reserved, "reserved"),
    (lambda a: a.is_private, "private"),
    (lambda a: not a.is_global, "not globally routable"),
)


def _ipv4_reason(address: IPv4Address) -> str | None:
    return next((reason for test, reason in _IPV4_RULES if test(address)), None)


def _ipv6_reason(address: IPv6Address) -> str | None:
    embedded = embedded_ipv4(address)
    if embedded is None:
        return next((reason for test, reason in _IPV6_RULES if test(address)), None)
    form, ipv4 = embedded
    reason = _ipv4_reason(ipv4)
    if reason is not None:
        return f"{form} form of {ipv4}, which is {reason}"
    if form == "IPv4-compatible":
        return "IPv4-compatible (deprecated)"
    return None


def _canonical_host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class AddressPolicy:
    """The forbidden-address rules plus the operator's allow-list (empty by default).

    ``hosts`` are exact host names (lower case, no trailing dot) that may resolve to any address;
    ``networks`` admit the forbidden addresses inside them (``127.0.0.1/32`` lets a local server in).
    """

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = field(default=())

    @classmethod
    def from_entries(cls, entries: Iterable[str]) -> AddressPolicy:
        """From settings entries: each an IP network or address (CIDR) or else a host name."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip(), strict=False))
            except ValueError:
                hosts.add(_canonical_host(entry.strip()))
        return cls(hosts=frozenset(hosts), networks=tuple(networks))

    def admits(self, address: IPAddress) -> bool:
        """Whether an allow-listed network holds ``address`` (or the IPv4 address it carries)."""
        candidates: list[IPAddress] = [address]
        if isinstance(address, IPv6Address):
            embedded = embedded_ipv4(address)
            if embedded is not None:
                candidates.append(embedded[1])
        return any(a.version == n.version and a in n for a in candidates for n in self.networks)

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why ``host`` at ``address`` may not be reached, or None when it may."""
        if _canonical_host(host) in self.hosts:
            return None
        reason = forbidden_reason(address)
        if reason is None or self.admits(address):
            return None
        return reason

    def check(self, host: str, addresses: Sequence[IPAddress]) -> None:
        """Raises :class:`UrlForbiddenError` unless every address ``host`` resolved to may be reached.

        All of them, not just the first: a name that resolves to a public and a private address is
        refused, so the outcome never depends on which one a connection happens to use.
        """
        if not addresses:
            raise UrlForbiddenError(f"host {host!r} resolved to no address")
        for address in addresses:
            reason = self.refusal(host, address)
            if reason is None:
                continue
            if parse_ip(host) is None:
                raise UrlForbiddenError(
                    f"refusing to connect: {host!r} resolves to {address}, which is {reason}"
                )
            raise UrlForbiddenError(f"refusing to connect: {address} is {reason}")
