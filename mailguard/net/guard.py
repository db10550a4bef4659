"""The network boundary: every connection mailguard opens passes :func:`check_address` first,
on the address actually connected to (after DNS, so a name that rebinds cannot slip through).

By default only public addresses are contacted. Loopback, private, link-local, CGNAT,
multicast, unspecified, reserved and documentation ranges are refused unless the user opens them
with ``--allow-network CIDR``, and so are the IPv6 forms that carry such an IPv4 address
(IPv4-mapped ``::ffff:a.b.c.d``, IPv4-compatible ``::a.b.c.d``, 6to4 ``2002::/16``, NAT64
``64:ff9b::/96``, ``64:ff9b:1::/48``, Teredo ``2001::/32``). Addresses are read the way the socket
layer would (decimal ``2130706433``, hex ``0x7f000001``, octal ``0177.0.0.1``, short ``127.1``).

The lab and the test suite go further (``Config.public_networks = False``): only the networks
they open, loopback, so that no test can send a packet off this machine whatever a zone file says.
"""

from __future__ import annotations

import ipaddress
import socket

from ..core.config import Config
from ..core.errors import ConnectError

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_SIXTOFOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_DOCUMENTATION = tuple(ipaddress.ip_network(n) for n in (
    "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32", "3fff::/20"))


class BoundaryError(ConnectError):
    """An address outside the network boundary; nothing was sent to it."""

    def __init__(self, address: str, kind: str) -> None:
        super().__init__(f"{address} is {_article(kind)} {kind} address; not contacted "
                         "(use --allow-network to scan it)", address)
        self.address = address
        self.kind = kind


def _article(kind: str) -> str:
    return "an" if kind[:1] in "aeiou" else "a"


def parse_address(text: str) -> IpAddress | None:
    """The address ``text`` means to the socket layer, or None if it is not an address at all.

    IPv6 scope ids (``fe80::1%eth0``) are dropped; IPv4 is read as ``inet_aton`` reads it, so
    that ``2130706433``, ``0x7f000001``, ``0177.0.0.1`` and ``127.1`` are all 127.0.0.1.
    """
    text = text.strip().strip("[]").split("%")[0]
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if ":" in text or not all(c.isalnum() or c == "." for c in text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def embedded_ipv4(ip: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, compatible, 6to4, NAT64, Teredo)."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _TEREDO and ip.teredo is not None:
        return ip.teredo[1]
    packed = int(ip)
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    if packed >> 32 == 0 and packed > 1:  # IPv4-compatible ::a.b.c.d (deprecated, RFC 4291 §2.5.5.1)
        return ipaddress.IPv4Address(packed & 0xFFFFFFFF)
    return None


def non_public_kind(ip: IpAddress) -> str | None:
    """Which non-public range ``ip`` is in ("private", "loopback", ...), or None for a public one."""
    inner = embedded_ipv4(ip)
    if inner is not None:
        kind = non_public_kind(inner)
        return f"{kind} (inside {ip})" if kind else None
    checks = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared (CGNAT)"),
        (any(ip.version == n.version and ip in n for n in _DOCUMENTATION), "documentation"),
        (ip.is_reserved, "reserved"),
        (ip.is_private, "private"),
        (not ip.is_global, "non-public"),
    )
    return next((kind for hit, kind in checks if hit), None)


def _opened(ip: IpAddress, config: Config) -> bool:
    return any(ip.version == net.version and ip in net for net in config.allowed_networks)


def refusal(address: str, config: Config) -> BoundaryError | None:
    """Why ``address`` may not be contacted under ``config``, or None when it may."""
    ip = parse_address(address)
    if ip is None:
        return BoundaryError(address, "unreadable")
    if _opened(ip, config):
        return None
    inner = embedded_ipv4(ip)
    if inner is not None and _opened(inner, config):
        return None
    if not config.public_networks:
        return BoundaryError(address, "non-lab")
    kind = non_public_kind(ip)
    return BoundaryError(address, kind) if kind else None


def address_allowed(address: str, config: Config) -> bool:
    return refusal(address, config) is None


def check_address(address: str, config: Config) -> None:
    """Raise :class:`BoundaryError` if ``address`` may not be contacted under ``config``."""
    error = refusal(address, config)
    if error is not None:
        raise error
