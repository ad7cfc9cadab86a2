"""Helpers shared by traits: who a finding is reported on, and the shared remedies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ..findings import Applicability, Finding, TraitMeta
from ..model.aws import Resource, SecurityGroup, SecurityGroupRule
from ..model.graph import Compute, Model
from ..model.values import Sourced
from ..patches.remedies import NewInput, Remedy, ReplaceWithInput
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
