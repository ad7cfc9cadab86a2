"""SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others): rules from the trait docs,
results with stable fingerprints, and `fixes` built from the edits of applicable (safe or unsafe) patches;
display-only suggestions are never offered as fixes a tool could apply.

Columns count characters (`columnKind: unicodeCodePoints`), as the edits do.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import __version__
from ..api import Report, Result
from ..diagnostics import Diagnostic
from ..findings import Applicability, Severity, TraitMeta
from ..patches.edits import Edit
from ..source import SourceFile, Span
from ._common import fingerprint, first_paragraph, position, remarks, trait_sections, where

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "iacExposure/v1"
_LEVEL = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning", Severity.LOW: "note"}
# GitHub code scanning ranks alerts by this CVSS-like score: critical > 9.0, high 7.0–8.9, medium 4.0–6.9
_SECURITY_SEVERITY = {Severity.CRITICAL: "9.5", Severity.HIGH: "8.0", Severity.MEDIUM: "5.5", Severity.LOW: "3.0"}


def render(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2) + "\n"


def to_dict(report: Report) -> dict[str, Any]:
    from ..traits import TRAITS

    metas: list[TraitMeta] = [module.META for module in TRAITS]
    index = {meta.id: i for i, meta in enumerate(metas)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iac-exposure",
                "version": __version__,
                "rules": [_rule(meta) for meta in metas],
            }
        },
        "invocations": [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [_notification(d) for d in remarks(report)],
            }
        ],
        "columnKind": "unicodeCodePoints",
        "results": [_result(r, index) for r in report.results],
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(meta: TraitMeta) -> dict[str, Any]:
    sections = trait_sections(meta.id)
    help_md = "\n\n".join(f"## {heading}\n{text}" for heading, text in sections.items())
    return {
        "id": meta.id,
        "name": "".join(part.capitalize() for part in meta.id.split("-")),
        "shortDescription": {"text": meta.title},
        "fullDescription": {"text": first_paragraph(sections.get("What it flags", meta.title))},
        "help": {"text": help_md, "markdown": help_md},
        "defaultConfiguration": {"level": _LEVEL[meta.severity]},
        "properties": {
            "tags": ["security", meta.category.value],
            "security-severity": _SECURITY_SEVERITY[meta.severity],
            "precision": "high",
        },
    }


def _result(result: Result, index: dict[str, int]) -> dict[str, Any]:
    f, patch = result.finding, result.patch
    out: dict[str, Any] = {
        "ruleId": f.trait.id,
        "ruleIndex": index[f.trait.id],
        "level": _LEVEL[f.trait.severity],
        "message": {"text": "\n".join([f.message, *(f"- {line}" for line in f.evidence)])},
        "locations": [_location(where(f), f.resource.address)],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint(f)},
        "properties": {
            "severity": f.trait.severity.value,
            "category": f.trait.category.value,
            "resource": f.resource.address,
            "resourceType": f.resource.type,
            "sourceResource": f.source_resource.address,
            **({"evidence": list(f.evidence)} if f.evidence else {}),
        },
    }
    if f.source_resource is not f.resource and f.source_resource.span is not None:
        out["relatedLocations"] = [
            {**_location(f.source_resource.span, f.source_resource.address), "id": 1,
             "message": {"text": f"{f.source_resource.address}, where the setting is written"}}
        ]  # fmt: skip
    if patch is not None:
        out["properties"]["applicability"] = patch.applicability.value
        if patch.edits and patch.applicability is not Applicability.DISPLAY_ONLY:  # never to be applied as is
            out["fixes"] = [
                {
                    "description": {"text": f"{patch.title} ({patch.applicability.value}: {patch.reason})"},
                    "artifactChanges": _artifact_changes(patch.edits),
                }
            ]
    return out


def _location(span: Span | None, resource: str) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [{"fullyQualifiedName": resource, "kind": "resource"}]}
    if span is not None:
        location["physicalLocation"] = {"artifactLocation": _artifact(span.file.display), "region": _region(span)}
    return location


def _artifact(display: str) -> dict[str, Any]:
    path = Path(display)
    if path.is_absolute():
        return {"uri": path.as_uri()}
    return {"uri": quote(display), "uriBaseId": "%SRCROOT%"}


def _region(span: Span) -> dict[str, int]:
    start_line, start_col = position(span.file, span.start)
    end_line, end_col = position(span.file, span.end)
    return {"startLine": start_line, "startColumn": start_col, "endLine": end_line, "endColumn": end_col}


def _artifact_changes(edits: tuple[Edit, ...]) -> list[dict[str, Any]]:
    by_file: dict[SourceFile, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_file[edit.file].append(edit)
    return [
        {
            "artifactLocation": _artifact(file.display),
            "replacements": [
                {
                    "deletedRegion": _region(Span(file, edit.start, edit.end)),
                    "insertedContent": {"text": edit.text},
                }
                for edit in sorted(set(by_file[file]), key=lambda e: (e.start, e.end, e.text))
            ],
        }
        for file in sorted(by_file, key=lambda f: f.display)
    ]


def _notification(diagnostic: Diagnostic) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(diagnostic.file)}
    if diagnostic.line:
        physical["region"] = {"startLine": diagnostic.line}
    return {
        "level": "error" if diagnostic.error else "note",
        "message": {"text": f"{diagnostic.kind}: {diagnostic.message}"},
        "locations": [{"physicalLocation": physical}],
        "descriptor": {"id": diagnostic.kind},
    }
