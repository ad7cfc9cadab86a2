"""scan(paths, config) -> Report. Pure: the CLI and the pull-request integrations both call it."""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from ._records import field, record, replace
from .config import Config
from .diagnostics import Diagnostic
from .exposures import DEFAULT_TABLE, Exposure, exposures_of
from .findings import Finding
from .model.inspector import InspectorFindings
from .patches.render import Patch, Patcher
from .pathfilter import PathFilter, covers
from .readers import Reader, Task, Unit
from .results import Bodies, LazyResults, Row, body_of, rows_of
from .source import SourceFile
from .suppressions import Outcome, Policy, Suppressed, Suppressor

if TYPE_CHECKING:
    from .baseline import Entry
    from .model.aws import Resource
    from .model.graph import Model

T = TypeVar("T")
Progress = Callable[[int, int], None]  # (files done, files in all)

_SKIP_DIRS = {".git", ".terraform", ".venv", "node_modules", "__pycache__"}


@record
class Result:
    finding: Finding
    patch: Patch | None


@record
class Analysis:
    """A unit's outcome as the scan keeps it: its files (not its model), a row per active finding, and the
    findings with the patches of those it reports as one pickle (`results.Bodies`)."""

    unit: Unit
    rows: list[Row]
    body: bytes
    refers: list[SourceFile]  # the files the body refers to (spans of other units' files, rarely)
    suppressed: list[Suppressed]
    notices: list[Diagnostic]
    problems: list[Diagnostic]  # internal errors met while analysing it


@record(frozen=False)
class Report:
    results: Sequence[Result] = field(default_factory=list)  # a `LazyResults` from a scan
    exposures: list[Exposure] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_scanned: int = 0
    suppressed: list[Suppressed] = field(default_factory=list)  # findings silenced by a suppression
    notices: list[Diagnostic] = field(default_factory=list)  # suppressions that do not hold, or silence nothing
    baselined: int = 0  # findings left out because the baseline records them
    stale: list[Entry] = field(default_factory=list)  # baseline entries no finding matches anymore


class UsageError(Exception):
    pass


def display_path(path: Path) -> Path:
    """Paths relative to the working directory where possible, as diffs and reports name them."""
    if not path.is_absolute():  # the common case, without asking for the working directory
        rel = os.path.normpath(path)
        return Path(rel) if not rel.startswith("..") else path.absolute()
    try:
        rel = os.path.relpath(path.absolute())
    except ValueError:
        return path
    return Path(rel) if not rel.startswith("..") else path.absolute()


def discover(
    paths: Iterable[str], readers: tuple[Reader, ...], skip: PathFilter, diagnostics: list[Diagnostic]
) -> tuple[dict[str, list[Path]], set[Path], bool]:
    """The files each reader claims, the files named, and whether whole directories were given (otherwise
    only findings located in the named files are reported: changed-files mode).

    Directory links are not followed (no loops); unreadable directories become diagnostics.
    """
    claimed: dict[str, list[Path]] = defaultdict(list)
    seen: set[Path] = set()
    named: set[Path] = set()
    whole_dirs = False

    def offer(path: Path) -> bool:
        shown = display_path(path)
        for reader in readers:
            if reader.claims(path):
                if shown not in seen:  # a file under two of the paths given is scanned once
                    seen.add(shown)
                    claimed[reader.name].append(shown)
                return True
        return False

    def unreadable(exc: OSError) -> None:
        where = display_path(Path(exc.filename)).as_posix() if exc.filename else "?"
        diagnostics.append(Diagnostic(where, None, "read-error", exc.strerror or str(exc)))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            whole_dirs = True
            skip.ask(path)
            for dirpath, dirnames, filenames in os.walk(path, onerror=unreadable):
                here = Path(dirpath)
                dirnames[:] = sorted(
                    d for d in dirnames
                    if d not in _SKIP_DIRS and not d.startswith(".")
                    and not skip.excluded(here / d, is_dir=True)
                )  # fmt: skip
                for name in sorted(filenames):
                    if not skip.excluded(here / name):
                        offer(here / name)
        elif path.exists() or path.is_symlink():
            if not skip.excluded(path, named=True) and offer(path):
                named.add(display_path(path))
        else:
            raise UsageError(f"no such file or directory: {raw}")
    return claimed, named, whole_dirs


