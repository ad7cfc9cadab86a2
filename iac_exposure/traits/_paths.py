"""Packets along a network path: which sources get past a placement's route table, network ACL and the
security groups of an instance.

CIDR blocks either nest or are disjoint, so the blocks involved (security-group sources, route destinations,
ACL entries, the ranges that are not the internet) cut the address space into regions that every rule
treats alike. One address per region is tried, and one port per stretch of ports the rules tell apart:
the answer is exact, not sampled. Whatever is unknown on the way (a route whose destination or target is
not in the code, an ACL entry not evaluated) closes that way: no path is ever guessed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from .._records import record
from ..config import Config
from ..model.aws import NetworkAclEntry, SecurityGroup, SecurityGroupRule
from ..model.graph import Model
from ..model.network import Gateway, Network, Placement, RouteEntry
from ..model.values import Sourced
from ._network import port_range

AnySourced = Sourced[Any]
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

ALL, TCP, UDP, ICMP, ICMPV6 = -1, 6, 17, 1, 58
_NAMES = {"-1": ALL, "all": ALL, "tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6}
_PROTO_TEXT = {TCP: "tcp", UDP: "udp"}
_EPHEMERAL = (1024, 65535)

# Not the internet: private, shared (CGNAT), loopback, link-local, "this network", multicast and reserved.
# Documentation ranges (203.0.113.0/24 …) count as public: examples use them for public addresses.
NOT_INTERNET: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/3",
        "::/127", "fc00::/7", "fe80::/10", "ff00::/8",
    )
)  # fmt: skip


def protocol_number(value: Any) -> int | None:
    text = str(value).strip().lower() if value is not None else ""
    if text in _NAMES:
        return _NAMES[text]
    return int(text) if text.isdigit() else None


def protocol_text(number: int) -> str:
    return _PROTO_TEXT.get(number, str(number))


def trusted_networks(config: Config) -> tuple[Network, ...]:
    """The CIDRs the user trusts: never the internet (validated as CIDRs narrower than /0 when read)."""
    return tuple(ipaddress.ip_network(c, strict=False) for c in config.trusted_cidrs)


def internet_source(trusted: tuple[Network, ...]) -> Callable[[Address], bool]:
    """Whether an address is on the internet: not private or reserved, and not trusted."""

    def check(address: Address) -> bool:
        return not any(address in net for net in (*NOT_INTERNET, *trusted))

    return check


def has_public(network: Network, trusted: tuple[Network, ...] = ()) -> bool:
    """Some address of the block is on the internet: it lies within none of the excluded or trusted ranges."""
    excluded = (*NOT_INTERNET, *trusted)
    return not any(network.version == net.version and network.subnet_of(net) for net in excluded)  # type: ignore[arg-type]


@record
class Admission:
    """One CIDR source of one ingress rule of a security group."""

    group: SecurityGroup
    rule: SecurityGroupRule
    cidr: AnySourced
    network: Network
    protocol: int  # ALL for every protocol
    ports: tuple[int, int] | None  # None: every port of every protocol

    def admits(self, protocol: int, port: int | None) -> bool:
        if self.protocol not in (ALL, protocol):
            return False
        return self.ports is None or port is None or self.ports[0] <= port <= self.ports[1]

    def describe(self) -> str:
        if self.protocol == ALL:
            return "all ports and protocols"
        if self.ports is None:
            return protocol_text(self.protocol)
        lo, hi = self.ports
        return f"{lo}/{protocol_text(self.protocol)}" if lo == hi else f"{lo}-{hi}/{protocol_text(self.protocol)}"


def admissions(model: Model, groups: Iterable[SecurityGroup]) -> list[Admission]:
    """Every evaluated CIDR source of the groups' TCP, UDP or all-protocol ingress rules: what makes a port
    reachable (rules not evaluated admit nothing we know of)."""
    found = []
    for group in groups:
        for rule in model.rules(group):
            if rule.direction != "ingress":
                continue
            protocol = protocol_number(rule.protocol.value) if rule.protocol.known else None
            if protocol not in (ALL, TCP, UDP):
                continue
            ports = port_range(rule.from_port, rule.to_port) if protocol != ALL else None
            if protocol != ALL and ports is None:
                continue
            for cidr in rule.cidrs:
                network = model.network.cidr(cidr)
                if network is not None:
                    found.append(Admission(group, rule, cidr, network, protocol, ports))
    return found


@record
class Witness:
    """A packet that gets through: from `address` to `port`, admitted by `admission`, routed by `route`."""

    admission: Admission
    address: Address
    protocol: int
    port: int
    route: RouteEntry

    def describe_port(self) -> str:
        return f"{self.port}/{protocol_text(self.protocol)}"


def search(
    model: Model,
    placement: Placement,
    candidates: list[Admission],
    wanted: Callable[[RouteEntry, Address], bool],
    source_ok: Callable[[Address], bool],
    internet: bool = False,
    extra_blocks: tuple[Network, ...] = (),
) -> list[Witness]:
    """For each admission, the first packet from an acceptable source whose return route is wanted for it and
    that the placement's network ACL lets in (and its reply out).

    With `internet`, a VPC block whose value is not in the code (Amazon-provided IPv6, IPAM) is passed over:
    it holds the VPC's own addresses, never an internet client's. `extra_blocks` are further ranges that
    `wanted` or `source_ok` tell apart."""
    if placement.routes is None:
        return []
    acl = _Acl(model, placement)
    blocks: set[Network] = {a.network for a in candidates} | set(NOT_INTERNET)
    blocks |= {r.destination for r in placement.routes if r.destination is not None}
    blocks |= set(extra_blocks)
    blocks |= acl.networks()
    points = _representatives(blocks)
    found = (_first_witness(adm, points, placement.routes, acl, wanted, source_ok, internet) for adm in candidates)
    return [witness for witness in found if witness is not None]


def _first_witness(
    adm: Admission,
    points: list[Address],
    routes: tuple[RouteEntry, ...],
    acl: _Acl,
    wanted: Callable[[RouteEntry, Address], bool],
    source_ok: Callable[[Address], bool],
    internet: bool,
) -> Witness | None:
    for address in points:
        if address not in adm.network or not source_ok(address):
            continue
        route = _longest_match(routes, address, internet)
        if route is None or not wanted(route, address):
            continue
        for protocol, port in acl.tries(adm):
            # an unknown verdict (None) is no way through
            if acl.allows(address, protocol, port, egress=False) and acl.allows_reply(address, protocol):
                return Witness(adm, address, protocol, port, route)
    return None


def _longest_match(routes: tuple[RouteEntry, ...], address: Address, internet: bool) -> RouteEntry | None:
    """The route the reply to `address` takes; None when none (dropped) or when it is not known."""
    best: RouteEntry | None = None
    for route in routes:
        dest = route.destination
        if dest is None:
            if route.version not in (None, address.version) or (internet and route.gateway is Gateway.LOCAL):
                continue
            return None  # a route we cannot place might be the more specific one
        longer = best is None or best.destination is None or dest.prefixlen > best.destination.prefixlen
        if dest.version == address.version and address in dest and longer:
            best = route
    return None if best is not None and best.gateway is Gateway.UNKNOWN else best


def _representatives(blocks: set[Network]) -> list[Address]:
    """One address in each block outside the blocks nested in it: every region the blocks tell apart."""
    points: list[Address] = []
    for version, make in ((4, ipaddress.IPv4Address), (6, ipaddress.IPv6Address)):
        spans = sorted(
            {(int(b.network_address), int(b.broadcast_address)) for b in blocks if b.version == version},
            key=lambda span: (span[0], -span[1]),
        )
        for i, (lo, hi) in enumerate(spans):
            # blocks nest or are disjoint: the ones starting inside this block follow it in start order
            cursor = lo
            for inner_lo, inner_hi in spans[i + 1 :]:
                if inner_lo > hi or inner_lo > cursor:
                    break
                cursor = max(cursor, inner_hi + 1)
            if cursor <= hi:
                points.append(make(cursor))
    return points


class _Acl:
    """The placement's network ACL: first matching entry by rule number decides, nothing matching denies."""

    def __init__(self, model: Model, placement: Placement) -> None:
        self.model = model
        self.placement = placement
        self._rules: dict[bool, list[tuple[NetworkAclEntry, int | None, Network | None]]] = {}
        for egress in (False, True):
            rows = []
            for entry in placement.acl_entries:
                if entry.egress == egress:
                    number = entry.rule_number.value
                    rows.append((entry, number if isinstance(number, int) else None, model.network.cidr(entry.cidr)))
            rows.sort(key=lambda r: r[1] if r[1] is not None else -1)
            self._rules[egress] = rows

    def networks(self) -> set[Network]:
        return {net for rows in self._rules.values() for _, _, net in rows if net is not None}

    def tries(self, adm: Admission) -> list[tuple[int, int]]:
        """The (protocol, port) pairs worth trying for an admission: one per stretch the inbound rules tell apart."""
        protocols = [adm.protocol] if adm.protocol != ALL else [TCP, UDP]  # reachable means on some port
        lo, hi = adm.ports or (0, 65535)
        return [(protocol, port) for protocol in protocols for port in self._cuts(lo, hi, egress=False)]

    def _cuts(self, lo: int, hi: int, egress: bool) -> list[int]:
        cuts = {lo}
        for entry, _, _ in self._rules[egress]:
            rng = port_range(entry.from_port, entry.to_port)
            if rng is not None:
                cuts |= {p for p in (rng[0], rng[1] + 1) if lo < p <= hi}
        return sorted(cuts)

    def allows(self, address: Address, protocol: int, port: int, egress: bool) -> bool | None:
        if self.placement.acl is None:
            return True if self.placement.acl_known else None
        for entry, number, network in self._rules[egress]:
            if number is None:
                return None
            matches = self._matches(entry, network, address, protocol, port)
            if matches is None:
                return None
            if matches:
                action = str(entry.action.value).lower() if entry.action.known else ""
                return {"allow": True, "deny": False}.get(action)
        return False

    def allows_reply(self, address: Address, protocol: int) -> bool | None:
        """The reply goes out to an ephemeral port of the client (stateless ACLs check it separately)."""
        unknown = False
        for port in self._cuts(*_EPHEMERAL, egress=True):
            verdict = self.allows(address, protocol, port, egress=True)
            if verdict:
                return True
            unknown = unknown or verdict is None
        return None if unknown else False

    def _matches(
        self, entry: NetworkAclEntry, network: Network | None, address: Address, protocol: int, port: int
    ) -> bool | None:
        if network is None:
            return None
        if network.version != address.version:
            return False
        wanted = protocol_number(entry.protocol.value) if entry.protocol.known else None
        if wanted is None:
            return None
        if address not in network or wanted not in (ALL, protocol):
            return False
        if wanted in (TCP, UDP):
            rng = port_range(entry.from_port, entry.to_port)
            if rng is None:
                return None
            return rng[0] <= port <= rng[1]
        return True
