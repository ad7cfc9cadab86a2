"""One Security Hub-style exposure per compute resource: its traits, rated likelihood × impact.

Security Hub publishes the matrix but not how traits map to likelihood; the mapping here is ours:
likelihood Very High = internet-reachable and (network-exploitable CVE, remote access open or IMDSv1);
High = internet-reachable, a network-exploitable CVE, or a public IP with an open group;
Moderate = any other misconfiguration; Low = VPC reachability or software CVEs only.
Impact: administrative role = high, service administrator = medium, anything else = low.
"""

from __future__ import annotations

from dataclasses import dataclass

from .findings import Finding, Severity

_MATRIX: dict[str, tuple[Severity | None, Severity | None, Severity | None]] = {
    # likelihood: (impact low, medium, high); None: informational, not published
    "very-high": (Severity.HIGH, Severity.CRITICAL, Severity.CRITICAL),
    "high": (Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL),
    "moderate": (Severity.LOW, Severity.MEDIUM, Severity.HIGH),
    "low": (None, Severity.LOW, Severity.MEDIUM),
}
_MISCONFIGURATION = {
    "imdsv1-allowed", "remote-access-open", "open-security-group", "public-ip",
    "iam-admin-policy", "iam-service-admin-policy",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Exposure:
    resource: str
    resource_type: str
    severity: Severity
    likelihood: str
    impact: str
    traits: tuple[str, ...]


def likelihood(traits: set[str]) -> str | None:
    internet = "internet-reachable" in traits
    if internet and traits & {"network-exploitable-cve", "remote-access-open", "imdsv1-allowed"}:
        return "very-high"
    if (
        internet
        or "network-exploitable-cve" in traits
        or ("public-ip" in traits and traits & {"open-security-group", "remote-access-open"})
    ):
        return "high"
    if traits & _MISCONFIGURATION:
        return "moderate"
    if traits & {"vpc-reachable", "software-cve", "eol-operating-system"}:
        return "low"
    return None  # impact alone does not make an exposure


def impact(traits: set[str]) -> str:
    if "iam-admin-policy" in traits:
        return "high"
    if "iam-service-admin-policy" in traits:
        return "medium"
    return "low"


def exposures(findings: list[Finding]) -> list[Exposure]:
    by_resource: dict[str, tuple[str, set[str]]] = {}
    for f in findings:
        by_resource.setdefault(f.resource.address, (f.resource.type, set()))[1].add(f.trait.id)
    out = []
    for address, (rtype, traits) in sorted(by_resource.items()):
        level = likelihood(traits)
        if level is None:
            continue
        hit = impact(traits)
        severity = _MATRIX[level][("low", "medium", "high").index(hit)]
        if severity is None:
            continue
        out.append(Exposure(address, rtype, severity, level, hit, tuple(sorted(traits))))
    return out
