"""Open security group.

## What it flags
A security-group ingress rule that admits any port or protocol from `0.0.0.0/0`, `::/0` or any other CIDR
with prefix length 0. Egress never counts. A group attached only to load balancers (or other non-EC2
resources) is not an EC2 exposure and is not reported; the instances behind the load balancer are.

## Why is this bad?
Every open port is reachable by anyone on the internet: services meant for the private network (databases,
admin consoles, metrics endpoints) become attack surface.

## Example
    ingress {
      from_port   = 8080
      to_port     = 8080
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }

## Fix
    ingress {
      from_port   = 8080
      to_port     = 8080
      protocol    = "tcp"
      cidr_blocks = [var.trusted_cidr]
    }

## Fix safety
Unsafe: the world CIDR is replaced by a new input (`variable "trusted_cidr"`) that you must set; clients
outside it lose access. A public web service belongs behind a load balancer, not on the instance.

## References
- AWS Security Hub: "The Amazon EC2 instance has an open security group"
- Security Hub CSPM controls EC2.18, EC2.19
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.graph import Model
from ._common import ingress_rules, on_users, restrict_cidr
from ._network import describe_ports, world_cidrs

META = TraitMeta(
    id="open-security-group",
    category=Category.MISCONFIGURATION,
    severity=Severity.HIGH,
    title="The Amazon EC2 instance has an open security group",
    fix_title="Restrict the source CIDR",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    for owner, users, standalone, rule in ingress_rules(model):
        if not rule.protocol.known:
            continue
        ports = describe_ports(rule.protocol, rule.from_port, rule.to_port)
        for cidr in world_cidrs(rule.cidrs):
            message = f"Ingress from {cidr.value} to {ports} in {owner.address}"
            yield from on_users(META, users, owner, cidr.span, message, restrict_cidr(META, cidr), standalone)
