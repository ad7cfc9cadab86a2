"""GitLab Code Quality report (a JSON array of Code Climate issues), shown in merge-request widgets."""

from __future__ import annotations

import json
from typing import Any

from ..api import Report, Result
from ..diagnostics import Diagnostic
from ..findings import Severity
from ._common import code_fence, digest, fingerprint, remarks, where

_SEVERITY = {Severity.CRITICAL: "blocker", Severity.HIGH: "critical", Severity.MEDIUM: "major", Severity.LOW: "minor"}


def render(report: Report) -> str:
    issues = [_issue(r) for r in report.results] + [_diagnostic(d) for d in remarks(report)]
    return json.dumps(issues, indent=2) + "\n"


def _issue(result: Result) -> dict[str, Any]:
    f, patch = result.finding, result.patch
    span = where(f)
    body = f"**{f.trait.title}** ({f.trait.id}) on `{f.resource.address}`."
    if f.evidence:
        body += "\n\n" + "\n".join(f"- {line}" for line in f.evidence)
    if patch is not None:
        body += f"\n\n{patch.applicability.value} fix: {patch.title} ({patch.reason})."
        if patch.diff:
            body += "\n\n" + code_fence(patch.diff, "diff")
    return {
        "type": "issue",
        "check_name": f.trait.id,
        "description": f"{f.message} ({f.resource.address})",
        "content": {"body": body},
        "categories": ["Security"],
        "severity": _SEVERITY[f.trait.severity],
        "fingerprint": fingerprint(f),
        "location": {
            "path": span.file.display if span else f.resource.address,
            "lines": {"begin": span.start_line if span else 1, "end": span.end_line if span else 1},
        },
    }


def _diagnostic(d: Diagnostic) -> dict[str, Any]:
    return {
        "type": "issue",
        "check_name": d.kind,
        "description": f"{d.file} was not analysed: {d.message}" if d.error else f"{d.file}: {d.message}",
        "categories": ["Bug Risk"],
        "severity": "major" if d.error else "info",
        "fingerprint": digest(d.kind, d.file, d.message),
        "location": {"path": d.file, "lines": {"begin": d.line or 1}},
    }
