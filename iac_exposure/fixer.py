"""`--fix`: apply patches in one pass per file, verify, write atomically — or write nothing and say why."""

from __future__ import annotations

import os
import tempfile
from collections import defaultdict
from pathlib import Path

from ._records import field, record, replace
from .api import Report, Result
from .findings import Applicability
from .parsers import ParseError
from .patches.edits import Edit, apply_edits
from .patches.render import Unpatchable, writer_for
from .source import SourceFile, decode, encode


@record(frozen=False)
class FixOutcome:
    fixed: list[Result] = field(default_factory=list)
    skipped: list[tuple[Result, str]] = field(default_factory=list)  # and why
    files_written: list[str] = field(default_factory=list)
    files_refused: list[tuple[str, str]] = field(default_factory=list)  # and why nothing was written


def fix(report: Report, unsafe: bool) -> FixOutcome:
    outcome = FixOutcome()
    chosen: list[Result] = []
    for result in report.results:
        patch = result.patch
        if patch is None or patch.applicability is Applicability.DISPLAY_ONLY:
            reason = patch.reason if patch else "no patch"
            outcome.skipped.append((result, f"display-only: {reason}"))
        elif patch.applicability is Applicability.UNSAFE and not unsafe:
            outcome.skipped.append((result, "unsafe: add --unsafe-fixes to apply it"))
        else:
            chosen.append(result)
    # a file two readers loaded (a plan's .tf sources in a scanned Terraform directory) is written once
    canonical: dict[str, SourceFile] = {}
    by_file: dict[SourceFile, list[Edit]] = defaultdict(list)
    for result in chosen:
        assert result.patch is not None
        for edit in result.patch.edits:
            file = canonical.setdefault(edit.file.display, edit.file)
            by_file[file].append(edit if edit.file is file else replace(edit, file=file))
    skipped_edits: set[Edit] = set()
    refused: set[SourceFile] = set()
    for file in sorted(by_file, key=lambda f: f.display):
        new_text, skipped = apply_edits(file.text, by_file[file])
        skipped_edits.update(skipped)
        why = _write(file, new_text)
        if why is None:
            outcome.files_written.append(file.display)
        else:
            refused.add(file)
            outcome.files_refused.append((file.display, why))
    for result in chosen:
        assert result.patch is not None
        edits = result.patch.edits
        edits = tuple(replace(e, file=canonical[e.file.display]) for e in edits)
        if any(e.file in refused for e in edits):
            outcome.skipped.append((result, "its file was not written"))
        elif any(e in skipped_edits for e in edits):
            outcome.skipped.append((result, "overlaps another fix; run --fix again"))
        else:
            outcome.fixed.append(result)
    return outcome


def _write(file: SourceFile, new_text: str) -> str | None:
    """Write `new_text` over the file atomically; None when done, else why nothing was written."""
    path = Path(file.path)
    try:
        if decode(path.read_bytes())[0] != file.text:
            return "the file changed on disk since it was read"
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read it again: {exc}"
    try:
        check = writer_for(file).check
    except Unpatchable as exc:
        return str(exc)
    try:
        check(new_text)
    except ParseError as exc:
        return f"the fixed text would not parse ({exc.message}); please report this as a bug"
    mode = path.stat().st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".iac-exposure")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(encode(new_text, file.encoding))
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        return f"cannot write it: {exc}"
    return None
