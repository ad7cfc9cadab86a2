"""CloudFormation routing: VPCs and their CIDR blocks, route tables, routes, gateways, peering and VPN."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import (
    EgressOnlyInternetGateway,
    GatewayAttachment,
    InternetGateway,
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
from ...model.values import Origin, Sourced, as_list, default, unknown
from .common import ResourceEntry

AnySourced = Sourced[Any]

_TARGETS = (
    ("GatewayId", RouteTarget.GATEWAY),
    ("NatGatewayId", RouteTarget.NAT_GATEWAY),
    ("EgressOnlyInternetGatewayId", RouteTarget.EGRESS_ONLY_GATEWAY),
    ("VpcPeeringConnectionId", RouteTarget.PEERING),
    ("TransitGatewayId", RouteTarget.OTHER),
    ("NetworkInterfaceId", RouteTarget.OTHER),
    ("InstanceId", RouteTarget.OTHER),
    ("VpcEndpointId", RouteTarget.OTHER),
    ("CarrierGatewayId", RouteTarget.OTHER),
    ("LocalGatewayId", RouteTarget.OTHER),
    ("CoreNetworkArn", RouteTarget.OTHER),
)


def adapt_vpc(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    cidr = props.get("CidrBlock")
    if cidr.origin is Origin.DEFAULT:
        cidr = unknown("CidrBlock", res.span)  # allocated from an IPAM pool: not in the template
    # a VPC's IPv6 block is an AWS::EC2::VPCCidrBlock of its own
    yield Vpc(res.name, res.type, res.name, res.span, (), cidr, default("Ipv6CidrBlock", props.span), False)


def adapt_vpc_cidr_block(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    v4, v6 = props.get("CidrBlock"), props.get("Ipv6CidrBlock")
    ipv6 = v4.origin is Origin.DEFAULT
    cidr = v6 if ipv6 else v4
    if cidr.origin is Origin.DEFAULT:
        cidr = unknown(cidr.key, res.span)  # Amazon-provided, or from an IPAM pool
    yield VpcCidrAssociation(res.name, res.type, res.name, res.span, (), props.get("VpcId"), cidr, ipv6)


def adapt_route_table(res: ResourceEntry) -> Iterator[Resource]:
    # CloudFormation cannot change a VPC's main route table: its subnets without an association keep the one
    # AWS creates, with the local routes only
    yield RouteTable(res.name, res.type, res.name, res.span, (), res.props.get("VpcId"), False)


def adapt_route(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    destination = props.get("DestinationCidrBlock")
    if destination.origin is Origin.DEFAULT:
        destination = props.get("DestinationIpv6CidrBlock")
    if destination.origin is Origin.DEFAULT:
        destination = unknown("DestinationPrefixListId", res.span)  # a prefix list's ranges are not here
    target, kind = props.get("GatewayId"), RouteTarget.OTHER
    for name, target_kind in _TARGETS:
        value = props.get(name)
        if value.origin is not Origin.DEFAULT:
            target, kind = value, target_kind
            break
    yield Route(res.name, res.type, res.name, res.span, (), props.get("RouteTableId"), destination, target, kind)


def adapt_route_table_association(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield RouteTableAssociation(
        res.name, res.type, res.name, res.span, (), props.get("RouteTableId"), props.get("SubnetId")
    )


def adapt_gateway(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    if res.type == "AWS::EC2::InternetGateway":  # attached by an AWS::EC2::VPCGatewayAttachment
        yield InternetGateway(res.name, res.type, res.name, res.span, (), default("VpcId", props.span))
    elif res.type == "AWS::EC2::VPNGateway":
        yield VpnGateway(res.name, res.type, res.name, res.span, (), default("VpcId", props.span))
    elif res.type == "AWS::EC2::EgressOnlyInternetGateway":
        yield EgressOnlyInternetGateway(res.name, res.type, res.name, res.span, (), props.get("VpcId"))
    elif res.type == "AWS::EC2::NatGateway":
        yield NatGateway(res.name, res.type, res.name, res.span, (), props.get("SubnetId"))


def adapt_gateway_attachment(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    gateway = props.get("InternetGatewayId")
    if gateway.origin is Origin.DEFAULT:
        gateway = props.get("VpnGatewayId")
    yield GatewayAttachment(res.name, res.type, res.name, res.span, (), props.get("VpcId"), gateway)


def adapt_vpn(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    if res.type == "AWS::EC2::VPNGatewayRoutePropagation":
        yield VpnGatewayRoutePropagation(
            res.name, res.type, res.name, res.span, (), props.get("VpnGatewayId"), as_list(props.get("RouteTableIds"))
        )
    elif res.type == "AWS::EC2::VPNConnection":
        yield VpnConnection(
            res.name, res.type, res.name, res.span, (), props.get("VpnGatewayId"),
            props.get_bool("StaticRoutesOnly", False),
        )  # fmt: skip
    elif res.type == "AWS::EC2::VPNConnectionRoute":
        yield VpnConnectionRoute(
            res.name, res.type, res.name, res.span, (), props.get("VpnConnectionId"), props.get("DestinationCidrBlock")
        )


def adapt_peering(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield VpcPeeringConnection(res.name, res.type, res.name, res.span, (), props.get("VpcId"), props.get("PeerVpcId"))
