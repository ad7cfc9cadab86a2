"""Remote access open to the internet.

## What it flags
A security-group ingress rule, or a network-ACL inbound allow entry not shadowed by a lower-numbered deny,
that admits TCP (or all protocols) on a port range containing 22 (SSH) or 3389 (RDP) from `0.0.0.0/0`,
`::/0` or any other CIDR with prefix length 0. Egress never counts.

## Why is this bad?
SSH and RDP are scanned and brute-forced from the whole internet within minutes of an instance coming up;
any weak credential or unpatched daemon becomes a way in.

## Example
    ingress {
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }

## Fix
    ingress {
      from_port   = 22
      to_port     = 22
      protocol    = "tcp"
      cidr_blocks = [var.trusted_cidr]
    }

## Fix safety
Unsafe: the world CIDR is replaced by a new input (`variable "trusted_cidr"`) that you must set; clients
outside it lose access. Prefer AWS Systems Manager Session Manager or EC2 Instance Connect to open ports.

## References
- AWS Security Hub: "The Amazon EC2 instance has a security group or network ACL that allows SSH or RDP access"
- Security Hub CSPM controls EC2.13, EC2.14, EC2.21, EC2.53, EC2.54
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.aws import NetworkAcl, NetworkAclEntry
from ..model.graph import Model
from ._common import ingress_rules, on_users, restrict_cidr
from ._network import REMOTE_ACCESS_PORTS, admitted_ports, is_ipv6, is_world, world_cidrs

META = TraitMeta(
    id="remote-access-open",
    category=Category.MISCONFIGURATION,
    severity=Severity.HIGH,
    title="The Amazon EC2 instance has a security group or network ACL that allows SSH or RDP access",
    fix_title="Restrict the source CIDR",
)

_PORTS = list(REMOTE_ACCESS_PORTS)


def _names(ports: list[int]) -> str:
    return "/".join(f"{p} ({REMOTE_ACCESS_PORTS[p]})" for p in ports)


def check(model: Model, config: Config) -> Iterator[Finding]:
    for owner, users, standalone, rule in ingress_rules(model):
        ports = admitted_ports(rule.protocol, rule.from_port, rule.to_port, _PORTS)
        if not ports:
            continue
        for cidr in world_cidrs(rule.cidrs):
            message = f"Ingress from {cidr.value} to {_names(ports)} in {owner.address}"
            yield from on_users(META, users, owner, cidr.span, message, restrict_cidr(META, cidr), standalone)
    for acl in model.of_type(NetworkAcl):
        entries = model.acl_entries(acl)
        users = model.compute_using_acl(acl)
        for entry in entries:
            if entry.egress or str(entry.action.value).lower() != "allow" or not is_world(entry.cidr.value):
                continue
            ports = [p for p in admitted_ports(entry.protocol, entry.from_port, entry.to_port, _PORTS)
                     if not _denied_before(entry, entries, p)]  # fmt: skip
            if not ports:
                continue
            message = f"Network ACL {acl.address} allows {entry.cidr.value} in to {_names(ports)} (rule {entry.rule_number.value})"
            yield from on_users(META, users, acl, entry.cidr.span, message, restrict_cidr(META, entry.cidr), True)


def _denied_before(entry: NetworkAclEntry, entries: list[NetworkAclEntry], port: int) -> bool:
    """A lower-numbered inbound deny from the whole internet (same family) on that port wins first."""
    number = entry.rule_number.value
    if not isinstance(number, int):
        return False
    family_v6 = is_ipv6(str(entry.cidr.value))
    for other in entries:
        rank = other.rule_number.value
        if other.egress or not isinstance(rank, int) or rank >= number:
            continue
        if str(other.action.value).lower() != "deny" or not is_world(other.cidr.value):
            continue
        if is_ipv6(str(other.cidr.value)) != family_v6:
            continue
        if admitted_ports(other.protocol, other.from_port, other.to_port, [port]):
            return True
    return False
