"""Turn each finding's remedy into edits and a unified diff; combine many into one diff per file."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from ..findings import Applicability, Finding
from ..source import SourceFile
from . import hcl
from .edits import Edit, apply_edits, unified_diff


@dataclass(frozen=True, slots=True)
class Patch:
    applicability: Applicability
    reason: str
    title: str
    edits: tuple[Edit, ...] = field(default=())
    diff: str | None = None  # None: a display-only suggestion in words


class Patcher:
    """Writes patches for one scan; new inputs are shared by every finding of a module."""

    def __init__(self, modules: dict[str, list[SourceFile]]) -> None:
        self.modules = modules  # directory → its files
        self.inputs = hcl.Inputs()

    def patch(self, finding: Finding) -> Patch | None:
        remedy = finding.remedy
        if remedy is None:
            return None
        if remedy.action is None:
            return Patch(Applicability.DISPLAY_ONLY, remedy.reason, remedy.title)
        anchor = finding.location or finding.resource.span
        siblings = self.modules.get(anchor.file.path.parent.as_posix(), []) if anchor else []
        try:
            edits = tuple(hcl.edits(remedy.action, self.inputs, siblings))
        except hcl.Unpatchable as why:
            return Patch(Applicability.DISPLAY_ONLY, str(why), remedy.title)
        return Patch(remedy.applicability, remedy.reason, remedy.title, edits, combined_diff(list(edits)))


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
