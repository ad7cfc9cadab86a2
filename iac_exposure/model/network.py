"""Network links, resolved once per model: where a subnet's traffic is routed, which network ACL guards it,
the CIDR blocks of a VPC, and which load balancer listeners reach which instances and auto scaling groups.

Everything here is a link between model resources, never a judgement: the reachability traits decide what
a path means. What the scanned code does not say is kept as an explicit unknown with the reason, so a trait
can refuse to fire on it.
"""

from __future__ import annotations

import ipaddress
import weakref
from collections import defaultdict
from enum import Enum
from typing import TYPE_CHECKING, Any

from .._records import record
from ..source import Span
from .aws import (
    AutoScalingGroup,
    EgressOnlyInternetGateway,
    GatewayAttachment,
    Instance,
    InternetGateway,
    Listener,
    ListenerRule,
    LoadBalancer,
    MainRouteTableAssociation,
    NatGateway,
    NetworkAcl,
    NetworkAclEntry,
    Resource,
    Route,
    RouteTable,
    RouteTableAssociation,
    RouteTarget,
    SecurityGroup,
    Subnet,
    TargetAttachment,
    TargetGroup,
    Vpc,
    VpcCidrAssociation,
    VpcPeeringConnection,
    VpnConnection,
    VpnConnectionRoute,
    VpnGateway,
    VpnGatewayRoutePropagation,
)
from .values import Origin, Ref, Sourced

if TYPE_CHECKING:
    from .graph import Compute, Model

AnySourced = Sourced[Any]
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_VPC_CIDR = ipaddress.ip_network("172.31.0.0/16")
_WORLD_V4 = ipaddress.ip_network("0.0.0.0/0")


@record
class Hop:
    """One step of a path, as evidence: what it is, and where it is written (None: an AWS default)."""

    text: str
    span: Span | None

    def render(self) -> str:
        if self.span is None:
            return f"{self.text} (AWS default, not in the code)"
        return f"{self.text} ({self.span.file.display}:{self.span.start_line})"


class Gateway(str, Enum):
    """What a route leads to, as far as reachability is concerned."""

    LOCAL = "local"  # the VPC's own range
    INTERNET = "internet gateway"
    DETACHED_INTERNET = "detached internet gateway"  # a black hole
    VPN = "virtual private gateway"
    PEERING = "vpc peering connection"
    OUTBOUND_ONLY = "outbound only"  # NAT gateway, egress-only internet gateway: nothing comes in
    OTHER = "other"  # transit gateway, network interface, endpoint…: not a path this tool follows
    UNKNOWN = "unknown"  # a target not in the scanned code


@record
class RouteEntry:
    destination: Network | None  # None: not known (a prefix list, BGP-learned ranges, an unevaluated value)
    gateway: Gateway
    target: Resource | None  # the gateway or peering connection, when it is in the model
    hop: Hop
    version: int | None = None  # for an unknown destination: its IP version, when that much is known


@record
class Placement:
    """Where instances land: a subnet with its VPC, route table and network ACL, each resolved or unknown."""

    subnet: Subnet | None  # None: a default subnet of the default VPC, which the code does not name
    subnet_hop: Hop
    vpc: Vpc | None  # None: the default VPC, or a VPC not in the code
    vpc_cidrs: tuple[Network, ...]  # the VPC's blocks that are known
    route_table_hops: tuple[Hop, ...]  # how the table is chosen, and the table
    routes: tuple[RouteEntry, ...] | None  # the table's routes, the VPC's local ranges included; None: unknown
    acl: NetworkAcl | None  # None with acl_known: the VPC's default ACL as AWS creates it (allows everything)
    acl_entries: tuple[NetworkAclEntry, ...]
    acl_known: bool
    acl_hop: Hop


@record
class LoadBalancerPath:
    """A listener of a load balancer that forwards to a registered instance or auto scaling group."""

    load_balancer: LoadBalancer
    listener: Listener
    target: Resource  # Instance or AutoScalingGroup
    hops: tuple[Hop, ...]  # listener → (rule) → target group → registration
    target_port: AnySourced | None  # the port traffic lands on (target group or classic instance port)


def parse_cidr(value: Any) -> Network | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


