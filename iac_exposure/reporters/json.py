"""The stable JSON output (`schema_version: 1`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import __version__
from ..api import Report, Result
from ..suppressions import Suppressed

SCHEMA_VERSION = 1


def finding_dict(result: Result) -> dict[str, Any]:
    f, patch = result.finding, result.patch
    loc = f.location or f.resource.span
    return {
        "trait": f.trait.id,
        "category": f.trait.category.value,
        "severity": f.trait.severity.value,
        "title": f.trait.title,
        "resource": f.resource.address,
        "resource_type": f.resource.type,
        "source_resource": f.source_resource.address,
        "location": {
            "file": loc.file.display if loc else None,
            "start_line": loc.start_line if loc else None,
            "end_line": loc.end_line if loc else None,
        },
        "message": f.message,
        # only traits that list evidence (the CVEs of an image) carry the key: other findings keep their shape
        **({"evidence": list(f.evidence)} if f.evidence else {}),
        "remediation": patch.title if patch else f.trait.fix_title,
        "patch": patch.diff if patch else None,
        "applicability": patch.applicability.value if patch else None,
        "applicability_reason": patch.reason if patch else None,
    }


def suppressed_dict(s: Suppressed) -> dict[str, Any]:
    rule = s.suppression
    return {
        **finding_dict(Result(s.finding, None)),
        "suppression": {
            "origin": rule.origin,
            "file": rule.file,
            "line": rule.line,
            "reason": rule.reason,
            "until": rule.until.isoformat() if rule.until else None,
        },
    }


def to_dict(report: Report, show_suppressed: bool = False, lazy: bool = False) -> dict[str, Any]:
    results = report.results
    by_severity: dict[str, int] = {}
    for r in results:
        sev = r.finding.trait.severity.value
        by_severity[sev] = by_severity.get(sev, 0) + 1
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "iac-exposure", "version": __version__},
        "findings": _Lazy(finding_dict, results) if lazy else [finding_dict(r) for r in results],
        "exposures": [
            {
                "resource": e.resource,
                "resource_type": e.resource_type,
                "severity": e.severity.value,
                "likelihood": e.likelihood,
                "impact": e.impact,
                "traits": list(e.traits),
                "categories": {category: list(traits) for category, traits in e.categories},
            }
            for e in report.exposures
        ],
        "diagnostics": [
            {"file": d.file, "line": d.line, "kind": d.kind, "message": d.message, "error": d.error}
            for d in report.diagnostics
        ],
        "notices": [{"file": d.file, "line": d.line, "kind": d.kind, "message": d.message} for d in report.notices],
        "stale_baseline": [
            {
                "fingerprint": e.fingerprint,
                "trait": e.trait,
                "resource": e.resource,
                "file": e.file,
                "message": e.message,
            }
            for e in report.stale
        ],
        "summary": {
            "files_scanned": report.files_scanned,
            "findings": len(results),
            "by_severity": dict(sorted(by_severity.items())),
            "exposures": len(report.exposures),
            "diagnostics": len(report.diagnostics),
            "files_not_analysed": sum(1 for d in report.diagnostics if d.error),
            "suppressed": len(report.suppressed),
            "baselined": report.baselined,
            "stale_baseline": len(report.stale),
            "notices": len(report.notices),
        },
    }
    if show_suppressed:
        document["suppressed"] = [suppressed_dict(s) for s in report.suppressed]
    return document


def render(report: Report, show_suppressed: bool = False) -> str:
    return "".join(chunks(report, show_suppressed))


def chunks(report: Report, show_suppressed: bool = False) -> Iterator[str]:
    """The document piece by piece: a finding's dictionary exists only while it is written, so the report
    of a big scan is never held twice (its dictionaries and its text) in memory."""
    document = to_dict(report, show_suppressed, lazy=True)
    yield from json.JSONEncoder(indent=2).iterencode(document)
    yield "\n"


class _Lazy(list):  # type: ignore[type-arg]
    """A list the JSON encoder walks (it accepts list subclasses) whose items are made as it goes."""

    def __init__(self, make: Callable[[Any], Any], items: Sequence[Any]) -> None:
        super().__init__()
        self._make, self._items = make, items

    def __iter__(self) -> Iterator[Any]:
        return map(self._make, self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)
