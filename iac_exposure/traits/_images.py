"""What an image runs: operating-system families, end-of-life releases, and the CVEs Inspector found on it.

The end-of-life table is kept here, one row per release with the date support ended and the page that
says so. A release is recognised from an AMI name (or the name patterns a `data "aws_ami"` selects by), an
SSM public parameter path, or the `platform` Amazon Inspector reports for instances running the AMI.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from .._records import record
from ..findings import Applicability, Finding, TraitMeta
from ..model.aws import ComputeKind, Resource
from ..model.graph import Compute, Image
from ..model.inspector import InspectorFinding
from ..model.values import Sourced
from ..patches.remedies import Remedy, UseParameter
from ..source import Span
from ._common import owner_of

AnySourced = Sourced[Any]


@record
class Family:
    """An OS family and the maintained image its users should launch from."""

    name: str
    names: Pattern  # AMI names and name patterns (lowercase)
    parameters: Pattern  # SSM public parameter paths (lowercase)
    platforms: Pattern  # Inspector platform values (uppercase, `_`-separated)
    successor: str  # the maintained release suggested
    parameter: str | None  # its SSM public parameter, `{arch}` filled in; None: its vendor publishes none
    arches: tuple[str, str]  # how the parameter spells x86-64 and Arm
    declaration: str  # the name of a new parameter declaration (a Terraform data source label)
    advice: str  # what to do when there is no parameter to point at


class Pattern:
    """A regular expression compiled when first searched: the tables below hold ~100 of them and most scans
    never look at an image name (compiling them all cost ~20 ms of every run's start-up)."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled: re.Pattern[str] | None = None

    def search(self, text: str) -> re.Match[str] | None:
        if self._compiled is None:
            self._compiled = re.compile(self.source)
        return self._compiled.search(text)

    def __repr__(self) -> str:
        return f"Pattern({self.source!r})"


def _re(pattern: str) -> Pattern:
    return Pattern(pattern)


_NEVER = _re(r"(?!)")

AMAZON_LINUX = Family(
    "Amazon Linux",
    _re(r"(?:^|[^a-z0-9])(?:amzn-ami-|amzn2-ami-|al2023-ami-|amazon-eks-)"),
    _re(r"/aws/service/(?:ami-amazon-linux-latest|(?:ecs|eks)/optimized-ami/.*amazon-linux)"),
    _re(r"^AMAZON_LINUX"),
    "Amazon Linux 2023",
    "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-{arch}",
    ("x86_64", "arm64"),
    "al2023",
    "",
)
UBUNTU = Family(
    "Ubuntu",
    _re(r"ubuntu"),
    _re(r"/aws/service/canonical/ubuntu/"),
    _re(r"^UBUNTU"),
    "Ubuntu 24.04 LTS",
    "/aws/service/canonical/ubuntu/server/24.04/stable/current/{arch}/hvm/ebs-gp3/ami-id",
    ("amd64", "arm64"),
    "ubuntu_24_04",
    "",
)
DEBIAN = Family(
    "Debian",
    _re(r"(?:^|[^a-z0-9])debian-"),
    _re(r"/aws/service/debian/"),
    _re(r"^DEBIAN"),
    "Debian 13",
    "/aws/service/debian/release/13/latest/{arch}",
    ("amd64", "arm64"),
    "debian_13",
    "",
)
WINDOWS = Family(
    "Windows Server",
    _re(r"windows_server-"),
    _re(r"/aws/service/ami-windows-latest/"),
    _re(r"^WINDOWS"),
    "Windows Server 2025",
    "/aws/service/ami-windows-latest/Windows_Server-2025-English-Full-Base",
    ("", ""),
    "windows_server_2025",
    "",
)
RHEL = Family(
    "Red Hat Enterprise Linux",
    _re(r"(?:^|[^a-z0-9])rhel-"),
    _NEVER,
    _re(r"^(?:RHEL|REDHAT|RED_HAT)"),
    "RHEL 9",
    None,
    ("", ""),
    "",
    "Red Hat publishes no SSM public parameter: select a RHEL 9 AMI (owner 309956199498, name RHEL-9.*)",
)
CENTOS = Family(
    "CentOS",
    _re(r"centos"),
    _NEVER,
    _re(r"^CENTOS"),
    "RHEL 9 or Amazon Linux 2023",
    None,
    ("", ""),
    "",
    "CentOS Linux has no maintained release: move to RHEL 9, a RHEL rebuild (AlmaLinux, Rocky Linux) or "
    "Amazon Linux 2023",
)
SUSE = Family(
    "SUSE Linux Enterprise Server",
    _re(r"suse-sles-"),
    _re(r"/aws/service/suse/"),
    _re(r"^(?:SUSE|SLES)"),
    "SUSE Linux Enterprise Server 15",
    None,
    ("", ""),
    "",
    "select a SUSE Linux Enterprise Server 15 image of a supported service pack",
)
FAMILIES = (AMAZON_LINUX, UBUNTU, DEBIAN, WINDOWS, RHEL, CENTOS, SUSE)


@record
class EndOfLife:
    """A release whose vendor stopped (free) security updates on `ended`."""

    release: str
    family: Family
    ended: date
    what: str  # what ended: "standard support", "maintenance support", "extended support", "LTS"
    source: str  # the vendor page giving the date
    names: Pattern
    parameters: Pattern
    platforms: Pattern
    unless: Pattern = _NEVER  # images of the release that are still maintained (Ubuntu Pro: ESM)


_UBUNTU_PRO = _re(r"pro-server|ubuntu-pro|/pro/")


def _ubuntu(version: str, codename: str, ended: date) -> EndOfLife:
    v = re.escape(version)
    return EndOfLife(
        f"Ubuntu {version} LTS", UBUNTU, ended, "standard support", "https://ubuntu.com/about/release-cycle",
        _re(rf"ubuntu-(?:{codename}|{v})(?![0-9])"),
        _re(rf"/aws/service/canonical/ubuntu/[^/]+/(?:{v}|{codename})/"),
        _re(rf"^UBUNTU_{version.replace('.', '_')}(?![0-9])"),
        _UBUNTU_PRO,
    )  # fmt: skip


def _debian(version: str, codename: str, ended: date) -> EndOfLife:
    return EndOfLife(
        f"Debian {version} ({codename})", DEBIAN, ended, "LTS", "https://wiki.debian.org/LTS",
        _re(rf"(?:^|[^a-z0-9])debian-(?:{version}|{codename})(?![0-9])"),
        _re(rf"/aws/service/debian/release/(?:{version}|{codename})/"),
        _re(rf"^DEBIAN_{version}(?![0-9])"),
    )  # fmt: skip


def _centos(version: str, ended: date, source: str) -> EndOfLife:
    return EndOfLife(
        f"CentOS Linux {version}", CENTOS, ended, "life", source,
        _re(rf"centos(?:[ _-]linux)?[ _-]?{version}(?![0-9])"), _NEVER, _re(rf"^CENTOS_{version}(?![0-9])"),
    )  # fmt: skip


def _rhel(version: str, ended: date) -> EndOfLife:
    return EndOfLife(
        f"Red Hat Enterprise Linux {version}", RHEL, ended, "maintenance support",
        "https://access.redhat.com/support/policy/updates/errata",
        _re(rf"(?:^|[^a-z0-9])rhel-{version}(?![0-9])"), _NEVER,
        _re(rf"^(?:RHEL|REDHAT|RED_HAT_ENTERPRISE_LINUX)_{version}(?![0-9])"),
    )  # fmt: skip


def _windows(release: str, ended: date) -> EndOfLife:
    year, _, r2 = release.partition(" ")
    name = rf"windows_server-{year}-r2" if r2 else rf"windows_server-{year}-(?!r2)"
    return EndOfLife(
        f"Windows Server {release}", WINDOWS, ended, "extended support",
        f"https://learn.microsoft.com/en-us/lifecycle/products/windows-server-{release.lower().replace(' ', '-')}",
        _re(name), _re(rf"/aws/service/ami-windows-latest/{name}"),
        _re(rf"^WINDOWS_SERVER_{year}_R2" if r2 else rf"^WINDOWS_SERVER_{year}(?!_R2)"),
    )  # fmt: skip


END_OF_LIFE: tuple[EndOfLife, ...] = (
    EndOfLife(
        "Amazon Linux AMI (2018.03)", AMAZON_LINUX, date(2023, 12, 31), "maintenance support",
        "https://aws.amazon.com/amazon-linux-ami/faqs/",
        _re(r"(?:^|[^a-z0-9])amzn-ami-"),
        _re(r"/aws/service/(?:ami-amazon-linux-latest/amzn-ami-|ecs/optimized-ami/amazon-linux/)"),
        _re(r"^AMAZON_LINUX(?:_1|_AMI|_2018_03)?$"),
    ),
    EndOfLife(
        "Amazon Linux 2", AMAZON_LINUX, date(2026, 6, 30), "support", "https://aws.amazon.com/amazon-linux-2/faqs/",
        # EKS-optimized AMIs are Amazon Linux 2 unless their name says al2023
        _re(r"(?:^|[^a-z0-9])(?:amzn2-ami-|amazon-eks-(?:gpu-|arm64-)?node-(?!al2023))"),
        _re(
            r"/aws/service/(?:ami-amazon-linux-latest/amzn2-ami-|"
            r"(?:ecs|eks)/optimized-ami/(?:[^/]+/)?amazon-linux-2(?:-arm64|-gpu)?/)"
        ),
        _re(r"^AMAZON_LINUX_2$"),
    ),
    _centos("6", date(2020, 11, 30), "https://wiki.centos.org/About/Product"),
    _centos("7", date(2024, 6, 30), "https://www.centos.org/centos-linux-eol/"),
    _centos("8", date(2021, 12, 31), "https://www.centos.org/centos-linux-eol/"),
    _rhel("6", date(2020, 11, 30)),
    _rhel("7", date(2024, 6, 30)),
    _ubuntu("14.04", "trusty", date(2019, 4, 30)),
    _ubuntu("16.04", "xenial", date(2021, 4, 30)),
    _ubuntu("18.04", "bionic", date(2023, 5, 31)),
    _ubuntu("20.04", "focal", date(2025, 5, 31)),
    _debian("8", "jessie", date(2020, 6, 30)),
    _debian("9", "stretch", date(2022, 6, 30)),
    _debian("10", "buster", date(2024, 6, 30)),
    _debian("11", "bullseye", date(2026, 8, 31)),
    _windows("2008", date(2020, 1, 14)),
    _windows("2008 R2", date(2020, 1, 14)),
    _windows("2012", date(2023, 10, 10)),
    _windows("2012 R2", date(2023, 10, 10)),
    EndOfLife(
        "SUSE Linux Enterprise Server 12", SUSE, date(2024, 10, 31), "general support (SP5)",
        "https://www.suse.com/lifecycle/",
        _re(r"suse-sles-(?:sap-)?12-"), _re(r"/aws/service/suse/sles(?:-sap)?/12[-./]"),
        _re(r"^(?:SUSE|SLES)(?:_LINUX)?(?:_ENTERPRISE_SERVER)?_12(?![0-9])"),
    ),
)  # fmt: skip


# -- recognising a release ----------------------------------------------------------------------------


def _name_text(pattern: str) -> str:
    """An AMI name, glob or `name_regex` as plain lowercase text (`^ubuntu-bionic-18\\.04` → `ubuntu-bionic-18.04`)."""
    return pattern.lower().lstrip("^").rstrip("$").replace("\\.", ".").replace("\\-", "-")


def _platform_text(platform: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "_", platform.upper()).strip("_")


def release_by_name(name: str) -> EndOfLife | None:
    text = _name_text(name)
    return next((r for r in END_OF_LIFE if r.names.search(text) and not r.unless.search(text)), None)


def release_by_parameter(path: str) -> EndOfLife | None:
    text = path.lower()
    return next((r for r in END_OF_LIFE if r.parameters.search(text) and not r.unless.search(text)), None)


def release_by_platform(platform: str) -> EndOfLife | None:
    text = _platform_text(platform)
    return next((r for r in END_OF_LIFE if r.platforms.search(text)), None)


@record
class Evidence:
    """What says which release an image runs, and where that is written."""

    release: EndOfLife
    location: Span | None
    holder: Resource | None  # the lookup / parameter declaration it is written in, if not the launch source
    statement: str  # `AMI name filter "amzn-ami-hvm-*" of data.aws_ami.legacy selects`


def release_of(image: Image) -> Evidence | None:
    """The end-of-life release the image is known to run, whatever the date; None when not known to be one."""
    name = image.name
    if isinstance(name.value, str):
        release = release_by_name(name.value)
        if release is not None:
            return Evidence(release, name.span, image.lookup, f'AMI {_ami(image)} "{name.value}" is')
    filters = image.name_filters
    if filters and all(isinstance(f.value, str) for f in filters):
        # the lookup picks any image matching one of its patterns: every one must name a retired release
        releases = [release_by_name(str(f.value)) for f in filters]
        first = releases[0]
        if first is not None and all(r is not None for r in releases):
            where = f" of {image.lookup.address}" if image.lookup else ""
            return Evidence(
                first, filters[0].span, image.lookup, f'AMI name filter "{filters[0].value}"{where} selects'
            )
    parameter = image.parameter
    if isinstance(parameter.value, str):
        release = release_by_parameter(parameter.value)
        if release is not None:
            return Evidence(release, parameter.span, image.lookup, f"SSM parameter {parameter.value} resolves to")
    for platform in image.platforms:
        release = release_by_platform(platform)
        if release is not None:
            return Evidence(
                release, image.ami_id.span, None, f"Amazon Inspector reports AMI {_ami(image)} as {platform},"
            )
    return None


def family_of(image: Image) -> Family | None:
    """The OS family, from whatever tells it (for suggesting a maintained image of the same family)."""
    texts = [_name_text(str(f.value)) for f in (image.name, *image.name_filters) if isinstance(f.value, str)]
    for family in FAMILIES:
        if any(family.names.search(t) for t in texts):
            return family
        if isinstance(image.parameter.value, str) and family.parameters.search(image.parameter.value.lower()):
            return family
        if any(family.platforms.search(_platform_text(p)) for p in image.platforms):
            return family
    return None


def _arm(image: Image) -> bool:
    texts = [str(v.value).lower() for v in (image.name, image.parameter, *image.name_filters) if v.value]
    texts += [(p.arch or "").lower() for f in image.findings for p in f.packages]
    return any("arm64" in t or "aarch64" in t for t in texts)


def _ami(image: Image) -> str:
    return str(image.ami_id.value) if isinstance(image.ami_id.value, str) else "(id resolved at launch)"


# -- the fix ------------------------------------------------------------------------------------------

_REFRESHED = (ComputeKind.LAUNCH_TEMPLATE, ComputeKind.LAUNCH_CONFIGURATION, ComputeKind.AUTOSCALING_GROUP)


def maintained_image(compute: Compute, image: Image, family: Family | None, rebuild: bool = False) -> Remedy:
    """Point the launch source at a maintained image of the same family through an SSM public parameter
    (`rebuild`: rebuilding the AMI with fixed packages is the other way out).

    Always display-only: a new image changes what runs, and Terraform/CloudFormation replace the instances.
    """
    refresh = " (instances of an auto scaling group need an instance refresh)" if compute.kind in _REFRESHED else ""
    consequence = f"changing the AMI replaces the instances{refresh}"
    or_rebuild = ", or rebuild the AMI with the fixed packages" if rebuild else ""
    if family is None:
        return Remedy(
            "Launch from a maintained image", None, Applicability.DISPLAY_ONLY,
            f"point the image at the SSM public parameter of a maintained release of its OS family (not known "
            f"here){or_rebuild}; {consequence}",
        )  # fmt: skip
    if family.parameter is None:
        return Remedy(
            f"Launch from {family.successor}", None, Applicability.DISPLAY_ONLY,
            f"{family.advice}{or_rebuild}; {consequence}",
        )  # fmt: skip
    arm = _arm(image)
    path = family.parameter.format(arch=family.arches[1] if arm else family.arches[0])
    current = image.parameter if image.parameter.explicit else None
    return Remedy(
        f"Launch from {family.successor} through SSM public parameter {path}",
        UseParameter(image.setting, path, family.declaration + ("_arm64" if arm else ""), current),
        Applicability.DISPLAY_ONLY,
        f"test the workload on {family.successor}{or_rebuild}; {consequence}",
    )


# -- CVEs ---------------------------------------------------------------------------------------------

_SEVERITY_RANK = {"CRITICAL": 5, "HIGH": 4, "MEDIUM": 3, "LOW": 2, "INFORMATIONAL": 1, "UNTRIAGED": 0}


def active_package_vulnerabilities(image: Image) -> Iterator[InspectorFinding]:
    for found in image.findings:
        if found.status == "ACTIVE" and found.type == "PACKAGE_VULNERABILITY":
            yield found


def network_exploitable(found: InspectorFinding, epss_threshold: float) -> bool:
    likely = found.exploit_available or (found.epss is not None and found.epss >= epss_threshold)
    return found.network_vector and likely


def by_severity(found: Iterable[InspectorFinding]) -> list[InspectorFinding]:
    """One entry per CVE (the most severe finding of it), most severe first."""
    worst: dict[str, InspectorFinding] = {}
    for f in found:
        seen = worst.get(f.vulnerability_id)
        if seen is None or _rank(f) > _rank(seen):
            worst[f.vulnerability_id] = f
    return sorted(worst.values(), key=lambda f: (-_rank(f)[0], -_rank(f)[1], f.vulnerability_id))


def _rank(f: InspectorFinding) -> tuple[int, float]:
    return _SEVERITY_RANK.get(f.severity, 0), f.score if f.score is not None else -1.0


def cve_line(f: InspectorFinding) -> str:
    """`CVE-2024-6387 CRITICAL openssh-server 8.9p1-3ubuntu0.6 → 1:8.9p1-3ubuntu0.10 (exploit available, EPSS 0.42)`"""
    packages = (
        ", ".join(f"{p.name} {p.version} → {p.fixed_in if p.fixed_in else 'no fix yet'}" for p in f.packages)
        or "no package listed"
    )
    notes = [n for n in ("exploit available" if f.exploit_available else "", _epss(f)) if n]
    return f"{f.vulnerability_id} {f.severity} {packages}" + (f" ({', '.join(notes)})" if notes else "")


def _epss(f: InspectorFinding) -> str:
    return f"EPSS {f.epss:g}" if f.epss is not None else ""


def cve_finding(meta: TraitMeta, compute: Compute, image: Image, cves: list[InspectorFinding], what: str) -> Finding:
    """One finding for all the CVEs of a kind on the image: the count and first ids in the message, each CVE
    (id, severity, package, fixed version) in the evidence, most severe first."""
    n = len(cves)
    shown = ", ".join(f.vulnerability_id for f in cves[:3]) + (f" and {n - 3} more" if n > 3 else "")
    message = (
        f"Amazon Inspector reports {n} {what.format(s='s' if n != 1 else '')} on AMI {image.ami_id.value}: {shown}"
    )
    remedy = maintained_image(compute, image, family_of(image), rebuild=True)
    location = image.ami_id.span or image.setting.span
    return Finding(
        meta, compute.resource, owner_of(image.ami_id, compute), location, message, remedy,
        tuple(cve_line(f) for f in cves),
    )  # fmt: skip
