"""Terraform HCL (and its JSON syntax): every `*.tf`/`*.tf.json` file of a directory forms one module.

A unit is one root module with every module it calls (local paths, to any depth; registry and git modules
through `.terraform/modules/modules.json` once `terraform init` has run). A directory that another scanned
directory calls as a module is analysed inside its caller, with the caller's inputs, not again alone: a
finding is reported once, under its `module.NAME...` address. Root variables take their values as Terraform
does: defaults, then `terraform.tfvars`, `terraform.tfvars.json`, `*.auto.tfvars(.json)` in lexical order,
then `--var-file`/`--var` in command-line order (later wins).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..diagnostics import Diagnostic
from ..limits import BudgetExceeded, time_budget
from ..model.values import Sourced
from ..source import SourceFile
from . import Task, Unit, load_source

if TYPE_CHECKING:
    from ..adapters.terraform.module import ModuleSource
    from ..parse_cache import ParseCache
    from ..parsers.terraform_hcl import HclAttribute, HclBlock

_MAX_FILE_FUNCTION_BYTES = 1 << 20  # file(): larger files are not read (unknown)


def _is_tfvars(name: str) -> bool:
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith((".auto.tfvars", ".auto.tfvars.json"))


def _is_override(name: str) -> bool:
    stem = name.removesuffix(".json").removesuffix(".tf")
    return stem == "override" or stem.endswith("_override")


class TerraformReader:
    name = "terraform"

    def claims(self, path: Path) -> bool:
        name = path.name
        return name.endswith((".tf", ".tf.json")) or _is_tfvars(name)

    def units(self, paths: list[Path], config: Config) -> Iterator[Unit]:
        for task in self.prepare(paths, config):
            yield task.run()

    def prepare(self, paths: list[Path], config: Config) -> list[Task]:
        """Find the root modules; one task per root, each independent of the others (they share only the
        parsed modules), so a scan may run them in worker processes and reuse their stored results.

        Which directories a directory calls is itself stored per directory (with the inputs it was read
        from), so a scan whose modules are unchanged parses none of them to find its roots."""
        from ..result_cache import digest, result_cache

        loader = _Loader(config)
        directories = sorted({loader.directory(p.parent) for p in paths})
        loader.scanned = set(directories)
        loader.named = {loader.directory(d): names for d, names in _named_files(paths).items()}
        store = result_cache(config)
        scope = digest(f"{sorted(d.as_posix() for d in loader.scanned)}")  # once: part of every key below
        early: list[Diagnostic] = []
        sources: dict[Path, list[str]] = {}
        parsed_ahead = False
        for directory in directories:
            key = f"terraform-calls\0{directory.as_posix()}\0{sorted(loader.named.get(directory, ()))}\0{scope}"
            stored = store.get(key, loader) if store is not None else None
            if stored is None:
                if config.use_cache and not parsed_ahead:  # the first miss: parse the rest in workers
                    _parse_in_parallel([d for d in directories if d not in sources], config)
                    parsed_ahead = True
                loader.begin()
                source = loader.module_at(directory)
                stored = (_local_sources(source), loader.take_diagnostics())
                if store is not None:
                    store.put(key, loader.inputs(), stored)
                loader.release()  # parsed again (from the cache) when its root's turn comes: memory stays flat
            sources[directory], diagnostics = stored
            early += diagnostics
        calls = {d: _local_calls(d, srcs, loader) for d, srcs in sources.items()}
        roots = _roots(calls)
        for directory in set(calls) - set(roots):
            loader.forget_slice(directory)  # analysed inside its caller: every file of it matters there
        loader.evict()
        named = sorted((d.as_posix(), sorted(names)) for d, names in loader.named.items())
        tasks = [Task(lambda: Unit(diagnostics=early))] if early else []  # reported before the roots' own
        for root in roots:
            key = f"terraform-root\0{root.as_posix()}\0{named}\0{scope}"
            tasks.append(Task(functools.partial(_root_unit, loader, root, config), key, loader))
        return tasks


def _root_unit(loader: _Loader, root: Path, config: Config) -> Unit:
    """One root module with the modules it calls, adapted to the model."""
    from ..adapters.terraform.module import ModuleScope, Tree, adapt_tree

    loader.release()  # the modules of the previous root
    loader.begin()
    source = loader.module_at(root)
    try:
        inputs = {name: _constant(v) for name, v in _root_inputs(source, config, loader).items()}
        resources = adapt_tree(ModuleScope(source, "", inputs, Tree(loader, root)))
    except (RecursionError, ValueError, TypeError, LookupError, AttributeError) as exc:
        # a construct the evaluator does not survive must cost this module, not the scan
        resources = []
        message = f"{type(exc).__name__} while evaluating the module: {exc}"
        loader.diagnose(Diagnostic(root.as_posix(), None, "internal-error", message))
    diagnostics = loader.take_diagnostics()
    files = loader.files_used()
    loader.release()  # the modules live on only through the resources, as long as the unit does
    return Unit(files=files, resources=resources, diagnostics=diagnostics, inputs=loader.inputs())


def _named_files(paths: list[Path]) -> dict[Path, set[str]]:
    """Per directory, the `.tf` files named when they are not all of its files (changed-files mode): only
    findings located in them are reported, so only the files that can matter to them are parsed. A
    directory with a variables file or a JSON-syntax file named is read whole."""
    claimed: dict[Path, set[str]] = {}
    for path in paths:
        claimed.setdefault(path.parent, set()).add(path.name)
    named = {}
    for directory, names in claimed.items():
        if any(not n.endswith(".tf") for n in names):
            continue
        every = {p.name for p in _list_dir(directory) if p.name.endswith((".tf", ".tf.json"))}
        if names < every:
            named[directory] = names
    return named


def _constant(value: Sourced[Any]) -> Callable[[], Sourced[Any]]:
    return lambda: value


def _local_sources(source: ModuleSource) -> list[str]:
    """The local paths a module's calls name, as written."""
    from ..adapters.terraform.module import local_source, source_of

    found = []
    for call in source.calls.values():
        src = source_of(call)
        if src is not None and local_source(src):
            found.append(src)
    return found


