"""Classifying what an IAM role holds: administrator, service administrator, or neither."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from .._records import record
from ..config import Config
from ..findings import Applicability, Finding, TraitMeta
from ..model.aws import IamRole, PolicyDocument, PolicyStatement, Resource
from ..model.graph import Grant, Model
from ..model.values import Sourced
from ..patches.remedies import Remedy, RemoveBlock, RemoveItem, ReplaceItem, SetValue
from ..source import Span
from ._common import on_users

AnySourced = Sourced[Any]

ADMIN, SERVICE_ADMIN = "admin", "service-admin"

_AWS_MANAGED = re.compile(r"^arn:aws(?:-[a-z]+)*:iam::aws:policy/(?:.*/)?(?P<name>[^/]+)$")
_ADMIN_MANAGED = {"AdministratorAccess", "PowerUserAccess", "IAMFullAccess"}
_SERVICE_WILDCARD = re.compile(r"^(?P<service>[a-z0-9-]+):\*$", re.IGNORECASE)


@record
class Privilege:
    level: str  # ADMIN | SERVICE_ADMIN
    holder: Resource
    location: Span | None
    message: str
    remedy: Remedy


def report(meta: TraitMeta, level: str, model: Model, config: Config) -> Iterator[Finding]:
    """Findings of one level, on the compute using each role, or on an EC2-trusted role used by none."""
    for role in model.of_type(IamRole):
        users = model.compute_with_role(role)
        standalone = model.ec2_trusted(role)
        if not users and not standalone:
            continue
        for privilege in privileges(role, model):
            if privilege.level != level:
                continue
            message = f"Role {role.address}: {privilege.message}"
            for finding in on_users(meta, users, role, privilege.location, message, privilege.remedy, standalone):
                yield Finding(
                    finding.trait, finding.resource, privilege.holder, finding.location, finding.message, finding.remedy
                )


def privileges(role: IamRole, model: Model) -> Iterator[Privilege]:
    for grant in model.grants(role):
        if grant.policy_arn is not None:
            yield from _managed(grant, grant.policy_arn)
        elif grant.document is not None:
            yield from _document(grant, grant.document)


def _managed(grant: Grant, arn: AnySourced) -> Iterator[Privilege]:
    if not isinstance(arn.value, str):
        return
    match = _AWS_MANAGED.match(arn.value)
    if match is None:
        return
    name = match.group("name")
    if name == "IAMFullAccess":
        yield Privilege(ADMIN, grant.holder, arn.span, f"AWS managed {name} is attached", _swap(arn))
    elif name in _ADMIN_MANAGED:
        yield Privilege(ADMIN, grant.holder, arn.span, f"AWS managed {name} is attached", _detach(grant, name))
    elif name.endswith("FullAccess"):
        yield Privilege(SERVICE_ADMIN, grant.holder, arn.span, f"AWS managed {name} is attached", _swap(arn))


def _document(grant: Grant, doc: PolicyDocument) -> Iterator[Privilege]:
    for st in doc.statements:
        if not (isinstance(st.effect.value, str) and st.effect.value.lower() == "allow"):
            continue
        if not any(r.value == "*" for r in st.resources):
            continue
        where = _holder_name(grant)
        if st.not_actions:
            listed = ", ".join(str(a.value) for a in st.not_actions)
            yield Privilege(
                ADMIN, grant.holder, st.node.span,
                f"{where} allows every action except {listed} on all resources (NotAction)",
                _remove_statement(grant, doc, st),
            )  # fmt: skip
            continue
        if any(a.value in ("*", "*:*") for a in st.actions):
            star = next(a for a in st.actions if a.value in ("*", "*:*"))
            yield Privilege(
                ADMIN, grant.holder, star.span, f'{where} allows Action "{star.value}" on Resource "*"',
                _remove_statement(grant, doc, st),
            )  # fmt: skip
            continue
        for action in st.actions:
            match = _SERVICE_WILDCARD.match(action.value) if isinstance(action.value, str) else None
            if match is None:
                continue
            service = match.group("service")
            yield Privilege(
                SERVICE_ADMIN, grant.holder, action.span,
                f'{where} allows Action "{action.value}" on Resource "*"', _narrow(doc, action, service),
            )  # fmt: skip


def _holder_name(grant: Grant) -> str:
    return f"policy in {grant.holder.address}"


def _structural(doc: PolicyDocument) -> bool:
    """The document was written as an object (jsonencode), so each element has a span of its own."""
    return isinstance(doc.node.value, dict) and doc.node.via is None


def _swap(arn: AnySourced) -> Remedy:
    new = re.sub(r"FullAccess$", "ReadOnlyAccess", str(arn.value))
    return Remedy(
        f"Attach {new.rsplit('/', 1)[-1]} instead",
        SetValue(arn, new),
        Applicability.UNSAFE,
        "the role keeps only read access to the service",
    )


def _detach(grant: Grant, what: str) -> Remedy:
    title = f"Detach {what} from the role"
    reason = "the instance loses the permissions the policy granted; grant the ones it needs explicitly"
    if grant.detach_item is not None:
        return Remedy(title, RemoveItem(grant.detach_item), Applicability.UNSAFE, reason)
    if grant.detach_block is not None:
        return Remedy(title, RemoveBlock(grant.detach_block), Applicability.UNSAFE, reason)
    return Remedy(title, None, Applicability.DISPLAY_ONLY, "the grant cannot be removed by a local edit")


def _remove_statement(grant: Grant, doc: PolicyDocument, st: PolicyStatement) -> Remedy:
    if _structural(doc) and doc.statement_list and len(doc.statements) > 1:
        return Remedy(
            "Remove the administrative statement",
            RemoveItem(st.node),
            Applicability.UNSAFE,
            "the instance loses the permissions the statement granted; grant the ones it needs explicitly",
        )
    return _detach(grant, "the administrative policy")


def _narrow(doc: PolicyDocument, action: AnySourced, service: str) -> Remedy:
    read_only = (f"{service}:Get*", f"{service}:List*", f"{service}:Describe*")
    if not _structural(doc):
        return Remedy(
            f"Replace {action.value} with {', '.join(read_only)}",
            None,
            Applicability.DISPLAY_ONLY,
            "the policy is a JSON string; edit the action in it",
        )
    return Remedy(
        "Grant read-only actions instead of the service wildcard",
        ReplaceItem(action, read_only),
        Applicability.UNSAFE,
        "the role keeps only read access to the service; add the write actions it really needs",
    )
