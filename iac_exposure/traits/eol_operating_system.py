"""End-of-life operating system.

## What it flags
An instance, spot instance request, launch template, launch configuration or auto scaling group whose image
runs an operating system release its vendor no longer maintains, as of the day of the scan (`--as-of DATE`
to choose another day). The release is recognised from the AMI name patterns a `data "aws_ami"` selects by
(every pattern must name a retired release), an SSM public parameter path (`data "aws_ssm_parameter"`,
`resolve:ssm:`), a name a plan resolved, or the `platform` Amazon Inspector reports for the AMI
(`--vulnerabilities FILE`). The table of releases, with the date and the vendor page for each, is in
`iac_exposure/traits/_images.py`: Amazon Linux AMI (2018.03), Amazon Linux 2, CentOS Linux 6/7/8, RHEL 6/7
(maintenance support), Ubuntu 14.04/16.04/18.04/20.04 (standard support; Ubuntu Pro images keep ESM and are
not flagged), Debian 8/9/10/11 (LTS), Windows Server 2008/2008 R2/2012/2012 R2 (extended support) and SUSE
Linux Enterprise Server 12.

## Why is this bad?
No more security updates: every vulnerability found from now on stays open on every instance launched.

## Example
    data "aws_ami" "legacy" {
      owners      = ["amazon"]
      most_recent = true
      filter {
        name   = "name"
        values = ["amzn-ami-hvm-*-x86_64-gp2"]
      }
    }

    resource "aws_instance" "web" {
      ami = data.aws_ami.legacy.id
    }

## Fix
Launch from a maintained release of the same family through its SSM public parameter:

    data "aws_ssm_parameter" "al2023" {
      name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
    }

    resource "aws_instance" "web" {
      ami = data.aws_ssm_parameter.al2023.value
    }

## Fix safety
Display-only: a new major release changes packages, defaults and tooling, and changing the AMI replaces the
instances (an auto scaling group needs an instance refresh). Migrate and test the workload first.

## References
- AWS Security Hub: "The EC2 instance has an End-Of-Life operating system"
- The vendor pages listed per release in `iac_exposure/traits/_images.py`
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from ..config import Config
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.graph import Model
from ._common import owner_of
from ._images import maintained_image, release_of

META = TraitMeta(
    id="eol-operating-system",
    category=Category.VULNERABILITY,
    severity=Severity.MEDIUM,
    title="The EC2 instance has an End-Of-Life operating system",
    fix_title="Launch from a maintained operating system release",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    today = config.as_of or date.today()
    for compute in model.compute:
        image = compute.image
        if image is None:
            continue
        evidence = release_of(image)
        if evidence is None or today <= evidence.release.ended:
            continue
        release = evidence.release
        message = (
            f"{evidence.statement} {release.release}, end of {release.what} {release.ended.isoformat()} "
            f"({release.source})"
        )
        source = evidence.holder or owner_of(image.setting, compute)
        remedy = maintained_image(compute, image, release.family)
        yield Finding(META, compute.resource, source, evidence.location or image.setting.span, message, remedy)
