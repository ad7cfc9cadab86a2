"""IAM role with a service administrator policy.

## What it flags
An instance (or launch template, launch configuration, auto scaling group) whose instance profile's role is
allowed `<service>:*` on Resource `*` (an inline `iam:*` included), or has an AWS managed `*FullAccess`
policy other than `IAMFullAccess` (which is administrative). A role attached to no compute resource but
trusted by `ec2.amazonaws.com` is reported itself.

## Why is this bad?
Full control of a service (every S3 bucket, every DynamoDB table, every EC2 resource) is a large blast
radius for one compromised instance.

## Example
    resource "aws_iam_role_policy_attachment" "s3" {
      role       = aws_iam_role.app.name
      policy_arn = "arn:aws:iam::aws:policy/AmazonS3FullAccess"
    }

## Fix
    resource "aws_iam_role_policy_attachment" "s3" {
      role       = aws_iam_role.app.name
      policy_arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    }

A `svc:*` action becomes `svc:Get*`, `svc:List*`, `svc:Describe*`.

## Fix safety
Unsafe: the role keeps only read access; add the write actions the workload really needs, scoped to its
resources.

## References
- AWS Security Hub: "The IAM role associated with the Amazon EC2 instance has a service admin policy"
- Security Hub CSPM control IAM.21
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.graph import Model
from ._iam import SERVICE_ADMIN, report

META = TraitMeta(
    id="iam-service-admin-policy",
    category=Category.MISCONFIGURATION,
    severity=Severity.MEDIUM,
    title="The IAM role associated with the Amazon EC2 instance has a service admin policy",
    fix_title="Grant read-only access instead of full service access",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    return report(META, SERVICE_ADMIN, model, config)
