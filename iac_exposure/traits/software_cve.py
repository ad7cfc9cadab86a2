"""Software vulnerabilities.

## What it flags
An instance, spot instance request, launch template, launch configuration or auto scaling group whose AMI
has ACTIVE Amazon Inspector package vulnerabilities other than the network-exploitable ones
(`network-exploitable-cve`): a local attack vector, or no known exploit and an EPSS score under the
threshold. It needs the Inspector findings (`--vulnerabilities FILE`, the JSON of
`aws inspector2 list-findings`), joined on the AMI id Inspector reports for running instances; the AMI id
must be known here. One finding per resource lists every such CVE, most severe first; suppressed and closed
findings are ignored.

## Why is this bad?
Known vulnerabilities in the image's packages let an attacker who gets a foothold (a user, a container, an
application bug) escalate or move on; every instance launched from the image carries them.

## Example
    resource "aws_launch_template" "app" {
      image_id = "ami-0123456789abcdef0" # Inspector: CVE-2024-1086 (kernel, local)
    }

## Fix
Launch from an image that has the fixes: point the launch source at the SSM public parameter of a
maintained image of the same OS family, or rebuild your AMI with the fixed package versions listed in the
finding.

    resource "aws_launch_template" "app" {
      image_id = "resolve:ssm:/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"
    }

## Fix safety
Display-only: a new image changes the software the workload runs, and changing the AMI replaces the
instances (an auto scaling group needs an instance refresh). Test the workload on the new image first.

## References
- AWS Security Hub: "The Amazon EC2 instance has software vulnerabilities"
- Amazon Inspector: https://docs.aws.amazon.com/inspector/latest/user/findings-types.html
"""

from __future__ import annotations

from collections.abc import Iterator

from ..config import Config
from ..findings import Category, Finding, Severity, TraitMeta
from ..model.graph import Model
from ._images import active_package_vulnerabilities, by_severity, cve_finding, network_exploitable

META = TraitMeta(
    id="software-cve",
    category=Category.VULNERABILITY,
    severity=Severity.MEDIUM,
    title="The Amazon EC2 instance has software vulnerabilities",
    fix_title="Launch from a patched image",
)


def check(model: Model, config: Config) -> Iterator[Finding]:
    threshold = config.epss_threshold
    for compute in model.compute:
        image = compute.image
        if image is None:
            continue
        cves = by_severity(f for f in active_package_vulnerabilities(image) if not network_exploitable(f, threshold))
        if cves:
            yield cve_finding(META, compute, image, cves, "CVE{s} (not network-exploitable)")
