"""Source files and spans. Positions are character offsets; lines are computed only when rendering."""

from __future__ import annotations

import bisect
import codecs
from array import array
from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path

from ._records import field, record


@record(frozen=False, eq=False)
class SourceFile:
    """One input file: its path (as the user names it) and its text."""

    path: Path
    text: str
    format: str = ""  # which writer patches it: "hcl", "cfn-yaml", "cfn-json", "json"
    encoding: str = "utf-8"  # as read, so a fix writes it back the same: "utf-8-sig", "utf-16-le", …
    _line_starts: Sequence[int] = field(default=(), repr=False)

    @property
    def display(self) -> str:
        return self.path.as_posix()

    def line_starts(self) -> Sequence[int]:
        """Where each line starts (lines split at LF only), computed once per file. An array: a report of
        thousands of files keeps them all, at 8 bytes a line instead of a list's 36."""
        if not self._line_starts:
            lines = self.text.split("\n")[:-1]  # each line's length, its LF left out
            self._line_starts = array("q", accumulate(map((1).__add__, map(len, lines)), initial=0))
        return self._line_starts

    def line_of(self, offset: int) -> int:
        """1-based line of a character offset."""
        return bisect.bisect_right(self.line_starts(), offset)

    def line_start(self, offset: int) -> int:
        """Offset of the first character of the line holding `offset`."""
        return self.text.rfind("\n", 0, offset) + 1

    def indent_at(self, offset: int) -> str:
        """The leading whitespace of the line holding `offset`."""
        start = self.line_start(offset)
        end = start
        while end < len(self.text) and self.text[end] in " \t":
            end += 1
        return self.text[start:end]


_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode(data: bytes) -> tuple[str, str]:
    """Text and encoding of a file: UTF-8, or any UTF with a byte-order mark. Raises UnicodeDecodeError."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            if encoding == "utf-8-sig":
                return data.decode(encoding), encoding
            return data[len(bom) :].decode(encoding), encoding
    return data.decode("utf-8"), "utf-8"


def encode(text: str, encoding: str) -> bytes:
    """The inverse of `decode`: the same encoding and byte-order mark."""
    for bom, name in _BOMS:
        if name == encoding and encoding != "utf-8-sig":
            return bom + text.encode(encoding)
    return text.encode(encoding)


@record
class Span:
    """A half-open range of characters [start, end) in one file."""

    file: SourceFile
    start: int
    end: int

    @property
    def start_line(self) -> int:
        return self.file.line_of(self.start)

    @property
    def end_line(self) -> int:
        # the last character of the span, not the position after it
        return self.file.line_of(max(self.start, self.end - 1))

    @property
    def text(self) -> str:
        return self.file.text[self.start : self.end]
