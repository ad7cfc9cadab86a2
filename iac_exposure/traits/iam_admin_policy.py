"""IAM role with an administrative policy.

## What it flags
An instance (or launch template, launch configuration, auto scaling group) whose instance profile's role has
AWS managed `AdministratorAccess`, `IAMFullAccess` or `PowerUserAccess` (any partition), or any attached or
inline statement that allows Action `*` on Resource `*`, or allows everything but a `NotAction` list on
Resource `*`. A role attached to no compute resource but trusted by `ec2.amazonaws.com` is reported itself.

## Why is this bad?
Whoever gets code running on the instance — or reads its metadata credentials — controls the whole account.

## Example
    resource "aws_iam_role_policy_attachment" "admin" {
      role       = aws_iam_role.app.name
      policy_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    }

## Fix
Remove the grant (the attachment block, the ARN from `managed_policy_arns`, or the statement) and grant the
actions the workload needs; `IAMFullAccess` is swapped for `IAMReadOnlyAccess`.

## Fix safety
Unsafe: the instance loses permissions it may use. Review what the workload calls (CloudTrail, IAM Access
Analyzer policy generation) before applying.

## References
- AWS Security Hub: "The IAM role associated with the Amazon EC2 instance has an administrative access policy"
- Security Hub CSPM control IAM.1
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.graph import Model
from ._iam import ADMIN, report

META = TraitMeta(
    id="iam-admin-policy",
    category=Category.MISCONFIGURATION,
    severity=Severity.HIGH,
    title="The IAM role associated with the Amazon EC2 instance has an administrative access policy",
    fix_title="Remove the administrative grant",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    return report(META, ADMIN, model, config)
