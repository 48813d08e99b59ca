"""Which client addresses count as one guesser (pure).

An IPv4 address is one host, or one household behind its router. An IPv6 host is handed a
whole /64 and may pick any of its 2^64 addresses: counting each address apart would give a
guesser an endless supply, so the /64 is what is counted."""

from __future__ import annotations

import ipaddress

IPV6_NETWORK_BITS = 64


def guesser_of(address: str) -> str:
    """The group ``address`` is counted in: an IPv4 address itself (an IPv4-mapped IPv6 one
    as its IPv4), an IPv6 address's /64; a string that is no address, itself."""
    try:
        parsed = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        network = ipaddress.IPv6Network((parsed, IPV6_NETWORK_BITS), strict=False)
        return str(network)
    return str(parsed)
