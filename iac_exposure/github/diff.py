"""The lines a pull request changes, from the `patch` hunks GitHub lists for each file."""

from __future__ import annotations

import re

from .._records import record

_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


@record
class FileDiff:
    """One file of the pull request, on the new (RIGHT) side."""

    path: str
    added: frozenset[int]  # lines the pull request adds or changes
    hunks: tuple[tuple[int, int], ...]  # first and last line of each hunk: where review comments may go

    def hunk_holding(self, first: int, last: int) -> bool:
        """GitHub accepts a (multi-line) review comment only inside one hunk."""
        return any(start <= first and last <= end for start, end in self.hunks)

    def touches(self, first: int, last: int) -> bool:
        return any(line in self.added for line in range(first, last + 1))


def parse_patch(path: str, patch: str | None) -> FileDiff:
    """Added lines and hunk ranges of a unified-diff body (GitHub's `patch` field has no file headers).

    A file without a patch (binary, or too large for GitHub to show) has no lines to comment on.
    """
    added: set[int] = set()
    hunks: list[tuple[int, int]] = []
    line = 0
    for text in (patch or "").splitlines():
        header = _HUNK.match(text)
        if header:
            line = int(header.group(1))
            length = int(header.group(2) or 1)
            if length:
                hunks.append((line, line + length - 1))
        elif text.startswith("+"):
            added.add(line)
            line += 1
        elif text.startswith(" ") or text == "":
            line += 1  # context (an empty line is a context line whose trailing space was stripped)
        # "-" lines exist only on the old side; "\ No newline at end of file" is not a line
    return FileDiff(path, frozenset(added), tuple(hunks))
