"""Reachable within the VPC.

## What it flags
A security-group ingress rule that admits all protocols, or every TCP or UDP port, from a CIDR covering a
whole CIDR block of the group's VPC (`10.0.0.0/16` in a `10.0.0.0/16` VPC, or a wider private range such as
`10.0.0.0/8`); `cidr_blocks = [aws_vpc.main.cidr_block]` is read as the VPC's block. Also an instance or
auto scaling group launched without any security group: it gets the VPC's default security group, which
admits all traffic from every other instance launched the same way — and a default security group that
keeps (or restores) that all-traffic self rule.

Narrow port ranges, references to other security groups and self references on ordinary groups do not
count. A source that opens the instance to the whole internet (`0.0.0.0/0`, `::/0`) covers the VPC too, but
it is `open-security-group`'s, not this trait's; a VPC-wide CIDR listed beside it in the same block is a rule
of its own to AWS (one source per rule) and is reported. A VPC whose CIDR block is not in the code is
unknown, and nothing is reported for it.

## Why is this bad?
Any foothold in the VPC — a compromised web server, a container, a Lambda function in a VPC subnet — can
reach every port of the instance: databases, admin interfaces and metadata-less services that were never
meant to be exposed to their neighbours. Lateral movement needs no further misconfiguration.

## Example
    ingress {
      from_port   = 0
      to_port     = 0
      protocol    = "-1"
      cidr_blocks = [aws_vpc.main.cidr_block]
    }

## Fix
    ingress {
      from_port   = 0
      to_port     = 0
      protocol    = "-1"
      self        = true
    }

## Fix safety
Unsafe: only members of the same security group keep access; hosts elsewhere in the VPC that need the
instance lose it — open the ports they need from their own security groups instead. For an instance
without a security group the fix is only suggested: which ports it needs is yours to decide.

## References
- AWS Security Hub: "The Amazon EC2 instance is reachable within the Amazon VPC"
- Security Hub CSPM control EC2.2 (the VPC default security group should not allow inbound traffic)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import Config
from ..findings import Applicability, Category, Finding, Severity, TraitMeta
from ..model.aws import SecurityGroup, SecurityGroupRule
from ..model.graph import Compute, Model
from ..model.network import Network
from ..model.values import Origin, Sourced
from ..patches.remedies import ReferenceOwnGroup, Remedy, RemoveBlock
from ._common import LAUNCHED, ingress_rules, on_users, owner_of
from ._network import all_protocols, describe_ports, port_range
from ._paths import TCP, UDP, protocol_number

AnySourced = Sourced[Any]

META = TraitMeta(
    id="vpc-reachable",
    category=Category.REACHABILITY,
    severity=Severity.MEDIUM,
    title="The Amazon EC2 instance is reachable within the Amazon VPC",
    fix_title="Admit only members of the same security group",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    for owner, users, standalone, rule in ingress_rules(model):
        if not isinstance(owner, SecurityGroup) or not _every_port(rule):
            continue
        ports = describe_ports(rule.protocol, rule.from_port, rule.to_port)
        if owner.is_default and rule.self_reference:
            message = (
                f"Ingress from the members of {owner.address} (every instance launched without a security group) "
                f"to {ports}"
            )
            remedy = Remedy(
                "Remove the all-traffic rule from the default security group", RemoveBlock(rule), Applicability.UNSAFE,
                "instances that rely on the default group to talk to each other lose that access",
            )  # fmt: skip
            yield from on_users(META, users, owner, rule.span, message, remedy, standalone)
        vpc_cidrs = _vpc_cidrs(model, owner, users)
        for cidr in rule.cidrs:
            network = model.network.cidr(cidr)
            block = _covered_block(network, vpc_cidrs)
            if network is None or block is None:
                continue
            extent = "the VPC's CIDR block" if network == block else f"covers the VPC's {block}"
            message = f"Ingress from {network} ({extent}) to {ports} in {owner.address}"
            yield from on_users(META, users, owner, cidr.span, message, _own_group_only(cidr, rule), standalone)
    for compute in model.compute:
        yield from _default_group(model, compute)


def _every_port(rule: SecurityGroupRule) -> bool:
    """All protocols, or every port of TCP or UDP."""
    if not rule.protocol.known:
        return False
    if all_protocols(rule.protocol.value):
        return True
    return protocol_number(rule.protocol.value) in (TCP, UDP) and port_range(rule.from_port, rule.to_port) == (0, 65535)


def _vpc_cidrs(model: Model, group: SecurityGroup, users: list[Compute]) -> tuple[Network, ...]:
    """The group's VPC blocks; when the group's VPC is not evaluated, those of the subnets its users land in."""
    cidrs = model.network.group_vpc_cidrs(group)
    if cidrs:
        return cidrs
    for compute in users:
        for placement in model.network.placements(compute):
            if placement.vpc_cidrs:
                return placement.vpc_cidrs
    return ()


def _covered_block(network: Network | None, vpc_cidrs: tuple[Network, ...]) -> Network | None:
    if network is None or network.prefixlen == 0:
        return None
    return next((b for b in vpc_cidrs if b.version == network.version and b.subnet_of(network)), None)  # type: ignore[arg-type]


def _own_group_only(cidr: AnySourced, rule: SecurityGroupRule) -> Remedy:
    return Remedy(
        META.fix_title,
        ReferenceOwnGroup(cidr, rule),
        Applicability.UNSAFE,
        "hosts elsewhere in the VPC lose access: open the ports they need from their own security groups",
    )


def _default_group(model: Model, compute: Compute) -> Iterator[Finding]:
    """No security group given, and the VPC's default group as AWS creates it: all traffic between members.

    Only for a VPC the code knows (one it creates, or the default VPC when no subnet is given): the default
    group of a VPC made elsewhere may have been stripped of that rule."""
    groups = compute.settings.security_groups
    if (
        compute.kind not in LAUNCHED
        or groups.origin is not Origin.DEFAULT
        or compute.security_groups
        or compute.settings.existing_primary_interface
    ):
        return
    vpcs = ["the default VPC"] if compute.default_vpc else []
    for subnet in compute.subnets:
        vpc, known = model.network.vpc_of(subnet.vpc, default_vpc=subnet.is_default)
        if known:
            vpcs.append(vpc.address if vpc is not None else "the default VPC")
    if not vpcs:
        return
    owner = owner_of(groups, compute)
    message = (
        f"No security group given: the {compute.kind.value} gets the default security group of {vpcs[0]}, which "
        "admits all traffic from every other instance launched without one"
    )
    remedy = Remedy(
        "Give the instances a security group of their own",
        None,
        Applicability.DISPLAY_ONLY,
        "which ports the instances need is yours to decide",
    )
    yield Finding(META, compute.resource, owner, groups.span, message, remedy)
