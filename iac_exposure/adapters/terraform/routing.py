"""Terraform routing: VPCs and their CIDR blocks, route tables, routes, gateways, peering and VPN connections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import (
    EgressOnlyInternetGateway,
    GatewayAttachment,
    InternetGateway,
    MainRouteTableAssociation,
    NatGateway,
    Resource,
    Route,
    RouteTable,
    RouteTableAssociation,
    RouteTarget,
    Vpc,
    VpcCidrAssociation,
    VpcPeeringConnection,
    VpnConnection,
    VpnConnectionRoute,
    VpnGateway,
    VpnGatewayRoutePropagation,
)
from ...model.values import Origin, Ref, Sourced, as_list, unknown
from .common import BlockReader, ResourceBlock

AnySourced = Sourced[Any]

DEFAULT_VPC_CIDR = "172.31.0.0/16"

# Route target attributes, the same in inline `route` blocks and in `aws_route`.
_TARGETS = (
    ("gateway_id", RouteTarget.GATEWAY),
    ("nat_gateway_id", RouteTarget.NAT_GATEWAY),
    ("egress_only_gateway_id", RouteTarget.EGRESS_ONLY_GATEWAY),
    ("vpc_peering_connection_id", RouteTarget.PEERING),
    ("transit_gateway_id", RouteTarget.OTHER),
    ("network_interface_id", RouteTarget.OTHER),
    ("vpc_endpoint_id", RouteTarget.OTHER),
    ("carrier_gateway_id", RouteTarget.OTHER),
    ("local_gateway_id", RouteTarget.OTHER),
    ("core_network_arn", RouteTarget.OTHER),
    ("instance_id", RouteTarget.OTHER),
)


def adapt_vpc(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    is_default = res.type == "aws_default_vpc"
    cidr = r.get("cidr_block", DEFAULT_VPC_CIDR if is_default else None)
    if cidr.origin is Origin.DEFAULT and not is_default:
        cidr = unknown("cidr_block", r.span)  # allocated from an IPAM pool: not in the code
    ipv6 = r.get("ipv6_cidr_block")
    if ipv6.origin is Origin.DEFAULT and r.get("assign_generated_ipv6_cidr_block").value is True:
        ipv6 = unknown("ipv6_cidr_block", r.span)  # Amazon picks it
    yield Vpc(res.address, res.type, res.name, r.span, (), cidr, ipv6, is_default)


def adapt_vpc_cidr_association(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    key = "ipv6_cidr_block" if res.type.startswith("aws_vpc_ipv6") else "cidr_block"
    cidr = r.get(key)
    if cidr.origin is Origin.DEFAULT:
        cidr = unknown(key, r.span)  # from an IPAM pool or Amazon's pool
    yield VpcCidrAssociation(res.address, res.type, res.name, r.span, (), r.get("vpc_id"), cidr, key != "cidr_block")


def _route(address: str, res: ResourceBlock, block: BlockReader, table: AnySourced, inline: bool) -> Route:
    v4, v6 = ("cidr_block", "ipv6_cidr_block") if inline else ("destination_cidr_block", "destination_ipv6_cidr_block")
    destination = block.get(v4)
    if destination.origin is Origin.DEFAULT:
        destination = block.get(v6)
    if destination.origin is Origin.DEFAULT:
        destination = unknown("destination_prefix_list_id", block.span)  # a prefix list's ranges are not here
    target, kind = block.get("gateway_id"), RouteTarget.OTHER
    for name, target_kind in _TARGETS:
        value = block.get(name)
        if value.origin is not Origin.DEFAULT:
            target, kind = value, target_kind
            break
    return Route(address, res.type, res.name, block.span, (), table, destination, target, kind)


def adapt_route_table(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    main = res.type == "aws_default_route_table"
    # the default route table is named by `aws_vpc.x.default_route_table_id`: a Ref to its VPC
    vpc = r.get("default_route_table_id") if main else r.get("vpc_id")
    yield RouteTable(res.address, res.type, res.name, r.span, (), vpc, main, r.get("propagating_vgws"))
    table = Sourced(Ref(res.address), Origin.EXPLICIT, "route_table_id", r.span)
    for i, block in enumerate(r.all("route")):
        yield _route(f"{res.address}.route[{i}]", res, block, table, inline=True)


def adapt_route(res: ResourceBlock) -> Iterator[Resource]:
    yield _route(res.address, res, res.reader, res.reader.get("route_table_id"), inline=False)


def adapt_route_table_association(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    if res.type == "aws_main_route_table_association":
        yield MainRouteTableAssociation(
            res.address, res.type, res.name, r.span, (), r.get("vpc_id"), r.get("route_table_id")
        )
        return
    yield RouteTableAssociation(
        res.address, res.type, res.name, r.span, (), r.get("route_table_id"), r.get("subnet_id")
    )


def adapt_gateway(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    vpc = r.get("vpc_id")
    if res.type == "aws_internet_gateway":
        yield InternetGateway(res.address, res.type, res.name, r.span, (), vpc)
    elif res.type == "aws_egress_only_internet_gateway":
        yield EgressOnlyInternetGateway(res.address, res.type, res.name, r.span, (), vpc)
    elif res.type == "aws_vpn_gateway":
        yield VpnGateway(res.address, res.type, res.name, r.span, (), vpc)
    elif res.type == "aws_nat_gateway":
        yield NatGateway(res.address, res.type, res.name, r.span, (), r.get("subnet_id"))


def adapt_gateway_attachment(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    key = "internet_gateway_id" if res.type == "aws_internet_gateway_attachment" else "vpn_gateway_id"
    yield GatewayAttachment(res.address, res.type, res.name, r.span, (), r.get("vpc_id"), r.get(key))


def adapt_vpn(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    if res.type == "aws_vpn_gateway_route_propagation":
        yield VpnGatewayRoutePropagation(
            res.address, res.type, res.name, r.span, (), r.get("vpn_gateway_id"), as_list(r.get("route_table_id"))
        )
    elif res.type == "aws_vpn_connection":
        yield VpnConnection(
            res.address, res.type, res.name, r.span, (), r.get("vpn_gateway_id"),
            r.get_bool("static_routes_only", False),
        )  # fmt: skip
    elif res.type == "aws_vpn_connection_route":
        yield VpnConnectionRoute(
            res.address, res.type, res.name, r.span, (), r.get("vpn_connection_id"), r.get("destination_cidr_block")
        )


def adapt_peering(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield VpcPeeringConnection(res.address, res.type, res.name, r.span, (), r.get("vpc_id"), r.get("peer_vpc_id"))
