"""Turn each finding's remedy into edits and a unified diff; combine many into one diff per file."""

from __future__ import annotations

import functools
from collections import defaultdict
from types import ModuleType
from typing import Any

from .._records import field, record, replace
from ..findings import Applicability, Finding
from ..source import SourceFile
from .edits import Edit, edits_diff


class Unpatchable(Exception):
    """The remedy cannot be written as an edit here; the reason is shown to the user."""


@record
class Patch:
    applicability: Applicability
    reason: str
    title: str
    edits: tuple[Edit, ...] = field(default=())
    diff: str | None = None  # None: a display-only suggestion in words


@record(frozen=False)
class PatchContext:
    """What a writer may consult besides the target: the files analysed with it, and a per-scan memo
    (new inputs are declared once per module or template, whichever findings need them)."""

    siblings: list[SourceFile]
    memo: dict[str, Any]


def writer_for(file: SourceFile) -> ModuleType:
    """The writer module of a file's format: `edits(action, ctx)`, and optionally `note(action, ctx)`, a
    sentence added to the patch's reason (what the user must do besides applying it)."""
    name = _WRITERS.get(file.format)
    if name is None:
        raise Unpatchable(f"no patch writer for {file.display}")
    return _writer(name)


_WRITERS = {
    "hcl": "hcl",
    "cfn-yaml": "cfn_yaml",
    "cfn-json": "cfn_json",
    "hcl-installed": "installed_module",
    "json": "json_writer",
    "launch-template-versions": "launch_template_versions",
    "terraform-plan": "terraform_plan",
}


@functools.cache
def _writer(name: str) -> ModuleType:
    """Imported when a file of its format is patched: a Terraform scan never loads the JSON writers."""
    from importlib import import_module

    return import_module(f".{name}", __package__)


class Patcher:
    """Writes patches for one scan."""

    def __init__(self, files: list[SourceFile]) -> None:
        self.by_dir: dict[str, list[SourceFile]] = defaultdict(list)
        for file in files:
            self.by_dir[file.path.parent.as_posix()].append(file)
        self.memo: dict[str, Any] = {}

    def plan(self, findings: list[Finding]) -> None:
        """A first pass over every finding, so writers know all the inputs a file's patches declare before
        writing any (a new CloudFormation Parameters section declares them together)."""
        for finding in findings:
            self.patch(finding, diff=False)

    def patch(self, finding: Finding, diff: bool = True) -> Patch | None:
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
        ctx = PatchContext(siblings, self.memo)
        try:
            target_file = _target_file(remedy.action) or anchor.file
            writer = writer_for(target_file)
            edits = tuple(writer.edits(remedy.action, ctx))
        except Unpatchable as why:
            # a suggestion keeps its own reason (what applying it entails), plus why it has no diff
            reason = (
                f"{remedy.reason}; no diff: {why}" if remedy.applicability is Applicability.DISPLAY_ONLY else str(why)
            )
            return Patch(Applicability.DISPLAY_ONLY, reason, remedy.title)
        note = writer.note(remedy.action, ctx) if hasattr(writer, "note") else ""
        reason = f"{remedy.reason}; {note}" if note else remedy.reason
        return Patch(remedy.applicability, reason, remedy.title, edits, combined_diff(list(edits)) if diff else None)


def _target_file(action: Any) -> SourceFile | None:
    target = getattr(action, "target", None)
    span = getattr(target, "span", None)
    return span.file if span is not None else None


def combined_diff(edits: list[Edit]) -> str:
    """One diff for many edits: per file, applied in one pass (identical edits once, clashes skipped).

    Two readers may load the same file in one scan (a plan's `.tf` sources in a directory also scanned as
    Terraform): edits are grouped by path, so the file gets one diff and the same fix is written once.
    """
    canonical: dict[str, SourceFile] = {}
    by_file: dict[SourceFile, list[Edit]] = defaultdict(list)
    for edit in edits:
        file = canonical.setdefault(edit.file.display, edit.file)
        by_file[file].append(edit if edit.file is file else replace(edit, file=file))
    return "".join(edits_diff(file, by_file[file]) for file in sorted(by_file, key=lambda f: f.display))
