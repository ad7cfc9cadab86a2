"""Reachable from the internet.

## What it flags
An instance or auto scaling group that a packet from outside can reach, over one of three kinds of path:

- **Direct**: the instance has a public IPv4 address (see `public-ip`) or an IPv6 address (all are global:
  `ipv6_address_count`, or a subnet assigning them on creation), its subnet's route table (an explicit
  association, else the VPC's main table) sends the reply to an attached internet gateway (`0.0.0.0/0`, `::/0`
  or any route covering the client), one of its security groups admits an internet source of that IP version
  on some TCP or UDP port, and the subnet's network ACL lets that packet in and its reply out. An internet
  source is any address outside the private and reserved ranges and outside the configured `trusted-cidrs`. NAT gateways and egress-only gateways are
  outbound only: a route to them never makes an instance reachable.
- **Through a load balancer**: it is a target of an internet-facing load balancer (`internal` unset or
  false; classic ELB included) — registered directly, through a target group, or as an auto scaling group
  — behind a listener that the load balancer's security groups open to the internet. The instance's own
  security group need not be open to the world for this.
- **Through a VPC peering connection or a VPN gateway**: its subnet routes a range to a peering connection
  or a virtual private gateway (static or propagated routes) and its security groups admit sources in that
  range. This is a lower level of reachability than the internet, and the message says so.

The evidence lists the path hop by hop with the file and line of each hop. A path through something the
scanned code does not define (a subnet, route table, gateway or VPC named only by its id) is unknown, and
an unknown path is never reported.

## Why is this bad?
Anything listening on the admitted ports is attack surface for the whole internet (or the whole peered
network): scanners find it within minutes, and one vulnerable service is a way in.

## Example
    resource "aws_instance" "bastion" {
      subnet_id                   = aws_subnet.public.id   # routes 0.0.0.0/0 to an internet gateway
      associate_public_ip_address = true
      vpc_security_group_ids      = [aws_security_group.ssh_from_anywhere.id]
    }

## Fix
The cheapest link of the path: no public IP for a direct path, an internal load balancer for a path
through one.

    resource "aws_instance" "bastion" {
      subnet_id                   = aws_subnet.public.id
      associate_public_ip_address = false
      vpc_security_group_ids      = [aws_security_group.ssh_from_anywhere.id]
    }

## Fix safety
Unsafe: the instance (or the load balancer) stops answering the internet; reach it through Session Manager,
a VPN or an internal load balancer instead. Changing a load balancer's scheme replaces it. When the load
balancer serves HTTPS with a certificate it is probably meant to be public: the patch is only shown.
Paths through peering or VPN are reported without a patch: which peer hosts need access is yours to decide.

## References
- AWS Security Hub: "The EC2 instance is reachable over the internet"
- Amazon Inspector network reachability findings
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator

from ..config import Config
from ..findings import Applicability, Category, Finding, Severity, TraitMeta
from ..model.aws import Listener, LoadBalancer, Resource, SecurityGroup, VpcPeeringConnection
from ..model.graph import Compute, Model
from ..model.network import Gateway, Hop, LoadBalancerPath, Network, Placement, RouteEntry
from ..model.values import Origin
from ..patches.remedies import Remedy, SetValue
from ._common import LAUNCHED, PublicAddress, owner_of, public_addresses
from ._paths import (
    TCP,
    Address,
    Admission,
    Witness,
    admissions,
    has_public,
    internet_source,
    search,
    trusted_networks,
)

META = TraitMeta(
    id="internet-reachable",
    category=Category.REACHABILITY,
    severity=Severity.HIGH,
    title="The EC2 instance is reachable over the internet",
    fix_title="Cut the path from the internet at its cheapest link",
)

_PRIVATE_LINKS = (Gateway.PEERING, Gateway.VPN)
NO_IPV6 = "Assign no IPv6 address"


def check(model: Model, config: Config) -> Iterator[Finding]:
    trusted = trusted_networks(config)  # never the internet
    for compute in model.compute:
        if compute.kind in LAUNCHED:
            yield from _direct(model, compute, trusted)
            yield from _private_links(model, compute)
    yield from _through_load_balancers(model, trusted)


# -- (a) direct: public IP, route to an internet gateway, security group, network ACL -------------------------


def _direct(model: Model, compute: Compute, trusted: tuple[Network, ...]) -> Iterator[Finding]:
    """One finding per IP version: a public IPv4 address, or an IPv6 address (every one is global)."""
    for version, publics in ((4, list(public_addresses(compute))), (6, list(_ipv6_addresses(compute)))):
        if not publics:
            continue
        groups = compute.security_groups
        candidates = [a for a in admissions(model, groups) if a.network.version == version and has_public(a.network, trusted)]  # fmt: skip
        for placement in model.network.placements(compute) if candidates else []:
            public = next((p for p in publics if p.subnet is None or p.subnet is placement.subnet), None)
            if public is None:
                continue
            found = search(
                model, placement, candidates, lambda r, _: r.gateway is Gateway.INTERNET, internet_source(trusted),
                internet=True, extra_blocks=trusted,
            )  # fmt: skip
            if found:
                yield _direct_finding(compute, public, placement, found, version)
                break


def _ipv6_addresses(compute: Compute) -> Iterator[PublicAddress]:
    """The primary interface's own IPv6 addresses (a count or a list), else those its subnet assigns."""
    value = compute.settings.ipv6_addresses
    if compute.kind not in LAUNCHED or compute.settings.existing_primary_interface or not value.known:
        return
    if value.origin is Origin.EXPLICIT:
        count = value.value if isinstance(value.value, int) and not isinstance(value.value, bool) else None
        if count is None and not (isinstance(value.value, tuple) and value.value):
            return
        if count == 0:
            return
        owner = owner_of(value, compute)
        reason = f"{value.key} = {count if count is not None else value.span.text if value.span else '…'} on {owner.address}"  # fmt: skip
        if count is None:
            remedy = Remedy(NO_IPV6, None, Applicability.DISPLAY_ONLY, "the addresses are listed: remove them yourself")
        else:
            remedy = Remedy(NO_IPV6, SetValue(value, 0), Applicability.UNSAFE,
                            "the instance loses its IPv6 address; IPv6 clients need another path")  # fmt: skip
        yield PublicAddress(owner, value.span, reason, reason, remedy, None)
        return
    for subnet in compute.subnets:
        flag = subnet.assign_ipv6_address_on_creation
        if flag.value is True:
            reason = f"{subnet.address} assigns IPv6 addresses on creation"
            remedy = Remedy(
                NO_IPV6, None, Applicability.DISPLAY_ONLY,
                "stop the subnet assigning IPv6 addresses, or route ::/0 through an egress-only internet gateway: "
                "either changes every instance in the subnet",
            )  # fmt: skip
            yield PublicAddress(subnet, flag.span, reason, reason, remedy, subnet)


