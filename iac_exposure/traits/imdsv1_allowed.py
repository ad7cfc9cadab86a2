"""IMDSv1 allowed.

## What it flags
An instance, spot instance request, launch template, launch configuration or auto scaling group whose
instances' metadata service accepts IMDSv1 requests: `http_tokens` is `optional`, or unset (AWS then lets
IMDSv1 through unless the account default or the AMI says otherwise), while the endpoint is not disabled.
An instance launched from a launch template inherits the template's options unless it sets its own; launch
configurations default to `optional`. Declaring `imds-account-default = "required"` silences the unset case.

## Why is this bad?
IMDSv1 answers any unauthenticated GET, so a server-side request forgery in the application leaks the
temporary credentials of the instance's role.

## Example
    resource "aws_instance" "web" {
      ami = "ami-0123456789abcdef0"
    }

## Fix
    resource "aws_instance" "web" {
      ami = "ami-0123456789abcdef0"
      metadata_options {
        http_tokens = "required"
      }
    }

## Fix safety
Unsafe: software that still reads metadata with IMDSv1 (old SDKs, scripts using plain `curl`) stops getting
it. Test the workload with IMDSv2 first. Instances of an auto scaling group need an instance refresh.

## References
- AWS Security Hub: "The EC2 instance allows access to IMDS using version 1"
- Security Hub CSPM controls EC2.8, EC2.170, AutoScaling.3
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..config import Config
from ..findings import Applicability, Category, Finding, Severity, TraitMeta
from ..model.aws import ComputeKind
from ..model.graph import Model
from ..model.values import Origin, Sourced
from ..patches.remedies import Remedy, SetValue
from ._common import owner_of

META = TraitMeta(
    id="imdsv1-allowed",
    category=Category.MISCONFIGURATION,
    severity=Severity.HIGH,
    title="The EC2 instance allows access to IMDS using version 1",
    fix_title="Require IMDSv2 session tokens",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    for compute in model.compute:
        opts = compute.settings.metadata_options
        tokens, endpoint = opts.http_tokens, opts.http_endpoint
        if not (_setting(tokens) and _setting(endpoint)) or endpoint.value == "disabled" or tokens.value == "required":
            continue
        unset = tokens.value is None
        if unset and config.imds_account_default == "required":
            continue
        refresh = " (instances of an auto scaling group need an instance refresh)" if compute.kind in (
            ComputeKind.LAUNCH_TEMPLATE, ComputeKind.LAUNCH_CONFIGURATION, ComputeKind.AUTOSCALING_GROUP
        ) else ""  # fmt: skip
        state = "unset (AWS default lets IMDSv1 through)" if tokens.origin is Origin.DEFAULT and unset else (
            f'"{tokens.value}"' if tokens.value is not None else "null"
        )  # fmt: skip
        source = owner_of(tokens, compute)
        inherited = f" (inherited from {source.address})" if source is not compute.resource else ""
        remedy = Remedy(
            META.fix_title,
            SetValue(tokens, "required"),
            Applicability.UNSAFE,
            "software still using IMDSv1 stops getting metadata" + refresh,
        )
        yield Finding(
            META,
            compute.resource,
            source,
            tokens.span,
            f"http_tokens is {state}{inherited}: the {compute.kind.value} allows IMDSv1",
            remedy,
        )


def _setting(value: Sourced[Any]) -> bool:
    """A value we know: a string or unset. A reference to another resource's attribute (an SSM parameter's
    `value`) is known only after apply."""
    return value.known and (value.value is None or isinstance(value.value, str))
