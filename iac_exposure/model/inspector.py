"""Amazon Inspector v2 findings, reduced to what the vulnerability traits read (no pydantic here: the
boundary that validates the export is `iac_exposure/inspector.py`, imported only with `--vulnerabilities`)."""

from __future__ import annotations

from .._records import field, record


@record
class VulnerablePackage:
    name: str
    version: str  # installed version, with epoch and release when Inspector gives them
    fixed_in: str | None  # None: no fixed version known (Inspector writes "NotAvailable")
    arch: str | None


@record
class InspectorFinding:
    arn: str
    type: str  # PACKAGE_VULNERABILITY | NETWORK_REACHABILITY | CODE_VULNERABILITY
    status: str  # ACTIVE | SUPPRESSED | CLOSED
    severity: str  # INFORMATIONAL … CRITICAL, UNTRIAGED
    vulnerability_id: str  # the CVE (or vendor advisory) id; "" for other finding types
    score: float | None  # Inspector score, else the highest CVSS base score
    vectors: tuple[str, ...]  # the CVSS vector Inspector scored with, else every vector listed
    exploit_available: bool
    epss: float | None
    packages: tuple[VulnerablePackage, ...]

    @property
    def network_vector(self) -> bool:
        """Attack vector Network (`AV:N`) in a CVSS v2, v3 or v4 vector."""
        return any("AV:N" in vector.split("/") for vector in self.vectors)


@record
class InspectorFindings:
    """Findings indexed by the AMI the instance runs (`resources[].details.awsEc2Instance.imageId`)."""

    by_image: dict[str, tuple[InspectorFinding, ...]] = field(default_factory=dict)
    platforms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # Inspector `platform` per AMI
