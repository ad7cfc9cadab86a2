"""Edits on a file's text: apply many in one pass, render unified diffs for `git apply`."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from ..source import SourceFile


@dataclass(frozen=True, slots=True)
class Edit:
    file: SourceFile
    start: int
    end: int
    text: str

    def overlaps(self, other: Edit) -> bool:
        # an insertion (start == end) clashes only with a replacement strictly around its point
        return self.file is other.file and self.start < other.end and other.start < self.end


def apply_edits(text: str, edits: list[Edit]) -> tuple[str, list[Edit]]:
    """Apply edits of one file in one pass. Identical edits count once; overlapping ones are skipped.

    Returns the new text and the edits that were skipped.
    """
    unique = sorted(set(edits), key=lambda e: (e.start, e.end, e.text))
    accepted: list[Edit] = []
    skipped: list[Edit] = []
    for edit in unique:
        if any(edit.overlaps(done) for done in accepted):
            skipped.append(edit)
        else:
            accepted.append(edit)
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


def unified_diff(path: str, old: str, new: str) -> str:
    """A unified diff with `a/` and `b/` headers, as `git apply` takes it from the working directory."""
    if old == new:
        return ""
    lines = difflib.unified_diff(_lines(old), _lines(new), f"a/{path}", f"b/{path}", n=3)
    out = []
    for line in lines:
        if not line.endswith("\n"):
            line += "\n\\ No newline at end of file\n"
        out.append(line)
    return "".join(out)