def _local_calls(directory: Path, sources: list[str], loader: _Loader) -> set[Path]:
    """The other scanned directories a module calls by a local path."""
    targets = {loader.directory(directory / src) for src in sources}
    return {t for t in targets if t in loader.scanned and t != directory}


def _roots(calls: dict[Path, set[Path]]) -> list[Path]:
    """The directories to analyse as root modules: those no other scanned directory calls (a cycle of
    calls, which Terraform rejects, leaves its directories as roots)."""
    called = set().union(*calls.values()) if calls else set()
    roots = [d for d in calls if d not in called]
    reached: set[Path] = set()
    pending = list(roots)
    while pending:
        d = pending.pop()
        if d not in reached:
            reached.add(d)
            pending.extend(calls[d])
    return roots + [d for d in calls if d not in reached]


def _root_inputs(source: ModuleSource, config: Config, loader: _Loader) -> dict[str, Sourced[Any]]:
    """Root variable values from variables files and the command line; later ones win."""
    from ..adapters.terraform.evaluator import Scope
    from ..adapters.terraform.inputs import cli_value, tfvars_values

    scope = Scope({}, {}, set())  # variables files hold literal values: no names to refer to
    values: dict[str, Sourced[Any]] = {}
    directory = source.directory
    names = sorted(p.name for p in loader.listing(directory) if _is_tfvars(p.name))
    first = ["terraform.tfvars", "terraform.tfvars.json"]
    ordered = [n for n in first if n in names] + [n for n in names if n not in first]
    for name in ordered:
        attributes = loader.variables_file(directory / name)
        values.update(tfvars_values(attributes, scope))
    for kind, raw in config.variables:
        if kind == "file":
            values.update(tfvars_values(loader.variables_file(Path(raw)), scope))
        else:
            name, _, text = raw.partition("=")
            values[name] = cli_value(name, text, source.variables.get(name), scope)
    return {k: v for k, v in values.items() if k in source.variables}


def _list_dir(directory: Path) -> list[Path]:
    """The directory's entries but its subdirectories: links and special files are for `load_source` to judge."""
    try:
        return [p for p in directory.iterdir() if not p.is_dir()]
    except OSError:
        return []


PARALLEL_FROM = 64  # files: below this, starting processes costs more than it saves


def _parse_in_parallel(directories: list[Path], config: Config) -> None:
    """Fill the parse cache with worker processes, so the loader below only reads hits.

    Links cross files, so modules are still read and linked in this process; what the workers share out is
    the parsing, which is most of the time. Output does not depend on the number of jobs.
    """
    jobs = config.jobs or os.cpu_count() or 1
    from ..parse_cache import parse_cache

    cache = parse_cache(config, "terraform")
    if jobs < 2 or cache is None:
        return
    files = []
    for path in (p for d in directories for p in _list_dir(d) if p.name.endswith((".tf", ".tf.json"))):
        source = load_source(path, Unit(), config, "tf-json" if path.name.endswith(".json") else "hcl")
        if source is not None and not cache.entry(source.format, source).exists():
            files.append(path)
    if len(files) < PARALLEL_FROM:
        return
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # no fork on this platform: parse in this process
        return
    chunks = [files[i::jobs] for i in range(jobs)]
    with context.Pool(jobs) as pool:
        pool.starmap(_warm, [(chunk, config) for chunk in chunks])


