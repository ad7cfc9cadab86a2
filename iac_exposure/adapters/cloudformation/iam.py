"""CloudFormation IAM: roles, instance profiles, managed policies, policies and role policies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import IamRole, InlinePolicy, InstanceProfile, ManagedPolicy, PolicyDocument, Resource
from ...model.values import Origin, Ref, Sourced
from ..policy import policy_document
from .common import ResourceEntry

AnySourced = Sourced[Any]


def _document(value: AnySourced) -> PolicyDocument:
    return policy_document(value) or PolicyDocument((), value, False, known=False)


def adapt_role(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    role_ref = Sourced(Ref(res.name), Origin.EXPLICIT, "RoleName", res.span)
    inline = tuple(
        InlinePolicy(
            f"{res.name}.Policies[{i}]",
            res.type,
            res.name,
            block.span,
            (),
            role_ref,
            _document(block.get("PolicyDocument")),
        )
        for i, block in enumerate(props.items("Policies"))
    )
    yield IamRole(
        res.name,
        res.type,
        res.name,
        res.span,
        res.aliases("RoleName"),
        policy_document(props.get("AssumeRolePolicyDocument")),
        props.get("ManagedPolicyArns").items(),
        inline,
    )


def adapt_instance_profile(res: ResourceEntry) -> Iterator[Resource]:
    roles = res.props.get("Roles")
    role = roles.items()[0] if isinstance(roles.value, tuple) and roles.value else roles  # AWS takes one role
    aliases = res.aliases("InstanceProfileName")
    yield InstanceProfile(res.name, res.type, res.name, res.span, aliases, role)


def adapt_managed_policy(res: ResourceEntry) -> Iterator[Resource]:
    """`AWS::IAM::ManagedPolicy`, and `AWS::IAM::Policy`: a document attached to the roles it names (the
    latter is embedded in each role, but it is written, attached and removed the same way)."""
    props = res.props
    aliases = res.aliases("ManagedPolicyName") if res.type == "AWS::IAM::ManagedPolicy" else ()
    document = _document(props.get("PolicyDocument"))
    yield ManagedPolicy(res.name, res.type, res.name, res.span, aliases, document, props.get("Roles").items())


def adapt_role_policy(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    document = _document(props.get("PolicyDocument"))
    yield InlinePolicy(res.name, res.type, res.name, res.span, (), props.get("RoleName"), document)
