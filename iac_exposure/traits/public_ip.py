"""Public IP address.

## What it flags
A compute resource whose instances get a public IPv4 address: `associate_public_ip_address` is true (on an
instance, a launch template's primary network interface — a string there —, a launch configuration), or it
is unset and the instances land in a subnet with `map_public_ip_on_launch = true`, in a default subnet
(`aws_default_subnet`), or in no subnet at all (the default VPC's subnets are public); or an Elastic IP is
associated with the instance.

## Why is this bad?
A public address makes the instance addressable from the internet; with one open security-group rule and a
route to an internet gateway it is reachable by anyone.

## Example
    resource "aws_instance" "web" {
      subnet_id                   = aws_subnet.private.id
      associate_public_ip_address = true
    }

## Fix
    resource "aws_instance" "web" {
      subnet_id                   = aws_subnet.private.id
      associate_public_ip_address = false
    }

## Fix safety
Unsafe: the instance loses its public address; it then needs a NAT gateway or VPC endpoints for outbound
traffic and a load balancer, Session Manager or a VPN for inbound. Removing an Elastic IP releases it.

## References
- AWS Security Hub: "The Amazon EC2 instance has a public IP address"
- Security Hub CSPM controls EC2.9, EC2.15, EC2.25, AutoScaling.5
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..findings import Applicability, Category, Finding, Severity, TraitMeta
from ..model.aws import ComputeKind, Subnet
from ..model.graph import Compute, Model
from ..model.values import Origin
from ..patches.remedies import Remedy, RemoveBlock, SetValue
from ._common import owner_of

META = TraitMeta(
    id="public-ip",
    category=Category.MISCONFIGURATION,
    severity=Severity.MEDIUM,
    title="The Amazon EC2 instance has a public IP address",
    fix_title="Do not assign a public IP address",
)

_LAUNCHED = (
    ComputeKind.INSTANCE, ComputeKind.SPOT_INSTANCE_REQUEST, ComputeKind.AUTOSCALING_GROUP, ComputeKind.SPOT_FLEET,
    ComputeKind.EC2_FLEET,
)  # fmt: skip


def check(model: Model, config: Config) -> Iterator[Finding]:
    for compute in model.compute:
        for eip in compute.elastic_ips:
            remedy = Remedy("Remove the Elastic IP", RemoveBlock(eip), Applicability.UNSAFE, "the address is released")
            message = f"Elastic IP {eip.address} is associated with the {compute.kind.value}"
            yield Finding(META, compute.resource, eip, eip.span, message, remedy)
        yield from _launch_ip(compute)


def _launch_ip(compute: Compute) -> Iterator[Finding]:
    assoc = compute.settings.associate_public_ip_address
    if assoc.origin is Origin.EXPLICIT and assoc.value is not None:  # null (a variable's default) is unset
        if assoc.value is True:
            source = owner_of(assoc, compute)
            yield Finding(
                META, compute.resource, source, assoc.span,
                f"associate_public_ip_address is true on the {compute.kind.value}", _no_public_ip(compute),
            )  # fmt: skip
        return
    if assoc.origin is Origin.UNKNOWN or compute.settings.existing_primary_interface or compute.kind not in _LAUNCHED:
        return
    if compute.default_vpc:
        yield Finding(
            META, compute.resource, compute.resource, compute.resource.span,
            f"The {compute.kind.value} names no subnet: it launches into a default subnet of the default VPC, "
            "which assigns public IPs",
            _no_public_ip(compute),
        )  # fmt: skip
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
            yield Finding(
                META, compute.resource, subnet, where,
                f"Subnet {subnet.address} {why}: the {compute.kind.value} gets a public IP",
                _no_public_ip(compute, subnet),
            )  # fmt: skip


def _no_public_ip(compute: Compute, subnet: Subnet | None = None) -> Remedy:
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
    return Remedy(META.fix_title, SetValue(assoc, False), Applicability.UNSAFE, reason)
