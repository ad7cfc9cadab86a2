"""Terraform IAM: roles, instance profiles, managed and inline policies, attachments."""

from __future__ import annotations

from collections.abc import Iterator

from ...model.aws import (
    IamRole,
    InlinePolicy,
    InstanceProfile,
    ManagedPolicy,
    PolicyAttachment,
    PolicyDocument,
    Resource,
)
from ...model.values import Origin, Ref, Sourced, as_list
from ..policy import policy_document
from .common import ResourceBlock


def _document(value: Sourced[object]) -> PolicyDocument:
    return policy_document(value) or PolicyDocument((), value, False, known=False)


def adapt_role(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    role_ref = Sourced(Ref(res.address), Origin.EXPLICIT, "role", r.span)
    inline = tuple(
        InlinePolicy(
            f"{res.address}.inline_policy[{i}]",
            res.type,
            res.name,
            block.span,
            (),
            role_ref,
            _document(block.get("policy")),
        )
        for i, block in enumerate(r.all("inline_policy"))
        if block.get("policy").origin is not Origin.DEFAULT
    )
    yield IamRole(
        res.address,
        res.type,
        res.name,
        r.span,
        res.aliases("name"),
        policy_document(r.get("assume_role_policy")),
        r.get("managed_policy_arns").items(),
        inline,
    )


def adapt_instance_profile(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield InstanceProfile(res.address, res.type, res.name, r.span, res.aliases("name"), r.get("role"))


def adapt_policy(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield ManagedPolicy(res.address, res.type, res.name, r.span, res.aliases("name"), _document(r.get("policy")), ())


def adapt_role_policy(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield InlinePolicy(res.address, res.type, res.name, r.span, (), r.get("role"), _document(r.get("policy")))


def adapt_policy_attachment(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    if res.type == "aws_iam_role_policy_attachments_exclusive":
        roles, arns, arn_list = as_list(r.get("role_name")), r.get("policy_arns"), True
    else:
        roles = as_list(r.get("role")) if res.type == "aws_iam_role_policy_attachment" else r.get("roles")
        arn = r.get("policy_arn")
        # `policy_arn = each.value`: the ARN is an element of the for_each collection, detached by removing it
        arns, arn_list = as_list(arn), res.for_each_element(arn)
    yield PolicyAttachment(res.address, res.type, res.name, r.span, (), roles, arns, arn_list)