def scan(paths: Iterable[str], config: Config, progress: Progress | None = None) -> Report:
    from .readers import readers

    paths = list(paths)
    config = replace(config, roots=tuple(Path(p).resolve() for p in paths))
    report = Report()
    inspector = _inspector_findings(config)
    available = readers()
    skip = PathFilter(config)
    claimed, named, whole_dirs = discover(paths, available, skip, report.diagnostics)
    total, done = sum(map(len, claimed.values())), 0
    policy = Policy(
        _trait_ids, config.wants, config.suppression_reason, date.today(), config.resource_ignores,
        lambda ri, path: covers(ri.paths, config.root, path),
    )  # fmt: skip
    verdicts: dict[Path, bool] = {}

    def reported(path: Path | None, extra: frozenset[Path] = frozenset()) -> bool:
        """Whether findings located in `path` are reported: in the named files (changed-files mode), and
        not excluded (a reader may load an excluded file as context, e.g. a module's other files). `extra`:
        files named through the unit they belong to (a named plan's `.tf` sources)."""
        if path is None:
            return whole_dirs
        if path in extra:
            return not skip.excluded(path, named=True)
        if path not in verdicts:
            if not whole_dirs and named and path not in named:
                verdicts[path] = False
            else:
                verdicts[path] = not skip.excluded(path, named=path in named)
        return verdicts[path]

    def analysed(unit: Unit, where: str) -> Analysis:
        problems: list[Diagnostic] = []
        outcome = _analyse(unit, where, config, policy, inspector, problems)
        extra = frozenset(f.path for f in unit.files) if unit.entry is not None and unit.entry in named else frozenset()
        shown = {i: f for i, f in enumerate(outcome.active) if reported(_file_of(f), extra)}
        patcher = Patcher(unit.files)
        patcher.plan(sorted(shown.values(), key=lambda f: f.sort_key))
        patches = {i: patcher.patch(f) for i, f in shown.items()}
        for i, f in shown.items():
            outcome.active[i] = f.slimmed()
        body, refers = body_of(outcome.active, patches)
        own = {id(f) for f in unit.files}
        return Analysis(
            Unit(files=unit.files, diagnostics=unit.diagnostics, entry=unit.entry),
            rows_of(outcome.active, set(patches)), body, [f for f in refers if id(f) not in own],
            [replace(s, finding=s.finding.slimmed()) for s in outcome.suppressed], outcome.notices, problems,
        )  # fmt: skip

    salt = _salt(config, named, whole_dirs) if config.use_cache else ""
    canonical: dict[tuple[str, str], SourceFile] = {}
    bodies = Bodies(lambda path, format_: canonical.get((path, format_)))
    rows: list[tuple[int, int, Row]] = []  # (unit, index in it, row), as the units come
    suppressed: list[Suppressed] = []
    notices: list[Diagnostic] = []
    loaded: list[SourceFile] = []
    for reader in available:
        files = claimed.get(reader.name)
        if not files:
            continue
        wanted = set(files)

        def partly(tasks_done: int, tasks: int, before: int = done, count: int = len(files)) -> None:
            if progress is not None:  # while workers run: the share of this reader's files done so far
                progress(min(before + count * tasks_done // max(tasks, 1), total), total)

        for analysis in _analysed_units(reader, files, config, salt, analysed, report.diagnostics, partly):
            unit = analysis.unit
            report.diagnostics.extend(unit.diagnostics)
            report.diagnostics.extend(analysis.problems)
            loaded.extend(unit.files)
            for file in (*unit.files, *analysis.refers):
                canonical.setdefault((file.display, file.format), file)
            if unit.entry is not None and unit.entry in named:  # a named plan reports on its .tf sources
                named |= {f.path for f in unit.files}
                verdicts.clear()
            number = bodies.add(analysis.body)
            rows += ((number, i, row) for i, row in enumerate(analysis.rows))
            suppressed += analysis.suppressed
            notices += analysis.notices
            if progress is not None:
                done += sum(1 for f in unit.files if f.path in wanted)
                progress(min(done, total), total)
    loaded = list({id(f): f for f in loaded}.values())  # a module called from several roots is loaded once
    report.diagnostics = list(dict.fromkeys(report.diagnostics))  # workers each report a shared module's
    report.files_scanned = len(loaded)

    shown: dict[str | None, bool] = {}

    def reported_row(file: str | None) -> bool:
        if file not in shown:
            shown[file] = reported(Path(file) if file is not None else None)
        return shown[file]

    chosen = [r for r in _unique(rows, lambda r: r[2].key) if reported_row(r[2].file)]
    report.suppressed = [s for s in _unique(suppressed, lambda s: _key(s.finding)) if reported(_file_of(s.finding))]
    source = config.source and display_path(config.source).as_posix()
    report.notices = sorted(
        {n for n in notices if n.file == source or reported(Path(n.file))},
        key=lambda n: (n.file, n.line or 0, n.kind, n.message),
    )
    if config.baseline is not None:
        findings = [bodies.finding(u, i) for u, i, _ in chosen]
        new = {id(f) for f in _apply_baseline(report, findings, config, [f for f in loaded if reported(f.path)])}
        chosen = [r for r, f in zip(chosen, findings) if id(f) in new]
    chosen.sort(key=lambda r: r[2].sort_key)
    report.suppressed.sort(key=lambda s: s.finding.sort_key)
    # findings reported only through another unit's files: patched here, with every file of the scan
    later = {(u, i): bodies.finding(u, i) for u, i, row in chosen if not row.patched}
    own: dict[tuple[int, int], Patch | None] = {}
    if later:
        patcher = Patcher(loaded)
        patcher.plan(list(later.values()))
        own = {entry: patcher.patch(f) for entry, f in later.items()}
    report.results = LazyResults(
        bodies, [(u, i) for u, i, _ in chosen], own, [r.severity for _, _, r in chosen], [r.file for _, _, r in chosen]
    )
    table = config.exposure_table or DEFAULT_TABLE
    report.exposures = exposures_of(
        ((r.resource, r.resource_type, r.trait, r.category) for _, _, r in chosen if r.compute), table
    )
    return report


PARALLEL_FROM = 64  # files: below this, forking workers costs more than it saves


def _analysed_units(
    reader: Reader,
    files: list[Path],
    config: Config,
    salt: str,
    analysed: Callable[[Unit, str], Analysis],
    diagnostics: list[Diagnostic],
    partly: Callable[[int, int], None],
) -> Iterator[Analysis]:
    """Each unit of a reader with its analysis. A reader that splits its work into independent tasks
    (`prepare`) has them run in worker processes on big scans, and their results stored and reused by later
    scans while every input they read is unchanged (`result_cache`)."""
    prepare = getattr(reader, "prepare", None)
    if prepare is None:
        for unit in _guarded_units(reader, files, config, diagnostics):
            yield analysed(unit, unit.files[0].display if unit.files else reader.name)
        return
    from .limits import settle
    from .result_cache import result_cache

    where = files[0].as_posix() if files else reader.name
    try:
        tasks: list[Task] = prepare(files, config)
    except Exception as exc:  # noqa: BLE001 - as in _guarded_units: the reader's work ends, not the scan
        diagnostics.append(_internal(where, exc))
        return
    store = result_cache(config)
    keys = [f"{salt}\0{reader.name}\0{task.key}" if store is not None and task.key else "" for task in tasks]
    # which results can be reused: checked first (their inputs), loaded one at a time as they are handed over
    stored = [bool(key) and task.reuse is not None and store is not None and store.get(key, task.reuse, load=False)
              for key, task in zip(keys, tasks)]  # fmt: skip
    reused = sum(map(bool, stored))

    def run(task: Task, key: str = "") -> Analysis:
        try:
            unit = task.run()
            analysis = analysed(unit, unit.files[0].display if unit.files else where)
        except Exception as exc:  # noqa: BLE001
            return Analysis(Unit(), [], body_of([], {})[0], [], [], [], [_internal(where, exc)])
        if store is not None and key and unit.inputs is not None and _reusable(analysis):
            store.put(key, unit.inputs, analysis)
        del unit  # the unit's model: garbage now, collected before the next unit
        settle()
        return analysis

    jobs = config.jobs or os.cpu_count() or 1
    pending = [(task, key) for task, key, hit in zip(tasks, keys, stored) if not hit]
    if jobs < 2 or len(files) < PARALLEL_FROM:

        def serial() -> Iterator[Analysis]:
            for count, (task, key) in enumerate(pending, 1):
                yield run(task, key)
                partly(reused + count, len(tasks))

        fresh: Iterator[Analysis] = serial()
    else:
        from .parallel import fork_imap

        held = next((task.reuse.source for task in tasks if task.reuse is not None), None)  # the reader's files
        fresh = fork_imap(lambda pair: run(*pair), pending, jobs, lambda n: partly(reused + n, len(tasks)), held)
    for task, key, hit in zip(tasks, keys, stored):
        if hit:
            assert store is not None and task.reuse is not None
            analysis = store.get(key, task.reuse)  # None: gone since (another scan evicted it)
            yield analysis if analysis is not None else run(task, key)
        else:
            yield next(fresh)
    if store is not None and pending:  # results were stored (here or by workers): keep the cache bounded
        store.evict()


def _salt(config: Config, named: set[Path], whole_dirs: bool) -> str:
    """What a stored result depends on besides the inputs its reader records: the configuration, the paths
    named, the day (suppressions expire, images reach their end of life), the working directory (reports name
    paths relative to it) and the Inspector exports. A digest: a scan naming thousands of files (pre-commit
    --all-files) would otherwise hash their names again for every key."""
    from .result_cache import digest, stable

    settings = replace(config, jobs=0, cache_dir=None)  # how a scan runs, not what it finds
    parts = (stable(settings), str(date.today()), os.getcwd(), _digests(config.vulnerability_files), stable(named))
    return digest("\0".join((*parts, str(whole_dirs))))


def _reusable(analysis: Analysis) -> bool:
    """Whether a result may be stored: not one shaped by an internal error or a time limit (the next scan
    may fare better)."""
    return not analysis.problems and not any(
        d.kind in ("internal-error", "too-slow") for d in analysis.unit.diagnostics
    )


def _digests(paths: Iterable[str]) -> str:
    """The contents of files the configuration names (Inspector exports), for result-cache keys."""
    from .result_cache import digest

    found = []
    for name in paths:
        try:
            found.append(digest(Path(name).read_bytes().decode("latin-1")))
        except OSError:
            found.append("")
    return ",".join(found)


def _analyse(
    unit: Unit,
    where: str,
    config: Config,
    policy: Policy,
    inspector: InspectorFindings | None,
    diagnostics: list[Diagnostic],
) -> Outcome:
    """One unit's findings, sorted into active and suppressed; per variant when it has variants (a
    finding that holds in some only says what it assumes, a notice stands when every variant gives it)."""
    if not unit.variants:
        return _analyse_resources(unit, unit.resources, where, config, policy, inspector, diagnostics)
    from .variants import merge

    outcomes = [
        _analyse_resources(unit, v.resources, where, config, policy, inspector, diagnostics) for v in unit.variants
    ]
    common = set(outcomes[0].notices).intersection(*(o.notices for o in outcomes[1:]))
    return Outcome(
        active=merge(unit.variants, [o.active for o in outcomes]),
        suppressed=[s for o in outcomes for s in o.suppressed],
        notices=[n for n in outcomes[0].notices if n in common],
    )


def _analyse_resources(
    unit: Unit,
    resources: list[Resource],
    where: str,
    config: Config,
    policy: Policy,
    inspector: InspectorFindings | None,
    diagnostics: list[Diagnostic],
) -> Outcome:
    """A model's findings, sorted into active and suppressed. A bug here ends this analysis (or only its
    suppressions) with a diagnostic, never the scan."""
    from .model.graph import Model

    try:
        model = Model(resources, inspector)
    except Exception as exc:  # noqa: BLE001
        diagnostics.append(_internal(where, exc))
        return Outcome()
    found = _check(model, config, where, diagnostics)
    try:
        return Suppressor(unit.files, resources, unit.suppressions, policy, model).apply(found)
    except Exception as exc:  # noqa: BLE001
        diagnostics.append(_internal(where, exc))
        return Outcome(active=found)


def _check(model: Model, config: Config, where: str, diagnostics: list[Diagnostic]) -> list[Finding]:
    """Every wanted trait's findings; a trait that crashes becomes a diagnostic and the others still run."""
    from . import traits

    found: list[Finding] = []
    for module in traits.TRAITS:
        if config.wants(module.META.id):
            try:
                found.extend(module.check(model, config))
            except Exception as exc:  # noqa: BLE001
                diagnostics.append(_internal(where, exc))
    return found


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


def _trait_ids() -> frozenset[str]:
    from . import traits  # only when a suppression names traits: a scan whose results are all reused never runs one

    return frozenset(traits.by_id())


def _internal(where: str, exc: BaseException) -> Diagnostic:
    import traceback

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


def _apply_baseline(
    report: Report, findings: list[Finding], config: Config, covered: list[SourceFile]
) -> list[Finding]:
    """Leave out the findings the baseline records; list its stale entries among the files scanned."""
    from . import baseline

    assert config.baseline is not None
    base = config.baseline.parent
    try:
        entries = baseline.load(config.baseline)
    except baseline.BaselineError as exc:
        raise UsageError(str(exc)) from None
    files = {baseline.relative_file(f.path, base) for f in covered}
    new, report.baselined, report.stale = baseline.split(
        findings, entries, base, lambda e: e.file in files and config.wants(e.trait)
    )
    return new


def _file_of(finding: Finding) -> Path | None:
    span = finding.location or finding.resource.span
    return span.file.path if span else None


def _key(f: Finding) -> tuple[str, str, str, int]:
    loc = f.location
    return (f.trait.id, f.resource.address, loc.file.display if loc else "", loc.start if loc else -1)


def _unique(items: Iterable[T], key: Callable[[T], Hashable]) -> Iterator[T]:
    seen: set[Hashable] = set()
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            yield item


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