def _warm(paths: list[Path], config: Config) -> None:
    from ..parse_cache import parse_cache
    from ..parsers import ParseError
    from ..parsers.terraform_hcl import parse
    from ..parsers.terraform_json import parse_tf_json

    cache = parse_cache(config, "terraform")
    assert cache is not None
    for path in paths:
        is_json = path.name.endswith(".json")
        source = load_source(path, Unit(), config, "tf-json" if is_json else "hcl")
        if source is None:
            continue
        try:
            with time_budget(config.file_time_budget):
                cache.get_or_parse(source.format, source, parse_tf_json if is_json else parse)
        except (ParseError, BudgetExceeded):
            continue  # diagnosed when the loader parses it again


class _Loader:
    """Parses module directories once per scan, follows module calls, reads `file()` arguments safely."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._modules: dict[Path, ModuleSource] = {}
        self._variables_files: dict[Path, tuple[SourceFile | None, dict[str, HclAttribute], list[Diagnostic]]] = {}
        self._diagnostics: list[Diagnostic] = []
        self._reported: set[tuple[str, int | None, str]] = set()
        self._used: list[SourceFile] = []
        self._used_ids: set[int] = set()
        self._allowed: set[Path] = set()
        self._sliced: set[Path] = set()
        # one object per file for the whole scan, with what loading it said and the digest of its text
        self._files: dict[tuple[Path, str], tuple[SourceFile | None, list[Diagnostic], str]] = {}
        self._inputs: dict[tuple[Any, ...], None] | None = None  # what the unit being computed consulted
        self._checked: dict[tuple[Any, ...], bool] = {}  # recorded inputs checked in this scan, and the verdict
        self.scanned: set[Path] = set()  # the directories of the scan, as `directory()` names them
        self.named: dict[Path, set[str]] = {}  # changed-files mode: the files named, per directory
        self._cache: ParseCache | None = None  # made when a file is first parsed (a reused result parses none)

    def _parse_cache(self) -> ParseCache | None:
        if self._cache is None and self.config.use_cache:
            from ..parse_cache import parse_cache

            self._cache = parse_cache(self.config, "terraform")
        return self._cache

    def evict(self) -> None:
        """Keep the parse cache within its bounds, if this scan added to it."""
        if self._cache is not None and self._cache.misses:
            self._cache.evict()

    # -- per root --------------------------------------------------------------------------------------

    def begin(self) -> None:
        """Start a unit: what it uses, says and consults is its own (a module two roots call is reported by
        both, so each root's result stands alone; the scan removes the repeats)."""
        self._used, self._used_ids = [], set()
        self._reported = set()
        self._allowed = set()
        self._inputs = {}

    def inputs(self) -> tuple[tuple[Any, ...], ...]:
        """What the unit begun last consulted (and the end of recording)."""
        found, self._inputs = tuple(self._inputs or ()), None
        return found

    def _consult(self, what: tuple[Any, ...]) -> None:
        if self._inputs is not None:
            self._inputs[what] = None

    def unchanged(self, inputs: tuple[tuple[Any, ...], ...]) -> bool:
        """Whether every input a unit recorded reads the same now (`result_cache.Reuse`). Each input is
        checked once per scan (roots share modules; files are assumed not to change during a scan, as the
        loader assumes when it loads a file once)."""
        checked = self._checked
        for what in inputs:
            same = checked.get(what)
            if same is None:
                same = checked[what] = self._still(what)
            if not same:
                return False
        return True

    def _still(self, what: tuple[Any, ...]) -> bool:
        from ..result_cache import digest

        kind, name, *seen = what
        path = Path(name)
        if kind == "file":
            now: Any = self._entry(path, seen[0])[2]
            seen = seen[1:]
        elif kind == "list":
            now = tuple(sorted(p.name for p in _list_dir(path)))
        elif kind == "dir":
            now = path.is_dir()
        elif kind == "is-file":
            now = path.is_file()
        elif kind == "read":
            text = _read_text(path, seen[0])
            now = digest(text) if text is not None else ""
            seen = seen[1:]
        else:
            return False
        return [now] == list(seen)

    def source(self, path: str, format: str) -> SourceFile | None:
        """The file a stored result refers to (`result_cache.Reuse`)."""
        return self._entry(Path(path), format)[0]

    def listing(self, directory: Path) -> list[Path]:
        found = _list_dir(directory)
        self._consult(("list", directory.as_posix(), tuple(sorted(p.name for p in found))))
        return found

    def files_used(self) -> list[SourceFile]:
        return list(self._used)

    def take_diagnostics(self) -> list[Diagnostic]:
        found, self._diagnostics = self._diagnostics, []
        return found

    def _use(self, files: list[SourceFile]) -> None:
        for file in files:
            if id(file) not in self._used_ids:
                self._used_ids.add(id(file))
                self._used.append(file)

    def diagnose(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.file, diagnostic.line, diagnostic.message)
        if key not in self._reported:  # a module called from several roots is reported once
            self._reported.add(key)
            self._diagnostics.append(diagnostic)

    # -- modules ---------------------------------------------------------------------------------------

    def directory(self, path: Path) -> Path:
        """A module directory as reports name it: relative to the working directory when under it."""
        from ..api import display_path

        return display_path(Path(os.path.normpath(path)))

    def release(self) -> None:
        """Forget the parsed modules (not the files): with the parse cache on, loading one again is cheap,
        and a scan of thousands of modules never holds them all. Without the cache they are kept."""
        if self.config.use_cache:
            self._modules.clear()
            self._variables_files.clear()

    def module_at(self, directory: Path) -> ModuleSource:
        """The module in `directory`. In changed-files mode (`named`) only the files that can matter to the
        named files' findings are parsed; the others are read, not analysed."""
        from ..adapters.terraform.module import ModuleSource

        directory = self.directory(directory)
        named = self.named.get(directory)
        source = self._modules.get(directory)
        if source is None:
            source = ModuleSource(directory)
            self._modules[directory] = source
            paths = sorted(p for p in self.listing(directory) if p.name.endswith((".tf", ".tf.json")))
            overrides = [p for p in paths if _is_override(p.name)]
            wanted = self._slice(directory, paths, named, overrides) if named else None
            if wanted is not None and len(wanted) < len(paths):
                self._sliced.add(directory)
            for path in [p for p in paths if p not in overrides] + overrides:  # override files merge in last
                if wanted is None or path in wanted:
                    source.add(self._parse(path, source.files), override=path in overrides)
                else:
                    loaded = self._load(path, "hcl")
                    if loaded is not None:
                        source.files.append(loaded)
        else:
            self.listing(directory)  # consulted by this unit too
            for file in source.files:
                self._load(file.path, file.format)
        self._allowed.add(Path(os.path.realpath(directory)))
        self._use(source.files)
        return source

    def _slice(self, directory: Path, paths: list[Path], named: set[str], overrides: list[Path]) -> set[Path]:
        from .terraform_slice import module_sources, relevant

        texts: dict[str, str] = {}
        always = {p.name for p in overrides if p.name.endswith(".tf")}
        for path in paths:
            loaded = None if path.name.endswith(".json") else self._load(path, "hcl")  # the file parsing reads
            if loaded is None:
                always.add(path.name)  # JSON syntax, or not readable: `_parse` reports it
            else:
                texts[path.name] = loaded.text
        targets = {src: self.directory(directory / src) for text in texts.values() for src in module_sources(text)}
        calls = {src for src, target in targets.items() if target in self.scanned and target != directory}
        keep = relevant(texts, named, calls, always)
        return {p for p in paths if p.name in keep}

    def forget_slice(self, directory: Path) -> None:
        """Read `directory` whole next time: it is analysed as a module another scanned directory calls."""
        directory = self.directory(directory)
        self.named.pop(directory, None)
        if directory in self._sliced:
            self._sliced.discard(directory)
            self._modules.pop(directory, None)

    def _parse(self, path: Path, files: list[SourceFile]) -> list[HclBlock]:
        from ..parsers import ParseError
        from ..parsers.terraform_hcl import parse
        from ..parsers.terraform_json import parse_tf_json

        is_json = path.name.endswith(".json")
        source = self._load(path, "tf-json" if is_json else "hcl")
        if source is None:
            return []
        files.append(source)
        parser = parse_tf_json if is_json else parse
        try:
            with time_budget(self.config.file_time_budget):
                cache = self._parse_cache()
                if cache is None:
                    return parser(source)
                return cache.get_or_parse(source.format, source, parser)
        except ParseError as exc:
            self.diagnose(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
        except BudgetExceeded as exc:
            self.diagnose(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
        return []

    def _load(self, path: Path, format: str) -> SourceFile | None:
        source, problems, text_digest = self._entry(path, format)
        for d in problems:
            self.diagnose(d)
        self._consult(("file", path.as_posix(), format, text_digest))
        return source

    def _entry(self, path: Path, format: str) -> tuple[SourceFile | None, list[Diagnostic], str]:
        key = (path, format)
        if key not in self._files:
            from ..result_cache import digest

            unit = Unit()
            source = load_source(path, unit, self.config, format)
            self._files[key] = (source, unit.diagnostics, digest(source.text) if source is not None else "")
        return self._files[key]

    def variables_file(self, path: Path) -> dict[str, HclAttribute]:
        from ..parsers import ParseError
        from ..parsers.terraform_hcl import parse_body
        from ..parsers.terraform_json import parse_tfvars_json

        path = self.directory(path)
        if path not in self._variables_files:
            is_json = path.name.endswith(".json")
            source = self._load(path, "tf-json" if is_json else "hcl")
            attributes = {}
            problems = []
            if source is not None:
                try:
                    with time_budget(self.config.file_time_budget):
                        attributes = parse_tfvars_json(source) if is_json else parse_body(source)[0]
                except ParseError as exc:
                    problems.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
                except BudgetExceeded as exc:
                    problems.append(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
            self._variables_files[path] = (source, attributes, problems)
        else:
            source = self._load(path, "tf-json" if path.name.endswith(".json") else "hcl")
        source, attributes, problems = self._variables_files[path]
        for d in problems:
            self.diagnose(d)
        if source is not None:
            self._use([source])
        return attributes

    def load(self, caller: ModuleSource, call: HclBlock, key: tuple[str, ...]) -> ModuleSource | None:
        from ..adapters.terraform.module import local_source, source_of

        src = source_of(call)
        where = (call.file.path.as_posix(), call.file.line_of(call.span.start))
        name = ".".join(key)
        if src is None:
            self._warn(where, "module-not-followed", f'module "{key[-1]}" has no literal source')
            return None
        if local_source(src):
            target = Path(os.path.normpath(caller.directory / src))
            if self._is_dir(target):
                return self.module_at(target)
            self._warn(where, "module-not-found", f'module "{key[-1]}": no directory {target.as_posix()}')
            return None
        installed = self._installed(caller, name)
        if installed is not None:
            return self.module_at(installed)
        self._warn(
            where, "module-not-followed",
            f'module "{key[-1]}" ({src}) is not followed: run `terraform init` so .terraform/modules/modules.json '
            "lists where it is installed",
        )  # fmt: skip
        return None

    def _installed(self, caller: ModuleSource, key: str) -> Path | None:
        """Where `terraform init` put a module: `.terraform/modules/modules.json` of a root above the caller."""
        from ..result_cache import digest

        for root in (caller.directory, *caller.directory.parents):
            manifest = root / ".terraform" / "modules" / "modules.json"
            is_file = manifest.is_file()
            self._consult(("is-file", manifest.as_posix(), is_file))
            if not is_file:
                continue
            text = _read_text(manifest)
            self._consult(("read", manifest.as_posix(), None, digest(text) if text is not None else ""))
            try:
                entries = json.loads(text or "").get("Modules", [])
            except (ValueError, AttributeError):
                return None
            for entry in entries if isinstance(entries, list) else []:
                if isinstance(entry, dict) and entry.get("Key") == key and isinstance(entry.get("Dir"), str):
                    target = root / entry["Dir"]
                    return target if self._is_dir(target) else None
            return None
        return None

    def _is_dir(self, path: Path) -> bool:
        found = path.is_dir()
        self._consult(("dir", path.as_posix(), found))
        return found

    def _warn(self, where: tuple[str, int], kind: str, message: str) -> None:
        self.diagnose(Diagnostic(where[0], where[1], kind, message, error=False))

    # -- file() ----------------------------------------------------------------------------------------

    def read_file(self, path: Path) -> str | None:
        """Only inside a scanned module directory (symlinks resolved), and not too large."""
        real = Path(os.path.realpath(path))
        if not any(real == d or d in real.parents for d in self._allowed):
            return None
        text = _read_text(real, _MAX_FILE_FUNCTION_BYTES)
        if self._inputs is not None:
            from ..result_cache import digest

            self._consult(("read", real.as_posix(), _MAX_FILE_FUNCTION_BYTES, digest(text) if text is not None else ""))
        return text


def _read_text(path: Path, limit: int | None = None) -> str | None:
    """A regular file's UTF-8 text; None when it is missing, unreadable, not text or over `limit` bytes."""
    try:
        if not path.is_file() or (limit is not None and path.stat().st_size > limit):
            return None
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


READER = TerraformReader()
