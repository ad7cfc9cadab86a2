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
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.graph import Model
from ._common import NO_PUBLIC_IP, public_addresses

META = TraitMeta(
    id="public-ip",
    category=Category.MISCONFIGURATION,
    severity=Severity.MEDIUM,
    title="The Amazon EC2 instance has a public IP address",
    fix_title=NO_PUBLIC_IP,
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    for compute in model.compute:
        for public in public_addresses(compute):
            yield Finding(META, compute.resource, public.source, public.location, public.message, public.remedy)
