"""Edits on a file's text: apply many in one pass, render unified diffs for `git apply`."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from .._records import record
from ..source import SourceFile


@record
class Edit:
    file: SourceFile
    start: int
    end: int
    text: str

    def overlaps(self, other: Edit) -> bool:
        # an insertion (start == end) clashes only with a replacement strictly around its point
        return self.file is other.file and self.start < other.end and other.start < self.end


def select(edits: list[Edit]) -> tuple[list[Edit], list[Edit]]:
    """(accepted in text order, skipped): identical edits count once; one overlapping an earlier is skipped."""
    unique = sorted(set(edits), key=lambda e: (e.start, e.end, e.text))
    accepted: list[Edit] = []
    skipped: list[Edit] = []
    reach = -1  # the furthest end of any accepted edit: nothing starting at or after it can overlap
    for edit in unique:
        if edit.start < reach and any(edit.overlaps(done) for done in accepted):
            skipped.append(edit)
        else:
            accepted.append(edit)
            reach = max(reach, edit.end)
    return accepted, skipped


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """Apply edits of one file in one pass. Identical edits count once; overlapping ones are skipped.

    Returns the new text and the edits that were skipped.
    """
    accepted, skipped = select(edits)
    out: list[str] = []
    pos = 0
    for edit in sorted(accepted, key=lambda e: (e.start, e.end)):
        out.append(text[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(text[pos:])
    return "".join(out), skipped


def _lines(text: str) -> list[str]:
    """Lines as git sees them: split at LF only (str.splitlines also splits at \\f, U+2028, …)."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


@record(frozen=False)
class _Region:
    first: int  # the first old line it replaces (0-based)
    end: int  # the line after the last one (exclusive); first == end: lines are only added
    edits: list[Edit]


def edits_diff(file: SourceFile, edits: list[Edit], context: int = 3) -> str:
    """The unified diff of applying `edits` to `file`, built from the edits' own positions.

    Diffing whole texts (difflib) costs seconds to minutes on a multi-megabyte file, once per finding;
    the edits already say what changed, so only the lines they touch are looked at.
    """
    text = file.text
    # an edit that rewrites text as it was would make a hunk of context alone, which git rejects
    accepted = [e for e in select(edits)[0] if e.text != text[e.start : e.end]]
    if not accepted:
        return ""
    starts = file.line_starts()
    if starts[-1] != len(text):
        starts = [*starts, len(text)]  # the end of the last line
    regions: list[_Region] = []
    for edit in accepted:
        first, end = _line_range(text, starts, edit)
        if regions and first < regions[-1].end:
            regions[-1].end = max(end, regions[-1].end)
            regions[-1].edits.append(edit)
        else:
            regions.append(_Region(first, end, [edit]))
    total = len(starts) - 1
    out = [f"--- a/{file.display}\n", f"+++ b/{file.display}\n"]
    delta, i = 0, 0
    while i < len(regions):
        j = i  # regions whose contexts touch form one hunk
        while j + 1 < len(regions) and regions[j + 1].first - regions[j].end <= 2 * context:
            j += 1
        lo, hi = max(0, regions[i].first - context), min(total, regions[j].end + context)
        body: list[str] = []
        old_count = new_count = 0
        cursor = lo
        for region in regions[i : j + 1]:
            body.extend(" " + text[starts[n] : starts[n + 1]] for n in range(cursor, region.first))
            old_part = text[starts[region.first] : starts[region.end]]
            old_lines = _lines(old_part)
            new_lines = _lines(_apply(old_part, starts[region.first], region.edits))
            body.extend("-" + line for line in old_lines)
            body.extend("+" + line for line in new_lines)
            old_count += region.first - cursor + len(old_lines)
            new_count += region.first - cursor + len(new_lines)
            cursor = region.end
        body.extend(" " + text[starts[n] : starts[n + 1]] for n in range(cursor, hi))
        old_count += hi - cursor
        new_count += hi - cursor
        old_start = lo + 1 if old_count else lo
        new_start = lo + delta + 1 if new_count else lo + delta
        out.append(f"@@ -{old_start},{old_count} +{new_start},{new_count} @@\n")
        out.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in body)
        delta += new_count - old_count
        i = j + 1
    return "".join(out)


def _line_range(text: str, starts: Sequence[int], edit: Edit) -> tuple[int, int]:
    """The old lines [first, end) an edit rewrites."""
    total = len(starts) - 1
    first = bisect.bisect_right(starts, edit.start) - 1
    if first >= total:  # at the very end: after a final newline nothing is rewritten
        return (total, total) if not text or text.endswith("\n") else (total - 1, total)
    if edit.start == edit.end:
        whole_lines = starts[first] == edit.start and edit.text.endswith("\n")
        return (first, first) if whole_lines else (first, first + 1)
    end = bisect.bisect_right(starts, edit.end - 1)
    if end < total and starts[end] == edit.end and edit.text and not edit.text.endswith("\n"):
        end += 1  # the new text runs on into the next line
    return first, end


def _apply(part: str, offset: int, group: list[Edit]) -> str:
    out: list[str] = []
    pos = 0
    for edit in group:
        out.append(part[pos : edit.start - offset])
        out.append(edit.text)
        pos = edit.end - offset
    out.append(part[pos:])
    return "".join(out)
