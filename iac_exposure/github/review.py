"""One pull-request review from a scan: inline ```suggestion comments where a patch can be applied in
place, a summary table in the review body for everything else.

A finding gets an inline suggestion when its patch is applicable (safe or unsafe), all its edits are in
one file of the pull request, the finding or its edits touch a line the pull request changes, and the
lines the edits cover lie inside one hunk of the diff (GitHub accepts review comments only there).
Findings whose suggestions would cover overlapping lines share one comment with one suggestion, so
applying it never conflicts with another. Everything else goes in the body: findings outside the
changed lines, display-only suggestions, patches spanning several files or places outside the diff.
"""

from __future__ import annotations

import re
from typing import Any

from .._records import field, record
from ..api import Report, Result
from ..findings import Applicability
from ..patches.edits import Edit, apply_edits
from ..patches.render import combined_diff
from ..reporters._common import (
    code_fence,
    digest,
    fingerprint,
    first_paragraph,
    md_code,
    md_inline,
    remarks,
    trait_sections,
)
from ..reporters._common import where as location_of
from ..reporters.markdown import FIX_LABEL, ORDER, count, diagnostics
from ..source import SourceFile
from .diff import FileDiff

MARKER = "<!-- iac-exposure:review -->"
SUPERSEDED = "<!-- iac-exposure:superseded -->"
COMMENT_MARK = "<!-- iac-exposure:comment {key} -->"
COMMENT_KEY = re.compile(re.escape(COMMENT_MARK).replace(re.escape("{key}"), "([0-9a-f]+)"))
BODY_LIMIT = 60_000  # GitHub refuses bodies over 65,536 characters


@record
class Comment:
    path: str
    first: int  # first and last line replaced by the suggestion (new side)
    last: int
    body: str
    key: str  # identifies the same suggestion for the same findings across runs

    def payload(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "line": self.last, "side": "RIGHT", "body": self.body}
        if self.first < self.last:
            out.update(start_line=self.first, start_side="RIGHT")
        return out


@record
class Review:
    body: str
    comments: tuple[Comment, ...]
    inline: tuple[Result, ...]  # findings fixed by the inline suggestions
    listed: tuple[Result, ...]  # findings in the body
    diagnostics: int  # changed files not analysed or left out, and suppressions that do not hold

    @property
    def empty(self) -> bool:
        return not self.inline and not self.listed and not self.diagnostics


@record(frozen=False)
class _Suggestion:
    file: SourceFile
    start: int  # offsets of the whole lines the edits cover: [start, end)
    end: int
    results: list[Result] = field(default_factory=list)
    edits: list[Edit] = field(default_factory=list)

    @property
    def lines(self) -> tuple[int, int]:
        return self.file.line_of(self.start), self.file.line_of(self.end - 1)


def build_review(report: Report, diffs: dict[str, FileDiff]) -> Review:
    candidates: list[_Suggestion] = []
    listed: list[Result] = []
    for result in report.results:
        candidate = _candidate(result, diffs)
        if candidate is None:
            listed.append(result)
        else:
            candidates.append(candidate)
    comments: list[Comment] = []
    inline: list[Result] = []
    for group in _merge(candidates):
        first, last = group.lines
        if not diffs[group.file.display].hunk_holding(first, last):
            listed.extend(group.results)
            continue
        content, fixed = _replacement(group)
        listed.extend(r for r in group.results if r not in fixed)
        if fixed:
            comments.append(_comment(group, first, last, content, fixed))
            inline.extend(fixed)
    listed.sort(key=lambda r: r.finding.sort_key)
    body = _body(report, comments, inline, listed)
    return Review(body, tuple(comments), tuple(inline), tuple(listed), len(remarks(report)))


def _candidate(result: Result, diffs: dict[str, FileDiff]) -> _Suggestion | None:
    patch = result.patch
    if patch is None or patch.applicability is Applicability.DISPLAY_ONLY or not patch.edits:
        return None
    files = {edit.file for edit in patch.edits}
    if len(files) != 1:
        return None  # a suggestion rewrites lines of one file; applying part of a patch would break the code
    file = files.pop()
    diff = diffs.get(file.display)
    if diff is None or not file.text:
        return None
    start = min(_first_char(edit) for edit in patch.edits)
    end = max(_last_char(edit) for edit in patch.edits)
    suggestion = _Suggestion(file, file.line_start(start), _line_end(file.text, end), [result], list(patch.edits))
    span = location_of(result.finding)
    where_diff = diffs.get(span.file.display) if span else None
    changed = diff.touches(*suggestion.lines) or (
        span is not None and where_diff is not None and where_diff.touches(span.start_line, span.end_line)
    )
    return suggestion if changed else None


def _first_char(edit: Edit) -> int:
    """The first character of the lines an edit changes (an insertion at the very end joins the last line)."""
    return edit.start - 1 if edit.start == len(edit.file.text) else edit.start


def _last_char(edit: Edit) -> int:
    """The last character of the lines an edit changes: an insertion changes the line it is put into."""
    if edit.end > edit.start:
        return edit.end - 1
    return _first_char(edit)


def _line_end(text: str, offset: int) -> int:
    """The offset after the newline ending the line that holds `offset` (or the end of the text)."""
    newline = text.find("\n", offset)
    return len(text) if newline == -1 else newline + 1