class NetworkLinks:
    def __init__(self, model: Model) -> None:
        # weakly: the model holds its links (`Model.network`), so a strong reference back would make every
        # model a reference cycle, freed (with every resource it holds) only by the cyclic collector
        self.model: Model = weakref.proxy(model)
        self._routes_of: dict[str, list[Route]] = defaultdict(list)
        for route in model.of_type(Route):
            table, _ = model.resolve(route.route_table, RouteTable)
            if table is not None:
                self._routes_of[table.address].append(route)
        self._attached: set[str] = set()  # gateways attached to a VPC
        self._maybe_attached: set[str] = set()  # attached to a VPC the code does not evaluate
        gateways: list[InternetGateway | VpnGateway] = [*model.of_type(InternetGateway), *model.of_type(VpnGateway)]
        for gateway in gateways:
            self._attach(gateway.address, gateway.vpc)
        for att in model.of_type(GatewayAttachment):
            attached, _ = model.resolve(att.gateway, (InternetGateway, VpnGateway))
            if attached is not None:
                self._attach(attached.address, att.vpc)
            elif not att.gateway.known:  # attaches some gateway: any of them
                self._maybe_attached |= {g.address for g in gateways}
        self.load_balancer_paths: tuple[LoadBalancerPath, ...] = tuple(self._load_balancer_paths())
        self._placements: dict[str, Placement] = {}

    def _attach(self, gateway: str, vpc: AnySourced) -> None:
        if vpc.origin is Origin.UNKNOWN:
            self._maybe_attached.add(gateway)
        elif vpc.value is not None:
            self._attached.add(gateway)

    # -- CIDRs ---------------------------------------------------------------------------------------------

    def cidr(self, value: AnySourced) -> Network | None:
        """A CIDR value, also when written as a reference to a VPC's block (`aws_vpc.main.cidr_block`)."""
        if not value.known:
            return None
        ref = value.value
        if isinstance(ref, Ref):
            vpc, _ = self.model.resolve(value, Vpc)
            attribute = ref.attribute.replace("_", "").lower()  # `cidr_block` (Terraform), `CidrBlock` (CloudFormation)
            if vpc is None:
                return None
            if attribute == "cidrblock":
                return self.cidr(vpc.cidr_block)
            if attribute == "ipv6cidrblock":
                return self.cidr(vpc.ipv6_cidr_block)
            return None
        return parse_cidr(ref)

    def vpc_cidrs(self, vpc: Vpc | None) -> tuple[Network, ...]:
        """The known CIDR blocks of a VPC (None: the default VPC the code does not name)."""
        return tuple(net for net, _ in self._vpc_blocks(vpc) if net is not None)

    def _vpc_blocks(self, vpc: Vpc | None) -> list[tuple[Network | None, int]]:
        """Every CIDR block of a VPC with its IP version; None for a block whose value is not in the code."""
        if vpc is None:
            return [(DEFAULT_VPC_CIDR, 4)]
        blocks = [(vpc.cidr_block, 4), (vpc.ipv6_cidr_block, 6)]
        for assoc in self.model.of_type(VpcCidrAssociation):
            if self.model.resolve(assoc.vpc, Vpc)[0] is vpc:
                blocks.append((assoc.cidr_block, 6 if assoc.ipv6 else 4))
        return [(self.cidr(b), v) for b, v in blocks if not (b.origin is Origin.DEFAULT and b.value is None)]

    def vpc_of(self, value: AnySourced, default_vpc: bool) -> tuple[Vpc | None, bool]:
        """(vpc, known) for a `vpc_id` value; an unset one means the default VPC (None, True) when `default_vpc`."""
        if value.origin is Origin.DEFAULT and default_vpc:
            defaults = [v for v in self.model.of_type(Vpc) if v.is_default]
            return (defaults[0] if defaults else None), True
        vpc, known = self.model.resolve(value, Vpc)
        return vpc, known and vpc is not None

    def far_side(self, peering: VpcPeeringConnection, near: Vpc | None) -> tuple[Network, ...]:
        """The CIDR blocks of the other VPC of a peering connection; empty when that is not known."""
        for mine, theirs in ((peering.vpc, peering.peer_vpc), (peering.peer_vpc, peering.vpc)):
            if near is not None and self.model.resolve(mine, Vpc)[0] is near:
                far, known = self.vpc_of(theirs, default_vpc=False)
                return self.vpc_cidrs(far) if known else ()
        return ()

    def group_vpc_cidrs(self, group: SecurityGroup) -> tuple[Network, ...]:
        """The CIDR blocks of a security group's VPC (a group with no VPC is in the default VPC)."""
        vpc, known = self.vpc_of(group.vpc, default_vpc=True)
        return self.vpc_cidrs(vpc) if known else ()

    # -- placements: subnet → route table → routes, and the network ACL --------------------------------------

    def placements(self, compute: Compute) -> list[Placement]:
        """Where the compute resource's instances land, one placement per known subnet."""
        if compute.default_vpc:
            return [self._placement(None)]
        return [self._placement(subnet) for subnet in compute.subnets]

    def _placement(self, subnet: Subnet | None) -> Placement:
        key = subnet.address if subnet is not None else ""
        if key not in self._placements:
            self._placements[key] = self._place(subnet)
        return self._placements[key]

    def _place(self, subnet: Subnet | None) -> Placement:
        if subnet is None:
            vpc, vpc_known = self.vpc_of(Sourced(None, Origin.DEFAULT, "vpc_id", None), default_vpc=True)
            subnet_hop = Hop("a default subnet of the default VPC (no subnet given)", None)
        else:
            vpc, vpc_known = self.vpc_of(subnet.vpc, default_vpc=subnet.is_default)
            subnet_hop = Hop(f"subnet {subnet.address}", subnet.span)
        blocks = self._vpc_blocks(vpc) if vpc_known else [(None, 4), (None, 6)]
        cidrs = tuple(net for net, _ in blocks if net is not None)
        table_hops, routes = self._route_table(subnet, vpc, vpc_known)
        if routes is not None:
            local = tuple(
                RouteEntry(net, Gateway.LOCAL, None, Hop(f"local route {net or f'IPv{version}'}", None), version)
                for net, version in blocks
            )
            routes = local + routes
        acl, entries, acl_known, acl_hop = self._acl(subnet, vpc, vpc_known)
        return Placement(subnet, subnet_hop, vpc, cidrs, table_hops, routes, acl, entries, acl_known, acl_hop)

    def _route_table(
        self, subnet: Subnet | None, vpc: Vpc | None, vpc_known: bool
    ) -> tuple[tuple[Hop, ...], tuple[RouteEntry, ...] | None]:
        if subnet is not None:
            for assoc in self.model.of_type(RouteTableAssociation):
                if self.model.resolve(assoc.subnet, Subnet)[0] is not subnet:
                    continue
                table, _ = self.model.resolve(assoc.route_table, RouteTable)
                via = Hop(f"route table association {assoc.address}", assoc.span)
                if table is None:
                    return (via,), None
                return (via, Hop(f"route table {table.address}", table.span)), self.routes(table)
        if not vpc_known:
            return (), None
        for main_assoc in self.model.of_type(MainRouteTableAssociation):
            if self.model.resolve(main_assoc.vpc, Vpc)[0] is vpc and vpc is not None:
                table, _ = self.model.resolve(main_assoc.route_table, RouteTable)
                via = Hop(f"main route table association {main_assoc.address} (no explicit association)",
                          main_assoc.span)  # fmt: skip
                if table is None:
                    return (via,), None
                return (via, Hop(f"route table {table.address}", table.span)), self.routes(table)
        for table in self.model.of_type(RouteTable):
            if table.main and vpc is not None and self.model.resolve(table.vpc, Vpc)[0] is vpc:
                hop = Hop(f"main route table {table.address} (no explicit association)", table.span)
                return (hop,), self.routes(table)
        if vpc is None or vpc.is_default:
            hop = Hop("the default VPC's main route table: 0.0.0.0/0 → its internet gateway", None)
            route = RouteEntry(_WORLD_V4, Gateway.INTERNET, None, Hop("route 0.0.0.0/0 → the default VPC's internet gateway", None))  # fmt: skip
            return (hop,), (route,)
        # a VPC created by this code: AWS gives it a main route table with only the local routes
        hop = Hop(f"the main route table of {vpc.address}, as AWS creates it: local routes only", None)
        return (hop,), ()

    def routes(self, table: RouteTable) -> tuple[RouteEntry, ...]:
        """The table's own routes and those propagated to it by virtual private gateways."""
        entries = [self._entry(route) for route in self._routes_of.get(table.address, [])]
        for vgw, hop in self._propagating(table):
            entries.extend(self._propagated(vgw, hop))
        return tuple(entries)

    def _entry(self, route: Route) -> RouteEntry:
        dest = self.cidr(route.destination)
        shown = str(dest) if dest is not None else str(route.destination.value or route.destination.key)
        gateway, target = self._target(route)
        name = target.address if target is not None else _shown(route.target)
        return RouteEntry(dest, gateway, target, Hop(f"route {shown} → {name}", route.span))

    def _target(self, route: Route) -> tuple[Gateway, Resource | None]:
        kind, value = route.target_kind, route.target
        if kind in (RouteTarget.NAT_GATEWAY, RouteTarget.EGRESS_ONLY_GATEWAY):
            target, _ = self.model.resolve(value, (NatGateway, EgressOnlyInternetGateway))
            return Gateway.OUTBOUND_ONLY, target
        if kind is RouteTarget.OTHER:
            return Gateway.OTHER, None
        if value.value == "local":
            return Gateway.LOCAL, None
        if kind is RouteTarget.PEERING:
            peering, _ = self.model.resolve(value, VpcPeeringConnection)
            return (Gateway.PEERING if peering is not None else Gateway.UNKNOWN), peering
        gateway, _ = self.model.resolve(value, (InternetGateway, VpnGateway))
        if gateway is None:
            return Gateway.UNKNOWN, None
        if gateway.address not in self._attached:
            if gateway.address in self._maybe_attached:
                return Gateway.UNKNOWN, gateway
            return (Gateway.DETACHED_INTERNET if isinstance(gateway, InternetGateway) else Gateway.OTHER), gateway
        return (Gateway.INTERNET if isinstance(gateway, InternetGateway) else Gateway.VPN), gateway

    def _propagating(self, table: RouteTable) -> list[tuple[VpnGateway | None, Hop]]:
        found: list[tuple[VpnGateway | None, Hop]] = []
        for item in table.propagating_vpn_gateways.items():
            vgw, _ = self.model.resolve(item, VpnGateway)
            found.append((vgw, Hop(f"propagated by {item.key} of {table.address}", item.span)))
        for prop in self.model.of_type(VpnGatewayRoutePropagation):
            tables, _ = self.model.resolve_all(prop.route_tables, RouteTable)
            if table in tables:
                vgw, _ = self.model.resolve(prop.vpn_gateway, VpnGateway)
                found.append((vgw, Hop(f"propagated by {prop.address}", prop.span)))
        return found

    def _propagated(self, vgw: VpnGateway | None, via: Hop) -> list[RouteEntry]:
        """The ranges a virtual private gateway propagates: its VPN connections' static routes."""
        if vgw is None or vgw.address not in self._attached:
            return (
                [RouteEntry(None, Gateway.UNKNOWN, vgw, via)]
                if vgw is None or vgw.address in self._maybe_attached
                else []
            )
        connections = [c for c in self.model.of_type(VpnConnection) if self.model.resolve(c.vpn_gateway, VpnGateway)[0] is vgw]  # fmt: skip
        if not connections:
            return [RouteEntry(None, Gateway.UNKNOWN, vgw, via)]  # connected outside the code
        entries = []
        for conn in connections:
            if conn.static_routes_only.value is not True:
                entries.append(RouteEntry(None, Gateway.UNKNOWN, vgw, via))  # ranges learned over BGP
                continue
            for static in self.model.of_type(VpnConnectionRoute):
                if self.model.resolve(static.vpn_connection, VpnConnection)[0] is not conn:
                    continue
                dest = self.cidr(static.destination)
                text = f"route {dest or static.destination.value} → {vgw.address}: static route {static.address}, {via.text}"
                hop = Hop(text, static.span)
                entries.append(RouteEntry(dest, Gateway.VPN, vgw, hop))
        return entries

    def _acl(
        self, subnet: Subnet | None, vpc: Vpc | None, vpc_known: bool
    ) -> tuple[NetworkAcl | None, tuple[NetworkAclEntry, ...], bool, Hop]:
        acls = self.model.acls_of_subnet.get(subnet.address, []) if subnet is not None else []
        if len(acls) == 1:
            acl = acls[0]
            return acl, tuple(self.model.acl_entries(acl)), True, Hop(f"network ACL {acl.address}", acl.span)
        if len(acls) > 1:
            return None, (), False, Hop(f"{len(acls)} network ACLs associated with {subnet.address if subnet else ''}", None)  # fmt: skip
        if not vpc_known:
            return None, (), False, Hop("the default network ACL of a VPC not in the code", None)
        for acl in self.model.of_type(NetworkAcl):
            if acl.is_default and vpc is not None and self.model.resolve(acl.vpc, Vpc)[0] is vpc:
                hop = Hop(f"default network ACL {acl.address}", acl.span)
                return acl, tuple(self.model.acl_entries(acl)), True, hop
        return None, (), True, Hop("the VPC's default network ACL, which allows all traffic", None)

    # -- load balancers --------------------------------------------------------------------------------------

    def _load_balancer_paths(self) -> list[LoadBalancerPath]:
        model = self.model
        registered: dict[str, list[tuple[Resource, Hop]]] = defaultdict(list)  # target group / classic LB → targets
        for att in model.of_type(TargetAttachment):
            group, _ = model.resolve(att.target_group, (TargetGroup, LoadBalancer))
            target, _ = model.resolve(att.target, (Instance, AutoScalingGroup))
            if group is not None and target is not None:
                registered[group.address].append((target, Hop(f"{target.address} registered by {att.address}", att.span)))  # fmt: skip
        for asg in model.of_type(AutoScalingGroup):
            for item in asg.target_groups.items():
                group, _ = model.resolve(item, TargetGroup)
                if group is not None:
                    registered[group.address].append((asg, Hop(f"{asg.address} through {item.key}", item.span)))
            for item in asg.load_balancers.items():
                group, _ = model.resolve(item, LoadBalancer)
                if group is not None:
                    registered[group.address].append((asg, Hop(f"{asg.address} through {item.key}", item.span)))
        for classic in model.of_type(LoadBalancer):
            for item in classic.instances.items():
                inst, _ = model.resolve(item, Instance)
                if inst is not None:
                    hop = Hop(f"{inst.address} registered on {classic.address}", item.span)
                    registered[classic.address].append((inst, hop))
        rules_of: dict[str, list[ListenerRule]] = defaultdict(list)
        for rule in model.of_type(ListenerRule):
            listener, _ = model.resolve(rule.listener, Listener)
            if listener is not None:
                rules_of[listener.address].append(rule)
        paths = []
        for listener in model.of_type(Listener):
            lb, _ = model.resolve(listener.load_balancer, LoadBalancer)
            if lb is None:
                continue
            hop = Hop(f"listener {listener.address} ({_port(listener.port)}/{listener.protocol.value or 'default protocol'})", listener.span)  # fmt: skip
            if lb.load_balancer_type.value == "classic":
                for target, reg in registered.get(lb.address, []):
                    paths.append(LoadBalancerPath(lb, listener, target, (hop, reg), listener.instance_port))
                continue
            forwards: list[tuple[AnySourced, tuple[Hop, ...]]] = [(item, (hop,)) for item in listener.target_groups]
            for rule in rules_of.get(listener.address, []):
                forwards += [(item, (hop, Hop(f"listener rule {rule.address}", rule.span))) for item in rule.target_groups]  # fmt: skip
            for item, via in forwards:
                group, _ = model.resolve(item, TargetGroup)
                if group is None or group.target_type.value != "instance":
                    continue  # IP, Lambda and ALB targets are not instances; unknown groups are not guessed
                tg_hop = Hop(f"target group {group.address}", group.span)
                for target, reg in registered.get(group.address, []):
                    paths.append(LoadBalancerPath(lb, listener, target, (*via, tg_hop, reg), group.port))
        return paths


def _shown(value: AnySourced) -> str:
    ref = value.value
    if isinstance(ref, Ref):
        return ref.address
    return str(ref) if value.known else f"{value.key} (not evaluated)"


def _port(value: AnySourced) -> str:
    return str(value.value) if value.known and value.value is not None else "?"
