"""Reading Amazon Inspector v2 `list-findings` exports (`iac_exposure/inspector.py`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from iac_exposure.inspector import InvalidFindings, load
from iac_exposure.model.inspector import InspectorFinding

AMI = "ami-0123456789abcdef0"

# The documented shape (reference/aws-facts.md §D), values invented.
OPENSSH: dict[str, Any] = {
    "findingArn": "arn:aws:inspector2:us-east-1:111122223333:finding/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "awsAccountId": "111122223333",
    "type": "PACKAGE_VULNERABILITY",
    "title": "CVE-2024-6387 - openssh-server",
    "description": "Race condition in sshd signal handler allows remote code execution.",
    "severity": "HIGH",
    "status": "ACTIVE",
    "firstObservedAt": "2025-03-02T10:11:12.000Z",
    "lastObservedAt": "2025-03-05T08:00:00.000Z",
    "inspectorScore": 8.1,
    "inspectorScoreDetails": {
        "adjustedCvss": {
            "scoreSource": "NVD", "cvssSource": "NVD", "version": "3.1", "score": 8.1,
            "scoringVector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H", "adjustments": [],
        }
    },
    "packageVulnerabilityDetails": {
        "vulnerabilityId": "CVE-2024-6387",
        "source": "NVD",
        "cvss": [{"baseScore": 8.1, "version": "3.1", "source": "NVD",
                  "scoringVector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "vulnerablePackages": [{"name": "openssh-server", "version": "8.9p1", "release": "3ubuntu0.6", "epoch": 1,
                                "arch": "X86_64", "packageManager": "OS", "fixedInVersion": "1:8.9p1-3ubuntu0.10"}],
    },
    "exploitAvailable": "YES",
    "epss": {"score": 0.42},
    "fixAvailable": "YES",
    "resources": [{
        "type": "AWS_EC2_INSTANCE", "id": "i-0abc1234def567890", "partition": "aws", "region": "us-east-1",
        "details": {"awsEc2Instance": {"type": "t3.micro", "imageId": AMI, "platform": "UBUNTU_22_04"}},
    }],
}  # fmt: skip


def variant(**changes: Any) -> dict[str, Any]:
    """The OpenSSH finding with top-level fields changed (None removes one)."""
    finding = copy.deepcopy(OPENSSH)
    for key, value in changes.items():
        if value is None:
            finding.pop(key, None)
        else:
            finding[key] = value
    return finding


def write(tmp_path: Path, content: Any, name: str = "findings.json") -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def only(tmp_path: Path, content: Any) -> InspectorFinding:
    (found,) = load([write(tmp_path, content)]).by_image[AMI]
    return found


def test_reads_the_documented_finding(tmp_path: Path) -> None:
    found = only(tmp_path, {"findings": [OPENSSH], "nextToken": "abc"})
    assert found.vulnerability_id == "CVE-2024-6387"
    assert (found.type, found.status, found.severity, found.score) == ("PACKAGE_VULNERABILITY", "ACTIVE", "HIGH", 8.1)
    assert found.exploit_available and found.epss == 0.42
    assert found.network_vector
    (package,) = found.packages
    assert (package.name, package.version, package.fixed_in) == (
        "openssh-server",
        "1:8.9p1-3ubuntu0.6",
        "1:8.9p1-3ubuntu0.10",
    )


def test_platform_is_indexed_by_ami(tmp_path: Path) -> None:
    index = load([write(tmp_path, {"findings": [OPENSSH]})])
    assert index.platforms == {AMI: ("UBUNTU_22_04",)}


@pytest.mark.parametrize(
    "layout",
    [
        lambda a, b: json.dumps({"findings": [a, b]}),
        lambda a, b: json.dumps([{"findings": [a], "nextToken": "t"}, {"findings": [b]}]),
        lambda a, b: json.dumps({"findings": [a], "nextToken": "t"}, indent=2) + "\n" + json.dumps({"findings": [b]}),
        lambda a, b: json.dumps({"findings": [a]}) + json.dumps([{"findings": [b]}]),
    ],
    ids=["one page", "list of pages", "pages concatenated", "page then list"],
)
def test_pagination_layouts(tmp_path: Path, layout: Any) -> None:
    other = variant(findingArn="arn:aws:inspector2:us-east-1:111122223333:finding/other")
    other["packageVulnerabilityDetails"] = dict(OPENSSH["packageVulnerabilityDetails"], vulnerabilityId="CVE-2023-1")
    found = load([write(tmp_path, layout(OPENSSH, other))]).by_image[AMI]
    assert [f.vulnerability_id for f in found] == ["CVE-2024-6387", "CVE-2023-1"]


def test_the_same_finding_in_two_files_counts_once(tmp_path: Path) -> None:
    a = write(tmp_path, {"findings": [OPENSSH]}, "a.json")
    b = write(tmp_path, {"findings": [OPENSSH]}, "b.json")
    assert len(load([a, b]).by_image[AMI]) == 1


def test_resources_without_an_ami_are_not_indexed(tmp_path: Path) -> None:
    ecr = variant(resources=[{"type": "AWS_ECR_CONTAINER_IMAGE", "id": "arn:aws:ecr:…/sha256:1", "details": {}}])
    assert load([write(tmp_path, {"findings": [ecr]})]).by_image == {}


def test_network_reachability_findings_need_no_package_details(tmp_path: Path) -> None:
    reach = variant(type="NETWORK_REACHABILITY", packageVulnerabilityDetails=None, inspectorScoreDetails=None)
    found = only(tmp_path, {"findings": [reach]})
    assert (found.type, found.vulnerability_id, found.packages) == ("NETWORK_REACHABILITY", "", ())


def test_not_available_fixed_version_is_none(tmp_path: Path) -> None:
    finding = copy.deepcopy(OPENSSH)
    finding["packageVulnerabilityDetails"]["vulnerablePackages"][0]["fixedInVersion"] = "NotAvailable"
    assert only(tmp_path, {"findings": [finding]}).packages[0].fixed_in is None


@pytest.mark.parametrize(
    ("adjusted", "listed", "network"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"], True),
        ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", ["CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], False),
        (None, ["CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], True),
        (None, ["AV:N/AC:L/Au:N/C:P/I:P/A:P"], True),  # CVSS v2 has no prefix
        (None, ["CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"], True),
        (None, ["CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"], False),  # adjacent network is not network
        (None, [], False),
    ],
    ids=["adjusted N", "adjusted L wins", "any listed", "v2", "v4", "adjacent", "none"],
)
def test_attack_vector_network(tmp_path: Path, adjusted: str | None, listed: list[str], network: bool) -> None:
    finding = copy.deepcopy(OPENSSH)
    if adjusted is None:
        del finding["inspectorScoreDetails"]
    else:
        finding["inspectorScoreDetails"]["adjustedCvss"]["scoringVector"] = adjusted
    finding["packageVulnerabilityDetails"]["cvss"] = [
        {"baseScore": 7.0, "scoringVector": v, "version": "3.1", "source": "NVD"} for v in listed
    ]
    assert only(tmp_path, {"findings": [finding]}).network_vector is network


# -- malformed files: a usage error naming the file and the field -----------------------------------------


def broken_package() -> dict[str, Any]:
    finding = copy.deepcopy(OPENSSH)
    del finding["packageVulnerabilityDetails"]["vulnerabilityId"]
    return {"findings": [OPENSSH, finding]}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            {"findings": [variant(status="OPEN")]},
            "findings[0].status: Input should be 'ACTIVE', 'SUPPRESSED' or 'CLOSED' (got \"OPEN\")",
        ),
        (broken_package(), "findings[1].packageVulnerabilityDetails.vulnerabilityId: Field required"),
        (
            {"findings": [variant(packageVulnerabilityDetails=None)]},
            "findings[0]: Value error, packageVulnerabilityDetails is required for a PACKAGE_VULNERABILITY finding",
        ),
        (
            {"findings": [variant(epss={"score": 4.2})]},
            "findings[0].epss.score: Input should be less than or equal to 1",
        ),
        (
            {"findings": [variant(exploitAvailable="MAYBE")]},
            "findings[0].exploitAvailable: Input should be 'YES' or 'NO'",
        ),
        ({"findings": [variant(resources=[])]}, "findings[0].resources: List should have at least 1 item"),
        ({"Findings": []}, "findings: Field required"),
        ([{"findings": []}, {"findings": "none"}], "[1].findings: Input should be a valid list"),
        (
            json.dumps({"findings": []}) + json.dumps({"findings": [variant(severity=None)]}),
            "[1].findings[0].severity: Field required",
        ),
        ('{"findings": [', "invalid JSON at line 1 column 15: Expecting value"),
        ("  \n", "empty; expected the JSON output of `aws inspector2 list-findings`"),
    ],
    ids=[
        "bad enum",
        "missing CVE id",
        "no package details",
        "epss out of range",
        "bad exploit flag",
        "no resources",
        "not an export",
        "bad second page",
        "bad concatenated page",
        "invalid JSON",
        "empty",
    ],
)
def test_malformed_file_names_the_file_and_the_field(tmp_path: Path, content: Any, expected: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InvalidFindings) as caught:
        load([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message


def test_reports_how_many_more_errors(tmp_path: Path) -> None:
    path = write(tmp_path, {"findings": [variant(status="OPEN", severity="SEVERE")]})
    with pytest.raises(InvalidFindings, match=r"\(and 1 more error\)$"):
        load([path])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidFindings, match="nope.json: no such file"):
        load([str(tmp_path / "nope.json")])
