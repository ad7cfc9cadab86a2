"""Terraform networking: security groups and their rules, network ACLs, subnets."""

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
from ...model.values import Origin, Ref, Sourced, as_list
from .common import BlockReader, ResourceBlock

AnySourced = Sourced[Any]


def _cidrs(r: BlockReader, *names: str) -> tuple[AnySourced, ...]:
    found: list[AnySourced] = []
    for name in names:
        value = r.get(name)
        if value.origin is Origin.UNKNOWN:
            found.append(value)  # an unknown list: its elements are unknown
        else:
            found.extend(value.items())
    return tuple(found)


def _inline_rule(res: ResourceBlock, rule: BlockReader, direction: str, index: int) -> SecurityGroupRule:
    self_ref = rule.get("self").value is True
    return SecurityGroupRule(
        f"{res.address}.{direction}[{index}]",
        res.type,
        res.name,
        rule.span,
        (),
        security_group=Sourced(Ref(res.address), Origin.EXPLICIT, "security_group", res.reader.span),
        direction=direction,
        protocol=_protocol(rule.get_str("protocol")),
        from_port=rule.get("from_port"),
        to_port=rule.get("to_port"),
        cidrs=_cidrs(rule, "cidr_blocks", "ipv6_cidr_blocks"),
        sources=rule.get("security_groups").items(),
        self_reference=self_ref,
    )


def _protocol(value: AnySourced) -> AnySourced:
    if isinstance(value.value, str):
        return Sourced(value.value.lower(), value.origin, value.key, value.span, value.missing, value.via)
    return value


def adapt_security_group(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    is_default = res.type == "aws_default_security_group"
    yield SecurityGroup(res.address, res.type, res.name, r.span, res.aliases("name"), is_default, r.get("vpc_id"))
    for direction in ("ingress", "egress"):
        for i, rule in enumerate(r.all(direction)):
            yield _inline_rule(res, rule, direction, i)


def adapt_security_group_rule(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    self_ref = r.get("self").value is True
    kind = r.get("type").value
    yield SecurityGroupRule(
        res.address,
        res.type,
        res.name,
        r.span,
        (),
        security_group=r.get("security_group_id"),
        direction=kind if kind in ("ingress", "egress") else "unknown",
        protocol=_protocol(r.get_str("protocol")),
        from_port=r.get("from_port"),
        to_port=r.get("to_port"),
        cidrs=_cidrs(r, "cidr_blocks", "ipv6_cidr_blocks"),
        sources=as_list(r.get("source_security_group_id")).items(),
        self_reference=self_ref,
    )


def adapt_vpc_security_group_rule(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield SecurityGroupRule(
        res.address,
        res.type,
        res.name,
        r.span,
        (),
        security_group=r.get("security_group_id"),
        direction="ingress" if res.type.endswith("ingress_rule") else "egress",
        protocol=_protocol(r.get_str("ip_protocol")),
        from_port=r.get("from_port"),
        to_port=r.get("to_port"),
        cidrs=_cidrs(r, "cidr_ipv4", "cidr_ipv6"),
        sources=as_list(r.get("referenced_security_group_id")).items(),
        self_reference=False,
    )


def adapt_network_acl(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    is_default = res.type == "aws_default_network_acl"
    # the default ACL is named by `aws_vpc.x.default_network_acl_id`: a Ref to its VPC
    vpc = r.get("default_network_acl_id") if is_default else r.get("vpc_id")
    yield NetworkAcl(res.address, res.type, res.name, r.span, (), is_default, r.get("subnet_ids"), vpc)
    acl_ref = Sourced(Ref(res.address), Origin.EXPLICIT, "network_acl_id", r.span)
    for direction in ("ingress", "egress"):
        for i, rule in enumerate(r.all(direction)):
            cidrs = [c for c in (rule.get("cidr_block"), rule.get("ipv6_cidr_block")) if c.origin is not Origin.DEFAULT]
            for cidr in cidrs or [rule.get("cidr_block")]:
                suffix = f".{cidr.key}" if len(cidrs) > 1 else ""
                yield NetworkAclEntry(
                    f"{res.address}.{direction}[{i}]{suffix}",
                    res.type,
                    res.name,
                    rule.span,
                    (),
                    network_acl=acl_ref,
                    rule_number=rule.get("rule_no"),
                    action=rule.get("action"),
                    egress=direction == "egress",
                    protocol=_protocol(rule.get_str("protocol")),
                    from_port=rule.get("from_port"),
                    to_port=rule.get("to_port"),
                    cidr=cidr,
                )


def adapt_network_acl_rule(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    cidr = r.get("cidr_block")
    if cidr.origin is Origin.DEFAULT:
        cidr = r.get("ipv6_cidr_block")
    yield NetworkAclEntry(
        res.address,
        res.type,
        res.name,
        r.span,
        (),
        network_acl=r.get("network_acl_id"),
        rule_number=r.get("rule_number"),
        action=r.get("rule_action"),
        egress=r.get("egress").value is True,
        protocol=_protocol(r.get_str("protocol")),
        from_port=r.get("from_port"),
        to_port=r.get("to_port"),
        cidr=cidr,
    )


def adapt_network_acl_association(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield NetworkAclAssociation(
        res.address, res.type, res.name, r.span, (), r.get("network_acl_id"), r.get("subnet_id")
    )


def adapt_subnet(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    is_default = res.type == "aws_default_subnet"
    # default subnets of the default VPC assign public IPs unless told otherwise
    public = r.get_bool("map_public_ip_on_launch", is_default)
    ipv6 = r.get_bool("assign_ipv6_address_on_creation", False)
    yield Subnet(res.address, res.type, res.name, r.span, (), public, is_default, r.get("vpc_id"), ipv6)
