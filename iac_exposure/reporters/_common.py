"""What the CI and pull-request reporters share: where a finding is, a stable fingerprint, trait docs."""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic
from ..findings import Finding
from ..source import SourceFile, Span

if TYPE_CHECKING:
    from ..api import Report

_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)
_MD_SPECIAL = re.compile(r"[\\`*_\[\]<>|]")


def where(finding: Finding) -> Span | None:
    """Where a finding is shown: the offending setting, else the resource."""
    return finding.location or finding.resource.span


def remarks(report: Report) -> list[Diagnostic]:
    """What the CI formats show besides findings: files not analysed, then suppressions that do not hold."""
    return [*report.diagnostics, *report.notices]


def position(file: SourceFile, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of an offset."""
    return file.line_of(offset), offset - file.line_start(offset) + 1


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves: the trait, the resources, the file and the message (which states
    the offending value), never a line number."""
    span = where(finding)
    return digest(
        finding.trait.id,
        finding.resource.address,
        finding.source_resource.address,
        span.file.display if span else "",
        finding.message,
    )


def digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


@cache
def trait_sections(trait_id: str) -> dict[str, str]:
    """A trait docstring's sections by heading ("What it flags", "Why is this bad?", …)."""
    from ..traits import by_id

    doc = by_id()[trait_id].__doc__ or ""
    marks = list(_HEADING.finditer(doc))
    return {
        mark.group(1).strip(): doc[mark.end() : nxt.start() if nxt else len(doc)].strip("\n")
        for mark, nxt in zip(marks, [*marks[1:], None])
    }


def first_paragraph(text: str) -> str:
    return " ".join(text.strip().split("\n\n")[0].split())


def md_inline(text: str) -> str:
    """Text shown literally in Markdown prose or a table cell (user values may hold `*`, `|`, `<`…)."""
    return _MD_SPECIAL.sub(r"\\\g<0>", text).replace("\n", " ")


def md_code(text: str) -> str:
    """A code span safe in a table cell (GFM splits cells on `|` even inside code spans)."""
    return "`" + text.replace("`", "'").replace("|", "\\|").replace("\n", " ") + "`"


def code_fence(content: str, info: str = "") -> str:
    """A fenced block that cannot be closed early by backticks inside the content."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") or not content else content + "\n"
    return f"{fence}{info}\n{body}{fence}"
