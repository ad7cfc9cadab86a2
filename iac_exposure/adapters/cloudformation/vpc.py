"""CloudFormation networking: security groups and their rules, network ACLs, subnets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import (
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    Resource,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
)
from ...model.values import Origin, Ref, Sourced, default
from .common import Block, ResourceEntry

AnySourced = Sourced[Any]

_SOURCES = {
    "ingress": ("SourceSecurityGroupId", "SourceSecurityGroupName"),
    "egress": ("DestinationSecurityGroupId",),
}


def _protocol(value: AnySourced) -> AnySourced:
    if isinstance(value.value, str):
        return Sourced(value.value.lower(), value.origin, value.key, value.span, value.missing, value.via)
    return value


def _rule(address: str, res: ResourceEntry, rule: Block, group: AnySourced, direction: str) -> SecurityGroupRule:
    cidrs = tuple(c for c in (rule.get("CidrIp"), rule.get("CidrIpv6")) if c.origin is not Origin.DEFAULT)
    sources = tuple(s for s in (rule.get(n) for n in _SOURCES[direction]) if s.origin is not Origin.DEFAULT)
    return SecurityGroupRule(
        address,
        res.type,
        res.name,
        rule.span,
        (),
        security_group=group,
        direction=direction,
        protocol=_protocol(rule.get_str("IpProtocol")),
        from_port=rule.get_int("FromPort"),
        to_port=rule.get_int("ToPort"),
        cidrs=cidrs,
        sources=sources,
        self_reference=any(s.value == group.value and s.known for s in sources),
    )


def adapt_security_group(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield SecurityGroup(res.name, res.type, res.name, res.span, res.aliases("GroupName"), False, props.get("VpcId"))
    group = Sourced(Ref(res.name), Origin.EXPLICIT, "GroupId", res.span)
    for direction, key in (("ingress", "SecurityGroupIngress"), ("egress", "SecurityGroupEgress")):
        for i, rule in enumerate(props.items(key)):
            yield _rule(f"{res.name}.{key}[{i}]", res, rule, group, direction)


def adapt_security_group_rule(res: ResourceEntry) -> Iterator[Resource]:
    """`AWS::EC2::SecurityGroupIngress` / `SecurityGroupEgress`: one rule of a group given by id or name."""
    props = res.props
    group = props.get("GroupId")
    if group.origin is Origin.DEFAULT:
        group = props.get("GroupName")
    direction = "ingress" if res.type.endswith("Ingress") else "egress"
    yield _rule(res.name, res, props, group, direction)


def adapt_network_acl(res: ResourceEntry) -> Iterator[Resource]:
    # subnets join a custom network ACL only by `SubnetNetworkAclAssociation`
    subnets = default("SubnetIds", res.props.span)
    yield NetworkAcl(res.name, res.type, res.name, res.span, (), False, subnets, res.props.get("VpcId"))


def adapt_network_acl_entry(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    cidr = props.get("CidrBlock")
    if cidr.origin is Origin.DEFAULT:
        cidr = props.get("Ipv6CidrBlock")
    ports = props.nested("PortRange")
    yield NetworkAclEntry(
        res.name,
        res.type,
        res.name,
        res.span,
        (),
        network_acl=props.get("NetworkAclId"),
        rule_number=props.get_int("RuleNumber"),
        action=_protocol(props.get_str("RuleAction")),
        egress=props.get_bool("Egress", False).value is not False,  # unknown: not known to be inbound
        protocol=_protocol(props.get_str("Protocol")),
        from_port=ports.get_int("From"),
        to_port=ports.get_int("To"),
        cidr=cidr,
    )


def adapt_network_acl_association(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield NetworkAclAssociation(
        res.name, res.type, res.name, res.span, (), props.get("NetworkAclId"), props.get("SubnetId")
    )


def adapt_subnet(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    public = props.get_bool("MapPublicIpOnLaunch", False)
    ipv6 = props.get_bool("AssignIpv6AddressOnCreation", False)
    yield Subnet(res.name, res.type, res.name, res.span, (), public, False, props.get("VpcId"), ipv6)
