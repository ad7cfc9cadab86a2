"""Turn each finding's remedy into edits and a unified diff; combine many into one diff per file."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from ..findings import Applicability, Finding
from ..source import SourceFile
from .edits import Edit, apply_edits, unified_diff


class Unpatchable(Exception):
    """The remedy cannot be written as an edit here; the reason is shown to the user."""


@dataclass(frozen=True, slots=True)
class Patch:
    applicability: Applicability
    reason: str
    title: str
    edits: tuple[Edit, ...] = field(default=())
    diff: str | None = None  # None: a display-only suggestion in words


@dataclass(slots=True)
class PatchContext:
    """What a writer may consult besides the target: the files analysed with it, and a per-scan memo
    (new inputs are declared once per module or template, whichever findings need them)."""

    siblings: list[SourceFile]
    memo: dict[str, Any]


def writer_for(file: SourceFile) -> ModuleType:
    from . import hcl

    writers: dict[str, ModuleType] = {"hcl": hcl}
    writer = writers.get(file.format)
    if writer is None:
        raise Unpatchable(f"no patch writer for {file.display}")
    return writer


class Patcher:
    """Writes patches for one scan."""

    def __init__(self, files: list[SourceFile]) -> None:
        self.by_dir: dict[str, list[SourceFile]] = defaultdict(list)
        for file in files:
            self.by_dir[file.path.parent.as_posix()].append(file)
        self.memo: dict[str, Any] = {}

    def patch(self, finding: Finding) -> Patch | None:
        remedy = finding.remedy
        if remedy is None:
            return None
        if remedy.action is None:
            return Patch(Applicability.DISPLAY_ONLY, remedy.reason, remedy.title)
        anchor = finding.location or finding.resource.span
        if anchor is None:
            return Patch(Applicability.DISPLAY_ONLY, "the finding has no location in a source file", remedy.title)
        siblings = [
            f for f in self.by_dir.get(anchor.file.path.parent.as_posix(), []) if f.format == anchor.file.format
        ]
        try:
            target_file = _target_file(remedy.action) or anchor.file
            edits = tuple(writer_for(target_file).edits(remedy.action, PatchContext(siblings, self.memo)))
        except Unpatchable as why:
            # a suggestion keeps its own reason (what applying it entails), plus why it has no diff
            reason = (
                f"{remedy.reason}; no diff: {why}" if remedy.applicability is Applicability.DISPLAY_ONLY else str(why)
            )
            return Patch(Applicability.DISPLAY_ONLY, reason, remedy.title)
        return Patch(remedy.applicability, remedy.reason, remedy.title, edits, combined_diff(list(edits)))


def _target_file(action: Any) -> SourceFile | None:
    target = getattr(action, "target", None)
    span = getattr(target, "span", None)
    return span.file if span is not None else None


def combined_diff(edits: list[Edit]) -> str:
    """One diff for many edits: per file, applied in one pass (identical edits once, clashes skipped)."""
    by_file: dict[SourceFile, list[Edit]] = defaultdict(list)
    for edit in edits:
        by_file[edit.file].append(edit)
    out = []
    for file in sorted(by_file, key=lambda f: f.display):
        new_text, _ = apply_edits(file.text, by_file[file])
        out.append(unified_diff(file.display, file.text, new_text))
    return "".join(out)