def _direct_finding(
    compute: Compute, public: PublicAddress, placement: Placement, witnesses: list[Witness], version: int
) -> Finding:
    route = witnesses[0].route
    gateway = route.target.address if route.target is not None else "the default VPC's internet gateway"
    admitted = "; ".join(_admitted(w.admission) for w in witnesses)
    address = "public IP" if version == 4 else "IPv6 address"
    message = (
        f"Reachable from the internet through {gateway}: {address} ({public.reason}), route {route.destination} "
        f"to the gateway, and {admitted}"
    )
    hops = [
        Hop(f"{address}: {public.reason}", public.location),
        placement.subnet_hop,
        *placement.route_table_hops,
        route.hop,
    ]
    if route.target is not None:
        hops.append(Hop(f"internet gateway {route.target.address}", route.target.span))
    hops += [_acl_hop(placement), *[_admission_hop(w.admission, w) for w in witnesses]]
    return Finding(
        META, compute.resource, public.source, public.location, message, public.remedy, tuple(h.render() for h in hops)
    )


def _admitted(adm: Admission) -> str:
    return f"{adm.group.address} admits {adm.network} to {adm.describe()}"


def _admission_hop(adm: Admission, witness: Witness | None = None) -> Hop:
    ports = adm.describe()
    if witness is not None and witness.describe_port() != ports:
        ports += f" (through the network ACL: {witness.describe_port()})"
    return Hop(f"security group {adm.group.address} admits {adm.network} to {ports}", adm.cidr.span)