def _merge(candidates: list[_Suggestion]) -> list[_Suggestion]:
    """Suggestions on overlapping lines of a file become one (they could not both be applied)."""
    merged: list[_Suggestion] = []
    for cand in sorted(candidates, key=lambda c: (c.file.display, c.start, c.end)):
        last = merged[-1] if merged else None
        if last is not None and last.file is cand.file and cand.start < last.end:
            last.end = max(last.end, cand.end)
            last.results += cand.results
            last.edits += cand.edits
        else:
            merged.append(cand)
    return merged


def _replacement(group: _Suggestion) -> tuple[str, list[Result]]:
    """The new text of the group's whole lines (the suggestion block's lines), and the findings it fixes
    (edits that clash are left out, and the findings they belong to with them)."""
    old = group.file.text[group.start : group.end]
    shifted = [Edit(e.file, e.start - group.start, e.end - group.start, e.text) for e in group.edits]
    new, skipped = apply_edits(old, shifted)
    clashed = {(e.start + group.start, e.end + group.start, e.text) for e in skipped}
    fixed = [
        r for r in group.results if r.patch and not any((e.start, e.end, e.text) in clashed for e in r.patch.edits)
    ]
    return new, fixed


def _comment(group: _Suggestion, first: int, last: int, content: str, fixed: list[Result]) -> Comment:
    path = group.file.display
    key = digest(path, content, *sorted(fingerprint(r.finding) for r in fixed))
    lines = [COMMENT_MARK.format(key=key), f"**iac-exposure** · {count(len(fixed), 'finding')} here:", ""]
    for r in fixed:
        f = r.finding
        lines.append(
            f"- **{f.trait.severity.value.upper()}** {md_code(f.trait.id)} on {md_code(f.resource.address)}: "
            f"{md_inline(f.message)}"
        )
    for trait_id in dict.fromkeys(r.finding.trait.id for r in fixed):
        why = first_paragraph(trait_sections(trait_id).get("Why is this bad?", ""))
        lines += ["", f"> {md_code(trait_id)}: {md_inline(why)}"]
    lines.append("")
    for patch in dict.fromkeys((r.patch.applicability, r.patch.title, r.patch.reason) for r in fixed if r.patch):
        applicability, title, reason = patch
        lines.append(f"- **{FIX_LABEL[applicability]}:** {md_inline(title)} — {md_inline(reason)}.")
    lines += ["", code_fence(content, "suggestion")]
    return Comment(path, first, last, "\n".join(lines), key)


def _body(report: Report, comments: list[Comment], inline: list[Result], listed: list[Result]) -> str:
    def build(with_patch: bool, rows: int) -> str:
        total = len(inline) + len(listed)
        if total == 0:
            head = [MARKER, "### iac-exposure: no exposures in the changed files", ""]
            return "\n".join([*head, f"{count(report.files_scanned, 'file')} checked.", *diagnostics(report)]) + "\n"
        out = [MARKER, f"### iac-exposure: {count(total, 'finding')} in the changed files", ""]
        by_severity = {s: 0 for s in ORDER}
        for r in (*inline, *listed):
            by_severity[r.finding.trait.severity] += 1
        out.append(" · ".join(f"**{n}** {s.value}" for s, n in by_severity.items() if n))
        out.append("")
        if inline:
            out.append(
                f"{count(len(inline), 'finding')} with a suggested change inline ({count(len(comments), 'comment')})."
            )
        if listed:
            out += [*_table(listed[:rows]), *_more(len(listed) - rows)]
            if with_patch:
                out += _listed_patch(listed)
        out += diagnostics(report)
        return "\n".join(out) + "\n"

    body = build(with_patch=True, rows=len(listed))
    if len(body) > BODY_LIMIT:
        body = build(with_patch=False, rows=len(listed))
    rows = len(listed)
    while len(body) > BODY_LIMIT and rows > 0:
        rows //= 2
        body = build(with_patch=False, rows=rows)
    return body


def _table(results: list[Result]) -> list[str]:
    out = ["", "| Severity | Trait | Resource | Where | Finding | Fix |", "|---|---|---|---|---|---|"]
    for r in results:
        f, patch = r.finding, r.patch
        span = location_of(f)
        place = md_code(f"{span.file.display}:{span.start_line}") if span else ""
        fix = f"{patch.applicability.value}: {md_inline(patch.title)}" if patch else ""
        finding = "<br>".join([md_inline(f.message), *(f"· {md_inline(line)}" for line in f.evidence)])
        out.append(
            f"| {f.trait.severity.value} | {md_code(f.trait.id)} | {md_code(f.resource.address)} | {place} | "
            f"{finding} | {fix} |"
        )
    return out


def _more(hidden: int) -> list[str]:
    if hidden <= 0:
        return []
    return ["", f"…and {count(hidden, 'more finding')}: run `iac-exposure scan` on the changed files to see them all."]


def _listed_patch(listed: list[Result]) -> list[str]:
    edits = [
        e for r in listed if r.patch and r.patch.applicability is not Applicability.DISPLAY_ONLY for e in r.patch.edits
    ]
    diff = combined_diff(edits)
    if not diff:
        return []
    return [
        "",
        "<details><summary>The patches for the findings above, as one diff (<code>git apply</code>)</summary>",
        "",
        code_fence(diff, "diff"),
        "",
        "</details>",
    ]
