"""Images: how the model resolves what a launch source runs, the end-of-life table, and the vulnerability rules."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from iac_exposure.adapters.terraform.module import adapt_module
from iac_exposure.config import Config
from iac_exposure.model.graph import Compute, Image, Model, ssm_path
from iac_exposure.model.inspector import InspectorFinding, InspectorFindings, VulnerablePackage
from iac_exposure.model.values import Origin
from iac_exposure.parsers.terraform_hcl import parse
from iac_exposure.source import SourceFile
from iac_exposure.traits import eol_operating_system, network_exploitable_cve, software_cve
from iac_exposure.traits._images import (
    END_OF_LIFE,
    family_of,
    release_by_name,
    release_by_parameter,
    release_by_platform,
)

AMI = "ami-0123456789abcdef0"


def model(text: str, inspector: InspectorFindings | None = None) -> Model:
    file = SourceFile(Path("mod/main.tf"), text, "hcl")
    return Model(adapt_module(parse(file)), inspector)


def compute(text: str, address: str, inspector: InspectorFindings | None = None) -> Compute:
    return next(c for c in model(text, inspector).compute if c.resource.address == address)


def image(text: str, address: str = "aws_instance.web") -> Image:
    found = compute(text, address).image
    assert found is not None
    return found


# -- resolution in the model ------------------------------------------------------------------------------


def test_literal_ami() -> None:
    img = image(f'resource "aws_instance" "web" {{\n  ami = "{AMI}"\n}}\n')
    assert img.ami_id.value == AMI and img.ami_id.span is not None and img.ami_id.span.text == f'"{AMI}"'
    assert img.lookup is None and not img.parameter.known


def test_ami_from_a_variable_keeps_the_span_of_its_default() -> None:
    text = f'variable "ami" {{\n  default = "{AMI}"\n}}\nresource "aws_instance" "web" {{\n  ami = var.ami\n}}\n'
    img = image(text)
    assert img.ami_id.value == AMI and img.ami_id.via == "var.ami"
    assert img.ami_id.span is not None and img.ami_id.span.start_line == 2


def test_data_aws_ami_keeps_its_selection_and_leaves_the_id_unknown() -> None:
    text = """\
data "aws_ami" "legacy" {
  owners      = ["amazon", "self"]
  most_recent = true
  name_regex  = "^amzn-ami-hvm-.*"
  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
  filter {
    name   = "name"
    values = ["amzn-ami-hvm-*-x86_64-gp2", "amzn-ami-hvm-*-x86_64-ebs"]
  }
}
resource "aws_instance" "web" {
  ami = data.aws_ami.legacy.id
}
"""
    img = image(text)
    assert img.lookup is not None and img.lookup.address == "data.aws_ami.legacy"
    assert [f.value for f in img.name_filters] == [
        "amzn-ami-hvm-*-x86_64-gp2", "amzn-ami-hvm-*-x86_64-ebs", "^amzn-ami-hvm-.*"]  # fmt: skip
    assert [o.value for o in img.owners] == ["amazon", "self"]
    assert img.ami_id.origin is Origin.UNKNOWN


def test_data_aws_ssm_parameter() -> None:
    text = """\
data "aws_ssm_parameter" "al2" {
  name = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
}
resource "aws_launch_template" "app" {
  image_id = data.aws_ssm_parameter.al2.value
}
"""
    img = image(text, "aws_launch_template.app")
    assert img.parameter.value == "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"
    assert img.parameter.span is not None and img.parameter.span.start_line == 2
    assert img.lookup is not None and img.lookup.address == "data.aws_ssm_parameter.al2"


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("resolve:ssm:/aws/service/debian/release/12/latest/amd64", "/aws/service/debian/release/12/latest/amd64"),
        ("resolve:ssm:/golden/ami:3", "/golden/ami"),
        ("{{resolve:ssm:/aws/service/x/ami-id}}", "/aws/service/x/ami-id"),
        ("{{resolve:ssm:/aws/service/x/ami-id:prod}}", "/aws/service/x/ami-id"),
        ("resolve:ssm:arn:aws:ssm:us-east-1:111122223333:parameter/golden/ami:2", "/golden/ami"),
        (AMI, None),
        ("resolve:ssm:", None),
        ("{{resolve:secretsmanager:x}}", None),
    ],
)
def test_ssm_path(value: str, path: str | None) -> None:
    assert ssm_path(value) == path


def test_resolve_ssm_string_in_a_launch_template() -> None:
    path = "/aws/service/canonical/ubuntu/server/18.04/stable/current/amd64/hvm/ebs-gp2/ami-id"
    img = image(
        f'resource "aws_launch_template" "app" {{\n  image_id = "resolve:ssm:{path}"\n}}\n', "aws_launch_template.app"
    )
    assert img.parameter.value == path and img.parameter.span == img.setting.span


def test_instance_inherits_the_template_image() -> None:
    text = f"""\
