"""Read Amazon Inspector v2 findings as `aws inspector2 list-findings` writes them, validated with pydantic.

A file holds one page (`{"findings": [...], "nextToken": ...}`), a list of pages, or several pages written
one after another (paginated output concatenated). Only the fields the vulnerability traits read are
validated, with the types and enumerations of the Inspector API; everything else is ignored. This module
imports pydantic: load it only when findings are given.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .model.inspector import InspectorFinding, InspectorFindings, VulnerablePackage


class InvalidFindings(ValueError):
    """A findings file that cannot be read; the message names the file and the field."""


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _Cvss(_Shape):
    baseScore: float | None = None
    scoringVector: str = Field(min_length=1)


class _AdjustedCvss(_Shape):
    score: float | None = None
    scoringVector: str = Field(min_length=1)


class _ScoreDetails(_Shape):
    adjustedCvss: _AdjustedCvss | None = None


class _Package(_Shape):
    name: str = Field(min_length=1)
    version: str
    epoch: int | None = None
    release: str | None = None
    arch: str | None = None
    fixedInVersion: str | None = None


class _PackageVulnerability(_Shape):
    vulnerabilityId: str = Field(min_length=1)
    vulnerablePackages: list[_Package] = []
    cvss: list[_Cvss] = []


class _Epss(_Shape):
    score: float = Field(ge=0, le=1)


class _Ec2Instance(_Shape):
    imageId: str | None = None
    platform: str | None = None


class _ResourceDetails(_Shape):
    awsEc2Instance: _Ec2Instance | None = None


class _Resource(_Shape):
    type: str = Field(min_length=1)
    id: str = Field(min_length=1)
    details: _ResourceDetails | None = None


class _Finding(_Shape):
    findingArn: str = ""
    type: Literal["PACKAGE_VULNERABILITY", "NETWORK_REACHABILITY", "CODE_VULNERABILITY"]
    status: Literal["ACTIVE", "SUPPRESSED", "CLOSED"]
    severity: Literal["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNTRIAGED"]
    resources: list[_Resource] = Field(min_length=1)
    inspectorScore: float | None = None
    inspectorScoreDetails: _ScoreDetails | None = None
    packageVulnerabilityDetails: _PackageVulnerability | None = None
    exploitAvailable: Literal["YES", "NO"] | None = None
    epss: _Epss | None = None

    @model_validator(mode="after")
    def _package_details(self) -> _Finding:
        if self.type == "PACKAGE_VULNERABILITY" and self.packageVulnerabilityDetails is None:
            raise ValueError("packageVulnerabilityDetails is required for a PACKAGE_VULNERABILITY finding")
        return self


class _Page(_Shape):
    findings: list[_Finding]
    nextToken: str | None = None


def load(paths: Iterable[str]) -> InspectorFindings:
    """Every finding of these files, indexed by AMI id. Raises InvalidFindings."""
    # dicts as ordered sets: the same finding in two files (or pages) counts once
    by_image: dict[str, dict[InspectorFinding, None]] = defaultdict(dict)
    platforms: dict[str, dict[str, None]] = defaultdict(dict)
    for path in paths:
        for finding in _read(path):
            reduced = _reduce(finding)
            for resource in finding.resources:
                ec2 = resource.details.awsEc2Instance if resource.details else None
                if ec2 is None or not ec2.imageId:
                    continue  # a container image or a function: not an AMI
                by_image[ec2.imageId][reduced] = None
                if ec2.platform:
                    platforms[ec2.imageId][ec2.platform] = None
    return InspectorFindings(
        {ami: tuple(found) for ami, found in by_image.items()}, {ami: tuple(p) for ami, p in platforms.items()}
    )


def _read(path: str) -> Iterator[_Finding]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidFindings(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidFindings(f"{path}: cannot read: {exc}") from None
    documents = list(_documents(path, text))
    if not documents:
        raise InvalidFindings(f"{path}: empty; expected the JSON output of `aws inspector2 list-findings`")
    for n, document in enumerate(documents):
        pages = document if isinstance(document, list) else [document]
        for i, page in enumerate(pages):
            where = (f"[{n}]" if len(documents) > 1 else "") + (f"[{i}]" if isinstance(document, list) else "")
            try:
                yield from _Page.model_validate(page).findings
            except ValidationError as exc:
                raise InvalidFindings(f"{path}: not an Amazon Inspector list-findings page: {_first(exc, where)}")


def _documents(path: str, text: str) -> Iterator[Any]:
    """The JSON values of a file, one after another (pages written in sequence)."""
    decoder = json.JSONDecoder()
    pos = 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            return
        try:
            document, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise InvalidFindings(f"{path}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise InvalidFindings(f"{path}: JSON nested too deeply") from None
        yield document


def _first(exc: ValidationError, where: str) -> str:
    """The first error as `findings[3].status: Input should be 'ACTIVE', 'SUPPRESSED' or 'CLOSED'`."""
    errors = exc.errors(include_url=False)
    error = errors[0]
    field = where
    for part in error["loc"]:
        field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else str(part))
    more = f" (and {len(errors) - 1} more error{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    got = error.get("input")
    shown = f" (got {json.dumps(got)})" if isinstance(got, (str, int, float)) and error["type"] != "missing" else ""
    return f"{field or 'top level'}: {error['msg']}{shown}{more}"


def _reduce(finding: _Finding) -> InspectorFinding:
    details = finding.packageVulnerabilityDetails
    adjusted = finding.inspectorScoreDetails.adjustedCvss if finding.inspectorScoreDetails else None
    cvss = details.cvss if details else []
    # the vector Inspector scored with decides; without one, any vector the sources list
    vectors = (adjusted.scoringVector,) if adjusted else tuple(c.scoringVector for c in cvss)
    bases = [c.baseScore for c in cvss if c.baseScore is not None]
    score = finding.inspectorScore if finding.inspectorScore is not None else max(bases, default=None)
    return InspectorFinding(
        arn=finding.findingArn,
        type=finding.type,
        status=finding.status,
        severity=finding.severity,
        vulnerability_id=details.vulnerabilityId if details else "",
        score=score,
        vectors=vectors,
        exploit_available=finding.exploitAvailable == "YES",
        epss=finding.epss.score if finding.epss else None,
        packages=tuple(_package(p) for p in (details.vulnerablePackages if details else [])),
    )


def _package(package: _Package) -> VulnerablePackage:
    version = package.version
    if package.release:
        version = f"{version}-{package.release}"
    if package.epoch:
        version = f"{package.epoch}:{version}"
    fixed = package.fixedInVersion
    return VulnerablePackage(
        package.name, version, None if fixed in (None, "", "NotAvailable") else fixed, package.arch
    )
