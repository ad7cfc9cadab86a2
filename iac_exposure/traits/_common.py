"""Helpers shared by traits: who a finding is reported on, and the shared remedies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from .._records import record
from ..findings import Applicability, Finding, TraitMeta
from ..model.aws import ComputeKind, Resource, SecurityGroup, SecurityGroupRule, Subnet
from ..model.graph import Compute, Model
from ..model.values import Origin, Sourced
from ..patches.remedies import NewInput, Remedy, RemoveBlock, ReplaceWithInput, SetValue
from ..source import Span
from ._network import is_ipv6

AnySourced = Sourced[Any]


def on_users(
    meta: TraitMeta,
    users: Iterable[Compute],
    owner: Resource,
    location: Span | None,
    message: str,
    remedy: Remedy | None,
    standalone: bool,
) -> Iterator[Finding]:
    """Report on each compute resource using `owner`; on `owner` itself when nothing uses it."""
    users = list(users)
    for compute in users:
        yield Finding(meta, compute.resource, owner, location, message, remedy)
    if not users and standalone:
        yield Finding(meta, owner, owner, location, message, remedy)


def restrict_cidr(meta: TraitMeta, cidr: AnySourced) -> Remedy:
    ipv6 = is_ipv6(str(cidr.value))
    new_input = NewInput(
        "trusted_ipv6_cidr" if ipv6 else "trusted_cidr",
        f"The {'IPv6 ' if ipv6 else ''}CIDR trusted where ingress was open to the internet ({cidr.value})",
        ipv6,
    )
    return Remedy(
        meta.fix_title,
        ReplaceWithInput(cidr, new_input),
        Applicability.UNSAFE,
        "clients outside the CIDR you provide lose access",
    )


def owner_of(value: AnySourced, compute: Compute) -> Resource:
    """The resource whose block holds a launch setting: the template when inherited from it."""
    tpl = compute.template
    span = value.span
    if (
        tpl is not None and tpl.span is not None and span is not None
        and span.file is tpl.span.file and tpl.span.start <= span.start < tpl.span.end
    ):  # fmt: skip
        return tpl
    return compute.resource


def ingress_rules(model: Model) -> Iterator[tuple[Resource, list[Compute], bool, SecurityGroupRule]]:
    """Every ingress rule with its owner, the compute using it, and whether the owner stands alone.

    A standalone rule for a group outside the scanned files is its own owner.
    """
    for group in model.of_type(SecurityGroup):
        users = model.compute_using_group(group)
        standalone = group.address not in model.referenced_by_others
        for rule in model.rules(group):
            if rule.direction == "ingress":
                yield group, users, standalone, rule
    for rule in model.standalone_rules:
        if rule.direction == "ingress":
            yield rule, [], True, rule


LAUNCHED = (
    ComputeKind.INSTANCE, ComputeKind.SPOT_INSTANCE_REQUEST, ComputeKind.AUTOSCALING_GROUP, ComputeKind.SPOT_FLEET,
    ComputeKind.EC2_FLEET,
)  # fmt: skip
NO_PUBLIC_IP = "Do not assign a public IP address"


@record
class PublicAddress:
    """Why instances of a compute resource get a public IPv4 address, and the cheapest way to take it away."""

    source: Resource  # where it is decided: the instance, its template, the subnet, an Elastic IP
    location: Span | None
    message: str
    reason: str  # the same, short: "Elastic IP aws_eip.web"
    remedy: Remedy
    subnet: Subnet | None  # only instances placed in this subnet get it; None: wherever they land


def public_addresses(compute: Compute) -> Iterator[PublicAddress]:
    """Elastic IPs, then the launch setting: explicit `associate_public_ip_address`, else the subnet's."""
    kind = compute.kind.value
    for eip in compute.elastic_ips:
        remedy = Remedy("Remove the Elastic IP", RemoveBlock(eip), Applicability.UNSAFE, "the address is released")
        message = f"Elastic IP {eip.address} is associated with the {kind}"
        yield PublicAddress(eip, eip.span, message, f"Elastic IP {eip.address}", remedy, None)
    assoc = compute.settings.associate_public_ip_address
    if assoc.origin is Origin.EXPLICIT and assoc.value is not None:  # null (a variable's default) is unset
        if assoc.value is True:
            owner = owner_of(assoc, compute)
            message = f"associate_public_ip_address is true on the {kind}"
            reason = f"{assoc.key} = true on {owner.address}"
            yield PublicAddress(owner, assoc.span, message, reason, no_public_ip(compute), None)
        return
    if assoc.origin is Origin.UNKNOWN or compute.settings.existing_primary_interface or compute.kind not in LAUNCHED:
        return
    if compute.default_vpc:
        message = f"The {kind} names no subnet: it launches into a default subnet of the default VPC, which assigns public IPs"
        reason = "no subnet given: a default subnet of the default VPC assigns one"
        yield PublicAddress(compute.resource, compute.resource.span, message, reason, no_public_ip(compute), None)
        return
    for subnet in compute.subnets:
        flag = subnet.map_public_ip_on_launch
        if flag.value is True:
            where = flag.span if flag.explicit else subnet.span
            why = (
                "is a default subnet"
                if subnet.is_default and not flag.explicit
                else "has map_public_ip_on_launch = true"
            )
            message = f"Subnet {subnet.address} {why}: the {kind} gets a public IP"
            reason = f"{subnet.address} {'is a default subnet' if 'default' in why else 'maps public IPs on launch'}"
            yield PublicAddress(subnet, where, message, reason, no_public_ip(compute, subnet), subnet)


def no_public_ip(compute: Compute, subnet: Subnet | None = None) -> Remedy:
    assoc = compute.settings.associate_public_ip_address
    refresh = " (instances of an auto scaling group need an instance refresh)" if compute.template else ""
    reason = "the instance loses its public address and needs another path to and from the internet" + refresh
    # the flag belongs to a network interface the source does not declare (or a block that has no such flag):
    # writing it alone is impossible, so stop the subnet assigning public IPs instead when it says it does
    if assoc.origin is Origin.DEFAULT and len(assoc.missing) != 1:
        if subnet is not None and subnet.map_public_ip_on_launch.explicit:
            flag = subnet.map_public_ip_on_launch
            return Remedy(
                f"Stop subnet {subnet.address} assigning public IPs",
                SetValue(flag, False),
                Applicability.UNSAFE,
                "every instance launched into the subnet stops getting a public address",
            )
        return Remedy(
            "Do not request a public IP on the primary network interface",
            None,
            Applicability.DISPLAY_ONLY,
            "adding a network interface moves the security groups and subnet onto it",
        )
    return Remedy(NO_PUBLIC_IP, SetValue(assoc, False), Applicability.UNSAFE, reason)