def _acl_hop(placement: Placement) -> Hop:
    hop = placement.acl_hop
    return Hop(f"{hop.text} lets it in and the reply out", hop.span) if placement.acl is not None else hop


# -- (c) VPC peering and VPN: a lower level of reachability ---------------------------------------------------


def _private_links(model: Model, compute: Compute) -> Iterator[Finding]:
    candidates = [a for a in admissions(model, compute.security_groups) if a.network.version == 4]
    if not candidates:
        return
    reported: set[str] = set()
    for placement in model.network.placements(compute):
        far = {p.address: model.network.far_side(p, placement.vpc) for p in model.of_type(VpcPeeringConnection)}
        blocks = tuple(block for blocks in far.values() for block in blocks)
        found = search(model, placement, candidates, _arrives_over(far), lambda _: True, extra_blocks=blocks)
        by_gateway: dict[str, list[Witness]] = defaultdict(list)
        for witness in found:
            gateway = witness.route.target
            if gateway is not None and gateway.address not in reported:
                by_gateway[gateway.address].append(witness)
        for address, witnesses in by_gateway.items():
            reported.add(address)
            yield _private_link_finding(compute, placement, witnesses, far.get(address, ()))


def _arrives_over(far: dict[str, tuple[Network, ...]]) -> Callable[[RouteEntry, Address], bool]:
    """A route to a peering connection or a VPN gateway; over a peering connection only the other VPC's
    addresses arrive, when the code says which they are."""

    def wanted(route: RouteEntry, address: Address) -> bool:
        blocks = far.get(route.target.address, ()) if route.target is not None else ()
        if route.gateway is Gateway.PEERING and blocks:
            return any(address in block for block in blocks)
        return route.gateway in _PRIVATE_LINKS

    return wanted


def _private_link_finding(
    compute: Compute, placement: Placement, witnesses: list[Witness], far: tuple[Network, ...]
) -> Finding:
    route: RouteEntry = witnesses[0].route
    gateway = route.target
    assert gateway is not None  # only routes to a known peering connection or gateway are wanted
    kind = route.gateway.value
    first = witnesses[0].admission
    dest = route.destination
    arriving = [b for b in far if dest is not None and b.version == dest.version and b.overlaps(dest)]
    sources = ", ".join(str(b) for b in arriving) or str(dest)
    message = (
        f"Reachable from {sources} through {kind} {gateway.address} (an open path from a private "
        f"network, a lower level of reachability than the internet): {'; '.join(_admitted(w.admission) for w in witnesses)}"
    )
    hops = [placement.subnet_hop, *placement.route_table_hops, route.hop, Hop(f"{kind} {gateway.address}", gateway.span),
            _acl_hop(placement), *[_admission_hop(w.admission, w) for w in witnesses]]  # fmt: skip
    remedy = Remedy(
        "Admit only the hosts of the connected network that need access",
        None,
        Applicability.DISPLAY_ONLY,
        "which hosts across the connection need access is yours to decide",
    )
    return Finding(
        META, compute.resource, first.group, first.cidr.span, message, remedy, tuple(h.render() for h in hops)
    )


# -- (b) through an internet-facing load balancer ----------------------------------------------------------


def _through_load_balancers(model: Model, trusted: tuple[Network, ...]) -> Iterator[Finding]:
    grouped: dict[tuple[str, str], list[LoadBalancerPath]] = defaultdict(list)
    for path in model.network.load_balancer_paths:
        grouped[(path.target.address, path.load_balancer.address)].append(path)
    for paths in grouped.values():
        lb = paths[0].load_balancer
        internal = lb.internal.value == lb.internal_literal
        if lb.internal.origin is Origin.UNKNOWN or internal or lb.load_balancer_type.value == "gateway":
            continue
        front = _front_door(model, lb, paths, trusted)
        if front is not None:
            yield _load_balancer_finding(model, lb, *front)


