"""What a trait proposes, anchored on model values; a writer per format turns it into edits."""

from __future__ import annotations

from typing import Any

from .._records import record
from ..findings import Applicability
from ..model.aws import Resource, SecurityGroupRule
from ..model.values import Sourced

AnySourced = Sourced[Any]


@record
class NewInput:
    """A value only the user knows, asked for through a new input (TF `variable`, CFN `Parameter`)."""

    name: str  # preferred name; a writer adds a suffix when it is taken
    description: str
    ipv6: bool


@record
class SetValue:
    """Set an attribute: replace an explicit value, or insert it (and its missing blocks) when absent."""

    target: AnySourced
    value: Any


@record
class ReplaceWithInput:
    target: AnySourced
    input: NewInput


@record
class ReplaceItem:
    """Replace one value by several (`s3:*` → `s3:Get*`, `s3:List*`, `s3:Describe*`)."""

    target: AnySourced
    values: tuple[str, ...]


@record
class RemoveItem:
    """Remove one element of a list (a policy ARN, a statement, a role of an attachment)."""

    target: AnySourced


@record
class RemoveBlock:
    """Remove a whole resource or nested block."""

    target: Resource


@record
class ReferenceOwnGroup:
    """Admit the rule's own security group (its members) instead of one CIDR source of the rule.

    A writer removes the CIDR and makes the rule self-referencing in the form the rule's resource takes
    (Terraform `self = true`, or `referenced_security_group_id`; CloudFormation `SourceSecurityGroupId`).
    """

    target: AnySourced  # the CIDR element
    rule: SecurityGroupRule


@record
class UseParameter:
    """Launch from the image an SSM public parameter names (`/aws/service/…`, kept current by its publisher).

    A parameter path already written (`current`: a `data "aws_ssm_parameter"` name, a `resolve:ssm:` string, a
    CloudFormation parameter default) is rewritten in place; otherwise the image setting is pointed at a new
    parameter declaration (TF `data "aws_ssm_parameter"`, CFN `{{resolve:ssm:…}}`, LT JSON `resolve:ssm:…`).
    """

    target: AnySourced  # the image setting: `ami`, `image_id`, `ImageId`
    path: str
    name: str  # preferred name of a new declaration; a writer adds a suffix when it is taken
    current: AnySourced | None  # the parameter path in use, when there is one to rewrite


Action = SetValue | ReplaceWithInput | ReplaceItem | RemoveItem | RemoveBlock | ReferenceOwnGroup | UseParameter


@record
class Remedy:
    title: str
    action: Action | None  # None: only a suggestion in words
    applicability: Applicability
    reason: str  # why this applicability
