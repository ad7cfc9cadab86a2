"""A pull-request comment: exposures and findings by severity, then one collapsible section per finding
with its patch."""

from __future__ import annotations

from html import escape

from ..api import Report, Result
from ..findings import Applicability, Severity
from ._common import code_fence, md_code, md_inline, remarks, where

ORDER = (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.LOW)
FIX_LABEL = {
    Applicability.SAFE: "Fix",
    Applicability.UNSAFE: "Unsafe fix",
    Applicability.DISPLAY_ONLY: "Suggestion",
}


def render(report: Report) -> str:
    n, files = len(report.results), report.files_scanned
    out = [f"### iac-exposure: {count(n, 'finding')}, {count(len(report.exposures), 'exposure')}", ""]
    if not report.results and not remarks(report):
        out.append(f"No exposures found in {count(files, 'file')}.")
        return "\n".join(out) + "\n"
    out += _summary(report)
    if report.exposures:
        out += ["", "| Exposure | Severity | Likelihood | Impact | Traits |", "|---|---|---|---|---|"]
        out += [
            f"| {md_code(e.resource)} | **{e.severity.value}** | {e.likelihood} | {e.impact} | "
            f"{', '.join(md_code(t) for t in e.traits)} |"
            for e in report.exposures
        ]
    out += diagnostics(report)
    for result in report.results:
        out += ["", *_details(result)]
    out += ["", f"<sub>{count(files, 'file')} scanned by iac-exposure.</sub>"]
    return "\n".join(out) + "\n"


def diagnostics(report: Report) -> list[str]:
    shown = remarks(report)
    if not shown:
        return []
    return ["", f"**Diagnostics ({len(shown)}):**", ""] + [
        f"- {md_code(d.file + (f':{d.line}' if d.line else ''))} {d.kind}: {md_inline(d.message)}" for d in shown
    ]


def _summary(report: Report) -> list[str]:
    findings = {s: 0 for s in ORDER}
    exposures = {s: 0 for s in ORDER}
    for r in report.results:
        findings[r.finding.trait.severity] += 1
    for e in report.exposures:
        exposures[e.severity] += 1
    rows = [f"| {s.value} | {exposures[s]} | {findings[s]} |" for s in ORDER if exposures[s] or findings[s]]
    return ["| Severity | Exposures | Findings |", "|---|---:|---:|", *rows]


def _details(result: Result) -> list[str]:
    f, patch = result.finding, result.patch
    span = where(f)
    place = f"{span.file.display}:{span.start_line}" if span else f.resource.address
    summary = (
        f"<b>{f.trait.severity.value.upper()}</b> <code>{f.trait.id}</code> "
        f"{escape(f.resource.address)} — <code>{escape(place)}</code>"
    )
    out = ["<details>", f"<summary>{summary}</summary>", "", md_inline(f.message)]
    if f.source_resource is not f.resource:
        out.append(f"(set in {md_code(f.source_resource.address)})")
    if f.evidence:
        out += ["", *(f"- {md_inline(line)}" for line in f.evidence)]
    if patch is not None:
        out += ["", f"**{FIX_LABEL[patch.applicability]}:** {md_inline(patch.title)} — {md_inline(patch.reason)}."]
        if patch.diff:
            out += ["", code_fence(patch.diff, "diff")]
    out += ["", "</details>"]
    return out


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
