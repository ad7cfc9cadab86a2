"""scan(paths, config) -> Report. Pure: the CLI and the pull-request integrations both call it."""

from __future__ import annotations

import os
import traceback
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Config
from .diagnostics import Diagnostic
from .exposures import DEFAULT_TABLE, Exposure, exposures
from .findings import Finding
from .model.inspector import InspectorFindings
from .patches.render import Patch, Patcher
from .readers import Reader, Unit
from .source import SourceFile

_SKIP_DIRS = {".git", ".terraform", ".venv", "node_modules", "__pycache__"}


@dataclass(frozen=True, slots=True)
class Result:
    finding: Finding
    patch: Patch | None


@dataclass(slots=True)
class Report:
    results: list[Result] = field(default_factory=list)
    exposures: list[Exposure] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_scanned: int = 0


class UsageError(Exception):
    pass


def display_path(path: Path) -> Path:
    """Paths relative to the working directory where possible, as diffs and reports name them."""
    try:
        rel = os.path.relpath(path.absolute())
    except ValueError:
        return path
    return Path(rel) if not rel.startswith("..") else path.absolute()


def discover(
    paths: Iterable[str], readers: tuple[Reader, ...], diagnostics: list[Diagnostic]
) -> tuple[dict[str, list[Path]], set[Path] | None]:
    """The files each reader claims; the files to report on when only files were named (changed-files mode).

    Directory links are not followed (no loops); unreadable directories become diagnostics.
    """
    claimed: dict[str, list[Path]] = defaultdict(list)
    named: set[Path] = set()
    whole_dirs = False

    def offer(path: Path) -> bool:
        for reader in readers:
            if reader.claims(path):
                claimed[reader.name].append(display_path(path))
                return True
        return False

    def unreadable(exc: OSError) -> None:
        where = display_path(Path(exc.filename)).as_posix() if exc.filename else "?"
        diagnostics.append(Diagnostic(where, None, "read-error", exc.strerror or str(exc)))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            whole_dirs = True
            for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable):
                dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS and not d.startswith("."))
                for name in sorted(filenames):
                    offer(Path(dirpath) / name)
        elif path.exists() or path.is_symlink():
            if offer(path):
                named.add(display_path(path))
        else:
            raise UsageError(f"no such file or directory: {raw}")
    return claimed, (None if whole_dirs or not named else named)


def scan(paths: Iterable[str], config: Config) -> Report:
    from . import traits
    from .model.graph import Model
    from .readers import readers

    paths = list(paths)
    config = replace(config, roots=tuple(Path(p).resolve() for p in paths))
    report = Report()
    inspector = _inspector_findings(config)
    available = readers()
    claimed, only = discover(paths, available, report.diagnostics)
    findings: list[Finding] = []
    loaded: list[SourceFile] = []
    for reader in available:
        files = claimed.get(reader.name)
        if not files:
            continue
        for unit in _guarded_units(reader, files, config, report.diagnostics):
            report.diagnostics.extend(unit.diagnostics)
            report.files_scanned += len(unit.files)
            loaded.extend(unit.files)
            try:
                model = Model(unit.resources, inspector)
                for module in traits.TRAITS:
                    if config.wants(module.META.id):
                        findings.extend(module.check(model, config))
            except Exception as exc:  # noqa: BLE001 - one unit's bug must not end the scan
                where = unit.files[0].display if unit.files else reader.name
                report.diagnostics.append(_internal(where, exc))
    findings = list(_unique(findings))
    if only is not None:
        findings = [f for f in findings if _file_of(f) in only]
    findings.sort(key=lambda f: f.sort_key)
    patcher = Patcher(loaded)
    report.results = [Result(f, patcher.patch(f)) for f in findings]
    report.exposures = exposures(findings, config.exposure_table or DEFAULT_TABLE)
    return report


def _guarded_units(reader: Reader, files: list[Path], config: Config, diagnostics: list[Diagnostic]) -> Iterator[Unit]:
    """A reader's units; a crash inside the reader ends that reader's work with a diagnostic, not the scan."""
    units = reader.units(files, config)
    while True:
        try:
            unit = next(units)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001
            diagnostics.append(_internal(files[0].as_posix() if files else reader.name, exc))
            return
        yield unit


def _internal(where: str, exc: BaseException) -> Diagnostic:
    detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    message = f"internal error ({type(exc).__name__}: {exc}); please report it with this file"
    return Diagnostic(where, None, "internal-error", message, detail=detail)


def _inspector_findings(config: Config) -> InspectorFindings | None:
    if not config.vulnerability_files:
        return None
    from .inspector import InvalidFindings, load  # pydantic: only when findings are given

    try:
        return load(config.vulnerability_files)
    except InvalidFindings as exc:
        raise UsageError(str(exc)) from None


def _file_of(finding: Finding) -> Path | None:
    span = finding.location or finding.resource.span
    return span.file.path if span else None


def _unique(findings: list[Finding]) -> Iterator[Finding]:
    seen: set[tuple[str, str, str, int]] = set()
    for f in findings:
        loc = f.location
        key = (f.trait.id, f.resource.address, loc.file.display if loc else "", loc.start if loc else -1)
        if key not in seen:
            seen.add(key)
            yield f


def combined_patch(report: Report, unsafe: bool) -> tuple[str, int]:
    """All applicable patches as one diff per file, and how many unsafe ones were left out."""
    from .findings import Applicability
    from .patches.edits import Edit
    from .patches.render import combined_diff

    edits: list[Edit] = []
    hidden = 0
    seen_unsafe: set[tuple[object, ...]] = set()
    for result in report.results:
        patch = result.patch
        if patch is None or patch.applicability is Applicability.DISPLAY_ONLY:
            continue
        if patch.applicability is Applicability.UNSAFE and not unsafe:
            if patch.edits not in seen_unsafe:
                seen_unsafe.add(patch.edits)
                hidden += 1
            continue
        edits.extend(patch.edits)
    return combined_diff(edits), hidden


def group_by_file(report: Report) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = defaultdict(list)
    for result in report.results:
        span = result.finding.location or result.finding.resource.span
        grouped[span.file.display if span else "<unknown>"].append(result)
    return grouped