def _front_door(
    model: Model, lb: LoadBalancer, paths: list[LoadBalancerPath], trusted: tuple[Network, ...]
) -> tuple[LoadBalancerPath, Hop] | None:
    """The first path whose listener the internet can reach, with the hop that lets it in."""
    if lb.security_groups.origin is Origin.DEFAULT:
        if lb.load_balancer_type.value == "network":
            return _client_addresses_reach_targets(model, paths, trusted)
        if lb.load_balancer_type.value == "classic" and lb.subnets.origin is Origin.DEFAULT:
            hop = Hop("no security groups: in the default VPC a classic load balancer gets ELB's default_elb "
                      "group, open on its listener ports", None)  # fmt: skip
            return paths[0], hop
        groups = [g for g in model.of_type(SecurityGroup) if g.is_default]  # the VPC's default group
    else:
        groups, _ = model.resolve_all(lb.security_groups, SecurityGroup)
    public = [a for a in admissions(model, groups) if has_public(a.network, trusted)]
    for path in paths:
        port = path.listener.port.value if isinstance(path.listener.port.value, int) else None
        adm = next((a for a in public if a.admits(TCP, port)), None)
        if adm is not None:
            return path, _admission_hop(adm)
    return None  # not open to the internet, or only through groups that are not in the code


def _client_addresses_reach_targets(
    model: Model, paths: list[LoadBalancerPath], trusted: tuple[Network, ...]
) -> tuple[LoadBalancerPath, Hop] | None:
    """A network load balancer without security groups passes client addresses: the targets' groups decide."""
    for path in paths:
        port = path.target_port.value if path.target_port is not None and isinstance(path.target_port.value, int) else None  # fmt: skip
        groups = [g for c in model.compute if c.resource is path.target for g in c.security_groups]
        adm = next((a for a in admissions(model, groups) if has_public(a.network, trusted) and a.admits(TCP, port)), None)  # fmt: skip
        if adm is not None:
            hop = _admission_hop(adm)
            return path, Hop(f"no security groups on the network load balancer, client addresses pass: {hop.text}", hop.span)  # fmt: skip
    return None


def _load_balancer_finding(model: Model, lb: LoadBalancer, path: LoadBalancerPath, door: Hop) -> Finding:
    target: Resource = path.target
    setting = lb.internal
    written = setting.span.text if setting.span is not None else str(setting.value).lower()
    scheme = f"{setting.key} = {written}" if setting.explicit else f"{setting.key} unset: internet-facing by default"
    kind = lb.load_balancer_type.value or "application"
    listener = path.listener
    message = (
        f"Reachable from the internet through {lb.address}, an internet-facing {kind} load balancer ({scheme}): "
        f"listener {listener.port.value}/{listener.protocol.value or 'default protocol'} forwards to {target.address}"
    )
    hops = [
        Hop(f"internet-facing load balancer {lb.address} ({scheme})", lb.internal.span or lb.span),
        door,
        *path.hops,
    ]
    return Finding(
        META, target, lb, lb.internal.span, message, _make_internal(model, lb), tuple(h.render() for h in hops)
    )


def _make_internal(model: Model, lb: LoadBalancer) -> Remedy:
    action = SetValue(lb.internal, lb.internal_literal)
    title = "Make the load balancer internal"
    listeners = [x for x in model.of_type(Listener) if model.resolve(x.load_balancer, LoadBalancer)[0] is lb]
    if any(_serves_public(x) for x in listeners):
        return Remedy(
            title, action, Applicability.DISPLAY_ONLY,
            "it serves HTTPS with a certificate, so it is probably meant for the public: put the instances' "
            "protection in its security group, a WAF and the listener rules instead",
        )  # fmt: skip
    return Remedy(
        title, action, Applicability.UNSAFE,
        "clients on the internet lose access; changing the scheme replaces the load balancer",
    )  # fmt: skip


def _serves_public(listener: Listener) -> bool:
    protocol = str(listener.protocol.value or "").upper()
    secure = protocol in ("HTTPS", "TLS", "SSL") or listener.port.value == 443
    return secure and listener.certificate.origin is Origin.EXPLICIT and listener.certificate.value is not None
