"""CIDR, protocol and port logic shared by the network traits."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..model.values import Sourced

AnySourced = Sourced[Any]

REMOTE_ACCESS_PORTS = {22: "SSH", 3389: "RDP"}
_PORTED = {"tcp", "6", "udp", "17", "icmp", "1", "icmpv6", "58"}


def is_world(cidr: Any) -> bool:
    """Any CIDR with prefix length 0 is the whole internet to AWS, whatever its address bits."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def is_ipv6(cidr: str) -> bool:
    return ":" in cidr


def all_protocols(protocol: Any) -> bool:
    """-1/all, or a protocol number other than TCP/UDP/ICMP/ICMPv6: all ports are open."""
    return isinstance(protocol, str) and protocol not in _PORTED


def is_tcp(protocol: Any) -> bool:
    return protocol in ("tcp", "6")


def port_range(from_port: AnySourced, to_port: AnySourced) -> tuple[int, int] | None:
    """The rule's port range, (0, 65535) when both are absent; None when unknown."""
    lo, hi = from_port.value, to_port.value
    if not (from_port.known and to_port.known):
        return None
    if lo is None and hi is None:
        return (0, 65535)
    if isinstance(lo, str) and lo.lstrip("-").isdigit():
        lo = int(lo)
    if isinstance(hi, str) and hi.lstrip("-").isdigit():
        hi = int(hi)
    if not isinstance(lo, int) or not isinstance(hi, int):
        return None
    if lo == -1 or hi == -1:
        return (0, 65535)
    return (lo, max(hi, lo))


def admitted_ports(protocol: AnySourced, from_port: AnySourced, to_port: AnySourced, ports: list[int]) -> list[int]:
    """Which of `ports` a rule admits over TCP (or over all protocols)."""
    if not protocol.known:
        return []
    if all_protocols(protocol.value):
        return ports
    if not is_tcp(protocol.value):
        return []
    rng = port_range(from_port, to_port)
    if rng is None:
        return []
    return [p for p in ports if rng[0] <= p <= rng[1]]


def describe_ports(protocol: AnySourced, from_port: AnySourced, to_port: AnySourced) -> str:
    if all_protocols(protocol.value):
        return "all ports and protocols"
    rng = port_range(from_port, to_port)
    proto = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}.get(str(protocol.value), str(protocol.value))
    if rng is None:
        return f"unknown ports/{proto}"
    if rng[0] == rng[1]:
        return f"{rng[0]}/{proto}"
    return f"{rng[0]}-{rng[1]}/{proto}"


def world_cidrs(cidrs: tuple[AnySourced, ...]) -> list[AnySourced]:
    return [c for c in cidrs if c.known and is_world(c.value)]