resource "aws_launch_template" "app" {{
  image_id = "{AMI}"
}}
resource "aws_instance" "web" {{
  launch_template {{
    id = aws_launch_template.app.id
  }}
}}
"""
    assert image(text).ami_id.value == AMI


def test_no_image_setting_means_no_image() -> None:
    assert compute('resource "aws_launch_template" "app" {\n}\n', "aws_launch_template.app").image is None


def test_reference_to_an_image_built_here_is_unknown() -> None:
    text = 'resource "aws_ami_copy" "golden" {\n}\nresource "aws_instance" "web" {\n  ami = aws_ami_copy.golden.id\n}\n'
    img = image(text)
    assert img.lookup is None and not img.ami_id.known and not img.parameter.known


def test_findings_are_joined_on_the_ami_id() -> None:
    found = finding("CVE-2024-6387")
    inspector = InspectorFindings({AMI: (found,)}, {AMI: ("UBUNTU_22_04",)})
    img = compute(f'resource "aws_instance" "web" {{\n  ami = "{AMI}"\n}}\n', "aws_instance.web", inspector).image
    assert img is not None and img.findings == (found,) and img.platforms == ("UBUNTU_22_04",)
    other = compute('resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n', "aws_instance.web", inspector).image
    assert other is not None and other.findings == () and other.platforms == ()


# -- the end-of-life table --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "release"),
    [
        ("amzn-ami-hvm-2018.03.0.20231218.0-x86_64-gp2", "Amazon Linux AMI (2018.03)"),
        ("amzn-ami-2018.03.*-amazon-ecs-optimized", "Amazon Linux AMI (2018.03)"),
        ("*amzn-ami-hvm*", "Amazon Linux AMI (2018.03)"),
        ("amzn2-ami-hvm-2.0.*-x86_64-gp2", "Amazon Linux 2"),
        ("amzn2-ami-kernel-5.10-hvm-*-arm64-gp2", "Amazon Linux 2"),
        ("amazon-eks-node-1.29-v*", "Amazon Linux 2"),
        ("amazon-eks-node-al2023-x86_64-standard-1.30-*", None),
        ("al2023-ami-2023.*-x86_64", None),
        ("amzn*-ami-hvm-*", None),  # Amazon Linux 1 or 2: not determined
        ("ubuntu/images/hvm-ssd/ubuntu-trusty-14.04-amd64-server-*", "Ubuntu 14.04 LTS"),
        ("ubuntu/images/hvm-ssd/ubuntu-xenial-*", "Ubuntu 16.04 LTS"),
        ("ubuntu/images/hvm-ssd/ubuntu-bionic-18.04-amd64-server-*", "Ubuntu 18.04 LTS"),
        ("^ubuntu/images/hvm-ssd/ubuntu-focal-20\\.04-amd64-server-.*$", "Ubuntu 20.04 LTS"),
        ("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*", None),
        ("ubuntu-pro-server/images/hvm-ssd/ubuntu-focal-20.04-amd64-pro-server-*", None),
        ("ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*", None),
        ("debian-jessie-amd64-hvm-2017-*", "Debian 8 (jessie)"),
        ("debian-stretch-hvm-x86_64-gp2-*", "Debian 9 (stretch)"),
        ("debian-10-amd64-*", "Debian 10 (buster)"),
        ("debian-11-amd64-*", "Debian 11 (bullseye)"),
        ("debian-12-amd64-*", None),
        ("CentOS Linux 6 x86_64 HVM EBS *", "CentOS Linux 6"),
        ("CentOS Linux 7 x86_64 HVM EBS ENA 2002_01-*", "CentOS Linux 7"),
        ("CentOS-7-2111-20220825_1.x86_64-*", "CentOS Linux 7"),
        ("CentOS 8.2.2004 x86_64", "CentOS Linux 8"),
        ("CentOS Stream 9 x86_64 *", None),
        ("RHEL-6.10_HVM-*", "Red Hat Enterprise Linux 6"),
        ("RHEL-7.9_HVM-20230906-x86_64-*", "Red Hat Enterprise Linux 7"),
        ("RHEL-9.4.0_HVM-*", None),
        ("Windows_Server-2008-SP2-English-64Bit-Base-*", "Windows Server 2008"),
        ("Windows_Server-2008-R2_SP1-English-64Bit-Base-*", "Windows Server 2008 R2"),
        ("Windows_Server-2012-RTM-English-64Bit-Base-*", "Windows Server 2012"),
        ("Windows_Server-2012-R2_RTM-English-64Bit-SQL_2016_SP2_Standard-*", "Windows Server 2012 R2"),
        ("Windows_Server-2019-English-Full-Base-*", None),
        ("suse-sles-12-sp5-v20240101-hvm-ssd-x86_64", "SUSE Linux Enterprise Server 12"),
        ("suse-sles-15-sp6-v*", None),
    ],
)
def test_release_by_name(name: str, release: str | None) -> None:
    found = release_by_name(name)
    assert (found.release if found else None) == release


@pytest.mark.parametrize(
    ("path", "release"),
    [
        ("/aws/service/ami-amazon-linux-latest/amzn-ami-hvm-x86_64-gp2", "Amazon Linux AMI (2018.03)"),
        ("/aws/service/ecs/optimized-ami/amazon-linux/recommended/image_id", "Amazon Linux AMI (2018.03)"),
        ("/aws/service/ami-amazon-linux-latest/amzn2-ami-kernel-5.10-hvm-x86_64-gp2", "Amazon Linux 2"),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2/recommended/image_id", "Amazon Linux 2"),
        ("/aws/service/eks/optimized-ami/1.29/amazon-linux-2-arm64/recommended/image_id", "Amazon Linux 2"),
        ("/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id", None),
        ("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", None),
        ("/aws/service/canonical/ubuntu/server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "Ubuntu 20.04 LTS"),
        ("/aws/service/canonical/ubuntu/server/focal/stable/current/amd64/hvm/ebs-gp2/ami-id", "Ubuntu 20.04 LTS"),
        ("/aws/service/canonical/ubuntu/eks/18.04/1.21/stable/current/amd64/hvm/ebs-gp2/ami-id", "Ubuntu 18.04 LTS"),
        ("/aws/service/canonical/ubuntu/pro-server/20.04/stable/current/amd64/hvm/ebs-gp2/ami-id", None),
        ("/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id", None),
        ("/aws/service/debian/release/buster/latest/amd64", "Debian 10 (buster)"),
        ("/aws/service/debian/release/12/latest/amd64", None),
        ("/aws/service/ami-windows-latest/Windows_Server-2012-R2_RTM-English-64Bit-Base", "Windows Server 2012 R2"),
        ("/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base", None),
        ("/golden/ubuntu-18.04", None),  # a private parameter says nothing reliable
    ],
)
def test_release_by_parameter(path: str, release: str | None) -> None:
    found = release_by_parameter(path)
    assert (found.release if found else None) == release


@pytest.mark.parametrize(
    ("platform", "release"),
    [
        ("AMAZON_LINUX", "Amazon Linux AMI (2018.03)"),
        ("AMAZON_LINUX_2", "Amazon Linux 2"),
        ("AMAZON_LINUX_2023", None),
        ("UBUNTU_18_04", "Ubuntu 18.04 LTS"),
        ("UBUNTU_22_04", None),
        ("CENTOS_7", "CentOS Linux 7"),
        ("RHEL_7", "Red Hat Enterprise Linux 7"),
        ("RHEL_8", None),
        ("DEBIAN_10", "Debian 10 (buster)"),
        ("DEBIAN_11", "Debian 11 (bullseye)"),
        ("WINDOWS_SERVER_2012_R2", "Windows Server 2012 R2"),
        ("WINDOWS_SERVER_2012", "Windows Server 2012"),
        ("Windows Server 2008 R2", "Windows Server 2008 R2"),
        ("WINDOWS_SERVER_2016", None),
        ("SUSE_12", "SUSE Linux Enterprise Server 12"),
        ("SLES_15", None),
    ],
)
def test_release_by_platform(platform: str, release: str | None) -> None:
    found = release_by_platform(platform)
    assert (found.release if found else None) == release


def test_every_row_has_a_date_and_a_vendor_page() -> None:
    for row in END_OF_LIFE:
        assert re.fullmatch(r"https://[\w.-]+/\S*", row.source), row.release
        assert date(2015, 1, 1) < row.ended < date(2030, 1, 1), row.release


def test_family_and_architecture_of_the_suggested_image() -> None:
    text = """\
