"""Text for people: the exposures, most severe first; then the findings grouped by file (`file:line`, trait,
message, the path as evidence, and the patch under it)."""

from __future__ import annotations

from collections.abc import Iterator

from ..api import Report
from ..findings import Applicability, Finding, Severity
from ..results import by_file

_COLOURS = {
    Severity.CRITICAL: "\033[1;31m",
    Severity.HIGH: "\033[31m",
    Severity.MEDIUM: "\033[33m",
    Severity.LOW: "\033[36m",
}
_RESET, _BOLD, _DIM, _GREEN, _RED, _CYAN = "\033[0m", "\033[1m", "\033[2m", "\033[32m", "\033[31m", "\033[36m"
_YELLOW = "\033[33m"


def _where(f: Finding) -> str:
    span = f.location or f.resource.span
    return f"{span.file.display}:{span.start_line}" if span else "<unknown>"


def render(report: Report, colour: bool = False, show_patches: bool = True, show_suppressed: bool = False) -> str:
    return "".join(chunks(report, colour, show_patches, show_suppressed))


def chunks(
    report: Report, colour: bool = False, show_patches: bool = True, show_suppressed: bool = False
) -> Iterator[str]:
    """The text piece by piece (a file's findings at a time), so a big report is never held whole."""

    def c(code: str, text: str) -> str:
        return f"{code}{text}{_RESET}" if colour else text

    out: list[str] = []
    if report.exposures:
        out.append(c(_BOLD, "Exposures, most severe first"))
        for e in report.exposures:
            out.append(
                f"  {c(_COLOURS[e.severity], e.severity.value.upper())}  {c(_BOLD, e.resource)}  "
                f"(likelihood {e.likelihood}, impact {e.impact})"
            )
            out.append("    " + "; ".join(f"{category}: {', '.join(traits)}" for category, traits in e.categories))
        out.append("")
    for file, results in by_file(report.results):
        out.append(c(_BOLD, file))
        for result in results:
            f = result.finding
            sev = f.trait.severity
            out.append(
                f"  {_where(f)}  {c(_COLOURS[sev], sev.value.upper())}  {c(_BOLD, f.trait.id)}  {f.resource.address}"
            )
            out.append(f"    {f.message}")
            out.extend(f"      - {line}" for line in f.evidence)
            patch = result.patch
            if patch is None or not show_patches:
                continue
            label = {
                Applicability.SAFE: "fix",
                Applicability.UNSAFE: "unsafe fix",
                Applicability.DISPLAY_ONLY: "suggestion",
            }[patch.applicability]
            out.append(c(_DIM, f"    {label}: {patch.title} ({patch.reason})"))
            for diff_line in (patch.diff or "").splitlines():
                if diff_line.startswith(("+++", "---")):
                    styled = c(_BOLD, diff_line)
                elif diff_line.startswith("+"):
                    styled = c(_GREEN, diff_line)
                elif diff_line.startswith("-"):
                    styled = c(_RED, diff_line)
                elif diff_line.startswith("@@"):
                    styled = c(_CYAN, diff_line)
                else:
                    styled = diff_line
                out.append(f"      {styled}")
        out.append("")
        yield "\n".join(out) + "\n"
        out.clear()
    for d in report.diagnostics:
        where = f"{d.file}:{d.line}" if d.line else d.file
        out.append(f"{where}: {c(_RED if d.error else _DIM, d.kind)}: {d.message}")
    for d in report.notices:
        where = f"{d.file}:{d.line}" if d.line else d.file
        out.append(f"{where}: {c(_YELLOW, d.kind)}: {d.message}")
    if report.diagnostics or report.notices:
        out.append("")
    if show_suppressed and report.suppressed:
        out.append(c(_BOLD, "Suppressed"))
        for s in report.suppressed:
            f, rule = s.finding, s.suppression
            until = f" until {rule.until.isoformat()}" if rule.until else ""
            out.append(f"  {_where(f)}  {f.trait.id}  {f.resource.address}")
            out.append(f"    {f.message}")
            out.append(c(_DIM, f"    by {rule.where}{until}: {rule.reason or '(no reason given)'}"))
        out.append("")
    if report.stale:
        out.append(c(_BOLD, "Stale baseline entries") + " (no longer found; refresh with --write-baseline)")
        for entry in report.stale:
            out.append(f"  {entry.file}  {entry.trait}  {entry.resource}: {entry.message}")
        out.append("")
    n = len(report.results)
    summary = (
        f"{n} finding{'s' if n != 1 else ''} in {report.files_scanned} file{'s' if report.files_scanned != 1 else ''}"
    )
    not_analysed = sum(1 for d in report.diagnostics if d.error)
    if not_analysed:
        summary += f", {not_analysed} file(s) not analysed"
    hidden = [f"{len(report.suppressed)} suppressed"] if report.suppressed else []
    if report.baselined:
        hidden.append(f"{report.baselined} in the baseline")
    if hidden:
        summary += f" ({', '.join(hidden)})"
    out.append(c(_BOLD, summary))
    yield "\n".join(out) + "\n"
