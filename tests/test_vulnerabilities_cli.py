"""Vulnerability traits through the command line, as a new user runs them."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from .test_cli import run
from .test_inspector import OPENSSH

AMI = "ami-0123456789abcdef0"

STACK = """\
resource "aws_launch_template" "app" {
  name_prefix   = "app-"
  image_id      = "ami-0123456789abcdef0"
  instance_type = "t3.micro"

  metadata_options {
    http_tokens = "required"
  }
}

data "aws_ami" "legacy" {
  owners      = ["amazon"]
  most_recent = true

  filter {
    name   = "name"
    values = ["amzn-ami-hvm-*"]
  }
}

resource "aws_instance" "legacy" {
  ami           = data.aws_ami.legacy.id
  instance_type = "t3.micro"
  subnet_id     = "subnet-0a1b2c3d"

  metadata_options {
    http_tokens = "required"
  }
}
"""


def export() -> dict[str, Any]:
    """A critical network-exploitable OpenSSH CVE and a local-only kernel CVE on ami-0123…."""
    openssh = copy.deepcopy(OPENSSH)
    openssh["severity"] = "CRITICAL"
    openssh["inspectorScore"] = 9.8
    kernel = copy.deepcopy(OPENSSH)
    kernel.update(
        findingArn="arn:aws:inspector2:us-east-1:111122223333:finding/kernel",
        title="CVE-2024-1086 - linux-image-aws",
        exploitAvailable="NO",
        epss={"score": 0.0004},
        inspectorScore=7.8,
        inspectorScoreDetails={
            "adjustedCvss": {"scoreSource": "NVD", "version": "3.1", "score": 7.8,
                             "scoringVector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"}
        },
        packageVulnerabilityDetails={
            "vulnerabilityId": "CVE-2024-1086", "source": "UBUNTU_CVE",
            "vulnerablePackages": [{"name": "linux-image-aws", "version": "6.2.0", "release": "1017.17~22.04.1",
                                    "fixedInVersion": "0:6.5.0-1014.14~22.04.1", "packageManager": "OS"}],
        },
    )  # fmt: skip
    return {"findings": [openssh, kernel]}


def write_stack(workdir: Path) -> None:
    (workdir / "infra").mkdir()
    (workdir / "infra" / "main.tf").write_text(STACK)
    (workdir / "inspector.json").write_text(json.dumps(export(), indent=2))


def test_new_user_scan_with_an_inspector_export(workdir: Path) -> None:
    write_stack(workdir)
    code, out, _ = run("scan", "infra", "--vulnerabilities", "inspector.json", "--format", "json")
    assert code == 1
    data = json.loads(out)
    got = {(f["trait"], f["resource"]): f for f in data["findings"]}
    assert set(got) == {
        ("network-exploitable-cve", "aws_launch_template.app"),
        ("software-cve", "aws_launch_template.app"),
        ("eol-operating-system", "aws_instance.legacy"),
    }

    network = got["network-exploitable-cve", "aws_launch_template.app"]
    assert network["message"].startswith("Amazon Inspector reports 1 network-exploitable CVE")
    assert network["evidence"] == [
        "CVE-2024-6387 CRITICAL openssh-server 1:8.9p1-3ubuntu0.6 → 1:8.9p1-3ubuntu0.10 (exploit available, EPSS 0.42)"
    ]
    assert network["location"]["start_line"] == 3  # the image_id line
    assert network["applicability"] == "display-only"
    assert "/aws/service/canonical/ubuntu/server/24.04/" in network["remediation"]
    assert "changing the AMI replaces the instances" in network["applicability_reason"]
    assert "instance refresh" in network["applicability_reason"]

    software = got["software-cve", "aws_launch_template.app"]
    assert software["evidence"] == [
        "CVE-2024-1086 HIGH linux-image-aws 6.2.0-1017.17~22.04.1 → 0:6.5.0-1014.14~22.04.1 (EPSS 0.0004)"
    ]

    eol = got["eol-operating-system", "aws_instance.legacy"]
    assert eol["message"] == (
        'AMI name filter "amzn-ami-hvm-*" of data.aws_ami.legacy selects Amazon Linux AMI (2018.03), '
        "end of maintenance support 2023-12-31 (https://aws.amazon.com/amazon-linux-ami/faqs/)"
    )
    assert eol["source_resource"] == "data.aws_ami.legacy" and eol["location"]["start_line"] == 17
    assert "+  ami           = data.aws_ssm_parameter.al2023.value" in eol["patch"]

    exposures = {e["resource"]: e for e in data["exposures"]}
    assert exposures["aws_launch_template.app"]["likelihood"] == "high"
    assert exposures["aws_launch_template.app"]["traits"] == ["network-exploitable-cve", "software-cve"]


def test_suggestions_are_shown_but_never_applied(workdir: Path) -> None:
    write_stack(workdir)
    _, out, _ = run("scan", "infra", "--vulnerabilities", "inspector.json")
    assert "      - CVE-2024-6387 CRITICAL openssh-server" in out
    assert "suggestion: Launch from Amazon Linux 2023 through SSM public parameter" in out
    assert '+data "aws_ssm_parameter" "al2023" {' in out
    _, diff, err = run("scan", "infra", "--vulnerabilities", "inspector.json", "--diff", "--unsafe-fixes")
    assert diff == "" and "unsafe patch" not in err
    run("scan", "infra", "--vulnerabilities", "inspector.json", "--fix", "--unsafe-fixes")
    assert (workdir / "infra" / "main.tf").read_text() == STACK


def test_without_findings_only_the_end_of_life_is_known(workdir: Path) -> None:
    write_stack(workdir)
    _, out, _ = run("scan", "infra", "--format", "json")
    assert {f["trait"] for f in json.loads(out)["findings"]} == {"eol-operating-system"}


def test_epss_threshold_and_as_of(workdir: Path) -> None:
    write_stack(workdir)
    data = export()
    data["findings"][0]["exploitAvailable"] = "NO"  # EPSS 0.42 alone decides now
    (workdir / "inspector.json").write_text(json.dumps(data))

    def traits(*options: str) -> set[str]:
        _, out, _ = run("scan", "infra", "--vulnerabilities", "inspector.json", "--format", "json", *options)
        return {f["trait"] for f in json.loads(out)["findings"]}

    assert "network-exploitable-cve" in traits("--epss-threshold", "0.42")
    assert "network-exploitable-cve" not in traits("--epss-threshold", "0.5")
    assert "eol-operating-system" not in traits("--as-of", "2023-12-31")
    assert "eol-operating-system" in traits("--as-of", "2024-01-01")


def test_malformed_export_is_a_usage_error(workdir: Path) -> None:
    write_stack(workdir)
    data = export()
    del data["findings"][1]["packageVulnerabilityDetails"]["vulnerabilityId"]
    (workdir / "inspector.json").write_text(json.dumps(data))
    code, out, err = run("scan", "infra", "--vulnerabilities", "inspector.json")
    assert code == 2 and out == ""
    assert "inspector.json: not an Amazon Inspector list-findings page" in err
    assert "findings[1].packageVulnerabilityDetails.vulnerabilityId: Field required" in err
    code, _, err = run("scan", "infra", "--vulnerabilities", "missing.json")
    assert code == 2 and "missing.json: no such file" in err
    code, _, err = run("scan", "infra", "--epss-threshold", "2")
    assert code == 2


def test_pydantic_is_imported_only_with_vulnerabilities(workdir: Path) -> None:
    write_stack(workdir)

    def imported(*options: str) -> set[str]:
        cmd = [sys.executable, "-X", "importtime", "-m", "iac_exposure", "scan", "infra", "-q", *options]
        result = subprocess.run(cmd, check=False, capture_output=True, text=True, cwd=workdir)
        assert result.returncode == 1, result.stderr[-500:]
        return {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}

    assert "pydantic" not in imported()
    assert "pydantic" in imported("--vulnerabilities", "inspector.json")


TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  App:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0123456789abcdef0
      InstanceType: t3.micro
      SubnetId: subnet-0a1b2c3d
      MetadataOptions:
        HttpTokens: required
"""


def test_new_user_scan_covers_a_cloudformation_instance_on_the_same_ami(workdir: Path) -> None:
    """The CloudFormation half of the issue's scenario: the same export, an instance in a template."""
    write_stack(workdir)
    (workdir / "infra" / "app.yaml").write_text(TEMPLATE)
    code, out, _ = run("scan", "infra", "--vulnerabilities", "inspector.json", "--format", "json")
    assert code == 1
    got = {(f["trait"], f["resource"]): f for f in json.loads(out)["findings"]}
    for trait in ("network-exploitable-cve", "software-cve"):
        assert (trait, "aws_launch_template.app") in got
        finding = got[trait, "App"]
        assert finding["resource_type"] == "AWS::EC2::Instance"
        assert finding["location"] == {"file": "infra/app.yaml", "start_line": 6, "end_line": 6}
    assert got["network-exploitable-cve", "App"]["evidence"][0].startswith("CVE-2024-6387 CRITICAL openssh-server")
    assert got["software-cve", "App"]["evidence"][0].startswith("CVE-2024-1086 HIGH linux-image-aws")