data "aws_ami" "arm" {
  filter {
    name   = "name"
    values = ["amzn2-ami-kernel-5.10-hvm-*-arm64-gp2"]
  }
}
resource "aws_instance" "web" {
  ami = data.aws_ami.arm.id
}
"""
    family = family_of(image(text))
    assert family is not None and family.name == "Amazon Linux"
    (found,) = run(eol_operating_system, text, as_of=date(2026, 7, 1))
    assert found.remedy is not None
    assert found.remedy.title.endswith("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64")


# -- the traits' rules ------------------------------------------------------------------------------------


def finding(
    cve: str,
    vector: str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    exploit: bool = False,
    epss: float | None = None,
    status: str = "ACTIVE",
    severity: str = "HIGH",
    score: float | None = 7.5,
) -> InspectorFinding:
    package = VulnerablePackage("openssl", "3.0.2-0ubuntu1.14", "3.0.2-0ubuntu1.15", "X86_64")
    return InspectorFinding(
        f"arn:{cve}", "PACKAGE_VULNERABILITY", status, severity, cve, score, (vector,), exploit, epss, (package,)
    )


WEB = f'resource "aws_instance" "web" {{\n  ami = "{AMI}"\n}}\n'


def run(trait: object, text: str, *found: InspectorFinding, as_of: date | None = None, epss: float = 0.1) -> list:  # type: ignore[type-arg]
    config = Config(epss_threshold=epss, as_of=as_of)
    return list(trait.check(model(text, InspectorFindings({AMI: found})), config))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("found", "network", "software"),
    [
        (finding("CVE-1", exploit=True), 1, 0),
        (finding("CVE-1", epss=0.1), 1, 0),  # the threshold counts
        (finding("CVE-1", epss=0.099), 0, 1),
        (finding("CVE-1"), 0, 1),  # neither an exploit nor an EPSS score
        (finding("CVE-1", vector="CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", exploit=True, epss=0.9), 0, 1),
        (finding("CVE-1", exploit=True, status="SUPPRESSED"), 0, 0),
        (finding("CVE-1", exploit=True, status="CLOSED"), 0, 0),
    ],
)
def test_network_exploitable_or_software(found: InspectorFinding, network: int, software: int) -> None:
    assert len(run(network_exploitable_cve, WEB, found)) == network
    assert len(run(software_cve, WEB, found)) == software


def test_epss_threshold_is_configurable() -> None:
    found = finding("CVE-1", epss=0.05)
    assert len(run(network_exploitable_cve, WEB, found, epss=0.05)) == 1
    assert len(run(network_exploitable_cve, WEB, found, epss=0.5)) == 0


def test_one_finding_lists_every_cve_most_severe_first() -> None:
    found = [
        finding("CVE-2023-0001", exploit=True, severity="MEDIUM", score=5.0),
        finding("CVE-2023-0002", exploit=True, severity="CRITICAL", score=9.8),
        finding("CVE-2023-0003", exploit=True, severity="HIGH", score=7.1),
        finding("CVE-2023-0004", exploit=True, severity="HIGH", score=8.8),
        finding("CVE-2023-0004", exploit=True, severity="HIGH", score=8.8, status="CLOSED"),
    ]
    (result,) = run(network_exploitable_cve, WEB, *found)
    assert [line.split()[0] for line in result.evidence] == [
        "CVE-2023-0002", "CVE-2023-0004", "CVE-2023-0003", "CVE-2023-0001"]  # fmt: skip
    assert "reports 4 network-exploitable CVEs" in result.message
    assert result.message.endswith("CVE-2023-0002, CVE-2023-0004, CVE-2023-0003 and 1 more")
    assert (
        result.evidence[0] == "CVE-2023-0002 CRITICAL openssl 3.0.2-0ubuntu1.14 → 3.0.2-0ubuntu1.15 (exploit available)"
    )


def test_end_of_life_is_decided_by_the_date() -> None:
    text = 'resource "aws_instance" "web" {\n  ami = "resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"\n}\n'
    assert run(eol_operating_system, text, as_of=date(2026, 6, 30)) == []  # its last supported day
    (found,) = run(eol_operating_system, text, as_of=date(2026, 7, 1))
    assert "Amazon Linux 2, end of support 2026-06-30 (https://aws.amazon.com/amazon-linux-2/faqs/)" in found.message
    assert run(eol_operating_system, text) != []  # no date given: the day of the scan (after 2026-06-30 today)


def test_end_of_life_from_the_inspector_platform() -> None:
    found = finding("CVE-1", status="CLOSED")  # any finding tells the platform, whatever its status
    inspector = InspectorFindings({AMI: (found,)}, {AMI: ("UBUNTU_18_04",)})
    (result,) = eol_operating_system.check(model(WEB, inspector), Config(as_of=date(2026, 1, 1)))
    assert result.message.startswith(f"Amazon Inspector reports AMI {AMI} as UBUNTU_18_04, Ubuntu 18.04 LTS")
    assert result.location is not None and result.location.text == f'"{AMI}"'
