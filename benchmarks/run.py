#!/usr/bin/env python3
"""iac-exposure against Checkov 3.3.x, side by side, on a generated corpus (issue 10's scenarios).

    python benchmarks/run.py --quick          # every scenario on a 200-file subset, small n: a few minutes
    python benchmarks/run.py                  # the real thing: 2,201 .tf files; Checkov alone needs ~6 min a run
    python benchmarks/run.py --only precommit,cfn --n 11

Standard library only. The corpus comes from `gen_corpus.py` (next to this file) with a fixed seed and is
kept in the cache directory; Checkov is installed into its own virtual environment there (it pins its
own fork of python-hcl2, which cannot live next to ours) unless `--checkov PATH` names one.

Every scenario runs A (iac-exposure) and B (Checkov) in turn, A B A B …, after one untimed warm-up of
each (except the long corpus runs). Wall time is `time.perf_counter()` around the child process; peak
RSS is GNU time's `%M` (the largest single process of the child's tree, so per worker under `--jobs`).
The ratio column is the median of the per-pair ratios Checkov ÷ iac-exposure ("× faster").
Capabilities still being built (cache, `--jobs`, CloudFormation) are detected, never assumed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SEED = 1
CHECKOV_SPEC = "checkov>=3.3,<3.4"
CHECKOV_FLAGS = ("--quiet", "--compact", "-o", "json", "--skip-download")
QUICK_STACKS = 20  # 20 directories × 10 files (+ their common.tf and the shared module): the 200-file subset
PRECOMMIT_FILE = "tf/stack_0000/file00.tf"  # 4.0 KB, like the corpus average
CFN_FILE = "cfn/yaml/t0000.yaml"
BIG_FILE = "big/big.tf"
EDITED_FILE = "tf/stack_0100/file05.tf"
GNU_TIME = Path("/usr/bin/time")

FULL_N = {"short": 7, "corpus": 3, "warm": 5}  # pairs per scenario: short runs, cold corpus, warm corpus
QUICK_N = {"short": 3, "corpus": 2, "warm": 3}
SCENARIOS = (
    "precommit", "cache-hit", "cfn", "version", "help", "corpus-cold", "corpus-warm", "corpus-edit", "memory", "big"
)  # fmt: skip

Argv = list[str]
Factory = Callable[[], Argv]  # builds the command line of one run (untimed setup, e.g. a fresh cache dir)


@dataclass(frozen=True)
class Sample:
    wall: float  # seconds, perf_counter around the child
    cpu: float  # user + sys of the child and its children, seconds
    rss_mib: float  # peak RSS of the largest process in the child's tree
    rc: int
    killed: str = ""  # why the watchdog killed it ("" if it was not)
    stdout: Path | None = None


@dataclass
class Row:
    scenario: str
    target: str
    ours: list[Sample] = field(default_factory=list)
    theirs: list[Sample] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    met: str = "–"
    status: str = ""  # replaces iac-exposure's numbers: "not implemented", "not supported yet"
    timed: bool = True  # False: the row reports memory only (its runs' times are another row's)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Features:
    """What `iac-exposure scan --help` offers: the benchmark adapts, it never assumes."""

    jobs: bool
    no_cache: bool
    cache_dir: bool

    @property
    def cache(self) -> bool:
        return self.no_cache or self.cache_dir


# --------------------------------------------------------------------------- #
# Measuring one run
# --------------------------------------------------------------------------- #
def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """pid and its descendants (Linux /proc), for the watchdog."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            todo.extend(int(c) for c in Path(f"/proc/{current}/task/{current}/children").read_text().split())
        except (OSError, ValueError):
            pass
    return found


class Watchdog(threading.Thread):
    """Kills the child's process group past a time or per-process RSS limit, so a runaway run
    cannot take the shared machine down; remembers the largest RSS it saw."""

    def __init__(self, pid: int, timeout: float, rss_limit_mib: float | None) -> None:
        super().__init__(daemon=True)
        self.pid, self.timeout, self.rss_limit_mib = pid, timeout, rss_limit_mib
        self.done = threading.Event()
        self.killed = ""
        self.seen_mib = 0.0

    def run(self) -> None:
        start = time.monotonic()
        while not self.done.wait(0.1):
            rss = max((_rss_kib(p) for p in _tree(self.pid)), default=0) / 1024
            self.seen_mib = max(self.seen_mib, rss)
            if self.rss_limit_mib is not None and rss > self.rss_limit_mib:
                self._kill(f"killed: one process exceeded {self.rss_limit_mib:.0f} MiB RSS")
            elif time.monotonic() - start > self.timeout:
                self._kill(f"killed: still running after {self.timeout:.0f} s")

    def _kill(self, why: str) -> None:
        if self.done.is_set() or self.killed:
            return
        self.killed = why
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def measure(
    argv: Argv, *, cwd: Path, env: dict[str, str], scratch: Path, timeout: float, rss_limit_mib: float | None
) -> Sample:
    out = Path(tempfile.mkstemp(dir=scratch, prefix="stdout-")[1])
    err = out.with_name(out.name.replace("stdout-", "stderr-"))
    rss_file = out.with_name(out.name.replace("stdout-", "rss-"))
    full = [str(GNU_TIME), "-f", "%M", "-o", str(rss_file), *argv] if GNU_TIME.exists() else argv
    with out.open("wb") as fout, err.open("wb") as ferr:
        start = time.perf_counter()
        proc = subprocess.Popen(
            full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=fout, stderr=ferr, start_new_session=True
        )
        dog = Watchdog(proc.pid, timeout, rss_limit_mib)
        dog.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        dog.done.set()
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    if GNU_TIME.exists():  # it passes the command's exit status on
        rss = _gnu_time_rss(rss_file)
        rss_mib = rss if rss is not None else dog.seen_mib
    else:  # ru_maxrss also counts this runner's own RSS, inherited through fork: a floor of ~15 MiB
        rss_mib = usage.ru_maxrss / 1024
    if rc not in (0, 1, 2) or dog.killed:
        tail = err.read_text(errors="replace").strip().splitlines()[-3:]
        _progress(f"    ! rc={rc} {dog.killed} {' | '.join(tail)}")
    for leftover in (err, rss_file):
        leftover.unlink(missing_ok=True)
    return Sample(wall, usage.ru_utime + usage.ru_stime, rss_mib, rc, dog.killed, out)


def _gnu_time_rss(path: Path) -> float | None:
    for line in reversed(path.read_text().splitlines() if path.exists() else []):
        if line.strip().isdigit():
            return int(line) / 1024
    return None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


# --------------------------------------------------------------------------- #
# Set-up: corpus and Checkov
# --------------------------------------------------------------------------- #
def ensure_corpus(cache: Path, quick: bool) -> Path:
    """The seed-1 corpus (generated once, atomically), or its 200-file subset for --quick."""
    full = cache / f"corpus-seed{SEED}"
    if not (full / ".complete").exists():
        _progress(f"generating the corpus (seed {SEED}) into {full} …")
        partial = Path(tempfile.mkdtemp(dir=cache, prefix="corpus-partial-"))
        subprocess.run(
            [sys.executable, str(HERE / "gen_corpus.py"), "--out", str(partial), "--seed", str(SEED)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        (partial / ".complete").write_text(f"gen_corpus.py --seed {SEED}\n")
        shutil.rmtree(full, ignore_errors=True)
        partial.rename(full)
    if not quick:
        return full
    subset = cache / f"corpus-seed{SEED}-quick"
    if not (subset / ".complete").exists():
        shutil.rmtree(subset, ignore_errors=True)
        for stack in sorted((full / "tf").glob("stack_*"))[:QUICK_STACKS]:
            shutil.copytree(stack, subset / "tf" / stack.name)
        shutil.copytree(full / "tf" / "modules", subset / "tf" / "modules")
        for rel in (CFN_FILE, BIG_FILE):
            (subset / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(full / rel, subset / rel)
        (subset / ".complete").write_text(f"first {QUICK_STACKS} stacks of {full.name}\n")
    return subset


def ensure_checkov(cache: Path, given: str | None) -> Path:
    if given:
        return Path(_absolute([given])[0])
    venv = cache / "checkov-venv"
    exe = venv / "bin" / "checkov"
    if not exe.exists():
        _progress(f"installing {CHECKOV_SPEC} into {venv} (a few minutes) …")
        log = cache / "checkov-install.log"
        with log.open("w") as fh:
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=fh, stderr=fh)
            done = subprocess.run(
                [str(venv / "bin" / "pip"), "install", CHECKOV_SPEC], check=False, stdout=fh, stderr=fh
            )
        if done.returncode != 0 or not exe.exists():
            sys.exit(f"Checkov install failed; see {log}")
    return exe


def first_line(argv: Argv, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(argv, check=False, capture_output=True, text=True, env=env)
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def _absolute(argv: Argv) -> Argv:
    """Commands run from the corpus directory: a relative executable path must not change meaning."""
    head = argv[0]
    if "/" in head and Path(head).exists():
        head = str(Path(head).resolve())
    return [head, *argv[1:]]


def default_ours() -> str:
    local = Path(sys.prefix) / "bin" / "iac-exposure"
    found = str(local) if local.exists() else shutil.which("iac-exposure")
    if not found:
        sys.exit("no iac-exposure in this virtual environment or on PATH: install it, or pass --iac-exposure CMD")
    return found


# --------------------------------------------------------------------------- #
# The bench
# --------------------------------------------------------------------------- #
class Bench:
    def __init__(self, args: argparse.Namespace, corpus: Path, checkov: Path, scratch: Path) -> None:
        self.args, self.corpus, self.checkov_exe, self.scratch = args, corpus, checkov, scratch
        self.ours_cmd = _absolute(shlex.split(args.iac_exposure))
        # Our runs get a private cache home: a default cache dir must never be the user's own.
        self.env = dict(os.environ, XDG_CACHE_HOME=str(scratch / "xdg-cache"))
        self.checkov_env = dict(os.environ)
        self.samples: dict[str, list[Sample]] = {}  # reused across scenarios ("checkov:corpus", …)
        self.features = self._features()
        self.primed = self._primed_cache()
        self.tf_files = sum(1 for _ in (corpus / "tf").rglob("*.tf"))

    # ---- commands
    def ours(self, *args: str) -> Argv:
        return [*self.ours_cmd, *args]

    def checkov(self, *args: str) -> Argv:
        return [str(self.checkov_exe), *args, *CHECKOV_FLAGS]

    def cold(self, *args: str) -> Factory:
        """A scan with an empty cache: a fresh --cache-dir per run (holding only what a scan of an
        unrelated file leaves, so tool-wide state such as a grammar cache is warm), else --no-cache."""
        if self.features.cache_dir:

            def fresh() -> Argv:
                directory = Path(tempfile.mkdtemp(dir=self.scratch, prefix="cold-cache-"))
                shutil.copytree(self.primed, directory, dirs_exist_ok=True)
                return self.ours(*args, "--cache-dir", str(directory))

            return fresh
        extra = ("--no-cache",) if self.features.no_cache else ()
        return lambda: self.ours(*args, *extra)

    def warm(self, *args: str) -> Factory:
        """A scan whose cache already holds every file: one untimed run fills it."""
        extra: tuple[str, ...] = ()
        if self.features.cache_dir:
            extra = ("--cache-dir", tempfile.mkdtemp(dir=self.scratch, prefix="warm-cache-"))
        argv = self.ours(*args, *extra)
        self.run(argv, "fill the cache")
        return lambda: argv

    def _features(self) -> Features:
        help_text = subprocess.run(
            self.ours("scan", "--help"), check=False, capture_output=True, text=True, env=self.env
        )
        text = help_text.stdout
        return Features(jobs="--jobs" in text, no_cache="--no-cache" in text, cache_dir="--cache-dir" in text)

    def _primed_cache(self) -> Path:
        primed = self.scratch / "primed-cache"
        primed.mkdir()
        if self.features.cache_dir:
            prime = self.scratch / "prime" / "prime.tf"
            prime.parent.mkdir()
            prime.write_text('variable "prime" {\n  default = "x"\n}\n')
            self.run(self.ours("scan", str(prime), "--format", "json", "--cache-dir", str(primed)), "prime")
        return primed

    def show(self, factory: Factory) -> str:
        """A scenario's command line for the notes, its per-run scratch directories named generically."""
        argv = factory()
        shown = [
            ("$SCRATCH/" + Path(a).name.split("-cache-")[0] + "-cache") if a.startswith(str(self.scratch)) else a
            for a in argv
        ]
        return shlex.join(shown)

    # ---- running
    def run(
        self, argv: Argv, label: str, *, checkov: bool = False, timeout: float | None = None, keep: bool = False
    ) -> Sample:
        """One measured run; its stdout is kept only when asked (Checkov's JSON for the corpus is ~100 MB)."""
        sample = measure(
            argv,
            cwd=self.corpus,
            env=self.checkov_env if checkov else self.env,
            scratch=self.scratch,
            timeout=timeout or self.args.timeout,
            rss_limit_mib=None if checkov else self.args.rss_limit_mb,
        )
        _progress(f"  {label:28} {sample.wall:8.3f} s {sample.rss_mib:7.1f} MiB rc={sample.rc}")
        for stale in self.scratch.glob("cold-cache-*"):
            shutil.rmtree(stale, ignore_errors=True)
        if sample.stdout and not keep:
            sample.stdout.unlink()
            sample = dataclasses.replace(sample, stdout=None)
        return sample

    def alternate(self, name: str, a: Factory, b: Factory | None, n: int, warmup: bool) -> Row:
        row = Row(name, TARGETS[name])
        if warmup:
            self.run(a(), f"{name} A warm-up")
            if b is not None:
                self.run(b(), f"{name} B warm-up", checkov=True)
        for i in range(1, n + 1):
            row.ours.append(self.run(a(), f"{name} A {i}/{n} iac-exposure"))
            if b is not None:
                row.theirs.append(self.run(b(), f"{name} B {i}/{n} checkov", checkov=True))
                row.ratios.append(row.theirs[-1].wall / row.ours[-1].wall)
        shape = f"n={n} alternating pairs" if b is not None else f"n={n} runs of `{self.show(a)}`"
        shape += ", after one untimed warm-up run each" if warmup else ""
        cpu = f"; median CPU (user+sys) iac-exposure {median([s.cpu for s in row.ours]):.3f} s"
        cpu += f", Checkov {median([s.cpu for s in row.theirs]):.3f} s" if row.theirs else ""
        row.notes.append(shape + cpu)
        return row

    def n(self, kind: str) -> int:
        defaults = QUICK_N if self.args.quick else FULL_N
        return int(self.args.n or defaults[kind])

    # ---- scenarios
    def precommit(self) -> Row:
        ours, theirs = (
            self.cold("scan", PRECOMMIT_FILE, "--format", "json"),
            self.checkov_f(PRECOMMIT_FILE, "terraform"),
        )
        row = self.alternate("precommit", ours, theirs, self.n("short"), warmup=True)
        self.samples["ours:precommit"] = row.ours
        size = (self.corpus / PRECOMMIT_FILE).stat().st_size / 1024
        row.notes.append(f"`{self.show(ours)}` vs `{self.show(theirs)}`; the file is {size:.1f} KB")
        row.notes.append(
            f"iac-exposure reads the file's module ({self._module_size(PRECOMMIT_FILE)}) and parses the files of it "
            "that can matter to the named one; Checkov -f reads only the file"
        )
        return self.judge(row, max_wall=0.350, min_ratio=8)

    def cache_hit(self) -> Row:
        if not self.features.cache:
            return self.unsupported(
                "cache-hit", "not implemented", "`scan --help` has neither --no-cache nor --cache-dir"
            )
        ours = self.warm("scan", PRECOMMIT_FILE, "--format", "json")
        row = self.alternate("cache-hit", ours, None, self.n("short"), warmup=True)
        row.notes.append(f"`{self.show(ours)}`, cache filled by one untimed run; {self._hcl2_imported(ours())}")
        return self.judge(row, max_wall=0.080)

    def cfn(self) -> Row:
        probe = self.run(self.ours("scan", CFN_FILE, "--format", "json"), "cfn support probe", keep=True)
        scanned = _files_scanned(probe)
        if not scanned:
            return self.unsupported(
                "cfn", "not supported yet", f"`scan {CFN_FILE}` reports summary.files_scanned = {scanned}"
            )
        ours, theirs = self.cold("scan", CFN_FILE, "--format", "json"), self.checkov_f(CFN_FILE, "cloudformation")
        row = self.alternate("cfn", ours, theirs, self.n("short"), warmup=True)
        row.notes.append(f"`{self.show(ours)}` vs `{self.show(theirs)}`")
        return self.judge(row, min_ratio=4)

    def version(self) -> Row:
        row = self.alternate("version", lambda: self.ours("--version"), None, self.n("short"), warmup=True)
        return self.judge(row, max_wall=0.100)

    def help(self) -> Row:
        row = self.alternate("help", lambda: self.ours("--help"), None, self.n("short"), warmup=True)
        first = [self._unrecorded(self.ours("--help")) for _ in range(self.n("short"))]
        row.notes.append(
            "the warm-up run records the help text, later runs replay it; a first run (an empty cache "
            f"directory each time): median {median([s.wall for s in first]):.3f} s"
        )
        return self.judge(row, max_wall=0.100)

    def _unrecorded(self, argv: Argv) -> Sample:
        """One run with an empty cache directory of its own (nothing recorded to replay)."""
        fresh = tempfile.mkdtemp(dir=self.scratch, prefix="fresh-cache-")
        env = dict(self.env, IAC_EXPOSURE_CACHE_DIR=fresh)
        return measure(argv, cwd=self.corpus, env=env, scratch=self.scratch, timeout=600, rss_limit_mib=None)

    def corpus_cold(self) -> Row:
        jobs = ("--jobs", "2") if self.features.jobs else ()
        ours, theirs = self.cold("scan", "tf", "--format", "json", *jobs), self.checkov_d()
        row = self.alternate("corpus-cold", ours, theirs, self.n("corpus"), warmup=False)
        self.samples["ours:corpus-cold"], self.samples["checkov:corpus"] = row.ours, row.theirs
        row.notes.append(f"{self.tf_files} .tf files; `{self.show(ours)}` vs `{self.show(theirs)}`")
        if not self.features.jobs:
            row.notes.append("`scan --help` has no --jobs: iac-exposure ran in one process, not 2 workers")
        return self.judge(row, min_ratio=15)

    def corpus_warm(self) -> Row:
        if not self.features.cache:
            return self.unsupported(
                "corpus-warm", "not implemented", "`scan --help` has neither --no-cache nor --cache-dir"
            )
        jobs = ("--jobs", "2") if self.features.jobs else ()
        ours = self.warm("scan", "tf", "--format", "json", *jobs)
        if "checkov:corpus" in self.samples:  # Checkov has no cache: its cold runs are the comparison
            row = self.alternate("corpus-warm", ours, None, self.n("warm"), warmup=False)
            row.theirs = self.samples["checkov:corpus"]
            row.ratios = [median([s.wall for s in row.theirs]) / median([s.wall for s in row.ours])]
            row.notes.append("Checkov has no cache: ratio of medians against its runs in corpus-cold")
        else:
            row = self.alternate("corpus-warm", ours, self.checkov_d(), self.n("warm"), warmup=False)
        rate = self.tf_files / median([s.wall for s in row.ours])
        row.notes.append(f"`{self.show(ours)}`: {rate:,.0f} files/s")
        row = self.judge(row, min_ratio=100)
        if row.met == "yes" and rate < 5000:
            row.met = f"no ({rate:,.0f} files/s < 5,000)"
        return row

    def corpus_edit(self) -> Row:
        """The warm corpus with one file edited before each run: not a replay of the run before; the other
        root modules' stored results are reused, the edited one's computed."""
        if not self.features.cache:
            return self.unsupported(
                "corpus-edit", "not implemented", "`scan --help` has neither --no-cache nor --cache-dir"
            )
        jobs = ("--jobs", "2") if self.features.jobs else ()
        warm = self.warm("scan", "tf", "--format", "json", *jobs)
        target = self.corpus / EDITED_FILE
        original = target.read_text()
        edits = iter(range(1_000_000))

        def edited() -> Argv:
            target.write_text(original + f"\n# edit {next(edits)}\n")
            return warm()

        try:
            row = self.alternate("corpus-edit", edited, None, self.n("warm"), warmup=False)
        finally:
            target.write_text(original)
        rate = self.tf_files / median([s.wall for s in row.ours])
        row.notes.append(f"`{self.show(warm)}`, {EDITED_FILE} edited before each run: {rate:,.0f} files/s")
        return self.judge(row)

    def memory(self) -> Row:
        row = Row("memory", TARGETS["memory"], timed=False)
        jobs = ("--jobs", "2") if self.features.jobs else ()
        runs = (
            ("ours:precommit", self.cold("scan", PRECOMMIT_FILE, "--format", "json"), "one module"),
            ("ours:corpus-cold", self.cold("scan", "tf", "--format", "json", *jobs), "whole corpus"),
        )
        for key, factory, label in runs:
            samples = self.samples.get(key) or [self.run(factory(), f"memory {label}")]
            row.notes.append(f"iac-exposure peak RSS per process, {label}: {max(s.rss_mib for s in samples):.1f} MiB")
            row.ours = samples  # the last, the corpus, is the one in the table
        checkov = self.samples.get("checkov:corpus")
        row.theirs = checkov or [self.run(self.checkov_d()(), "memory checkov corpus", checkov=True)]
        peak = max(s.rss_mib for s in row.ours)
        row.met = "yes" if peak <= 60 else f"no ({peak:.0f} MiB > 60)"
        row.notes.append("peaks of the precommit and corpus-cold runs when they ran, else of one run each")
        return row

    def big(self) -> Row:
        row = Row("big", TARGETS["big"])
        timeout = self.args.big_timeout or (120 if self.args.quick else 600)
        sample = self.run(
            self.cold("scan", BIG_FILE, "--format", "json")(), "big iac-exposure", timeout=timeout, keep=True
        )
        row.ours = [sample]
        size = (self.corpus / BIG_FILE).stat().st_size / 1e6
        outcome = sample.killed or _big_outcome(sample)
        row.notes.append(
            f"{BIG_FILE} ({size:.2f} MB), 1 run (killed after {timeout:.0f} s), iac-exposure only: {outcome}"
        )
        ok = not sample.killed and sample.rc in (0, 1, 2) and _files_scanned(sample) is not None
        if not ok:
            row.met = f"no ({outcome})"
        elif sample.rss_mib > 1024:
            row.met = f"no ({sample.rss_mib:.0f} MiB > 1 GiB)"
        else:
            row.met = "yes"
        return row

    # ---- helpers
    def checkov_f(self, path: str, framework: str) -> Factory:
        return lambda: self.checkov("-f", path, "--framework", framework)

    def checkov_d(self) -> Factory:
        return lambda: self.checkov("-d", "tf", "--framework", "terraform")

    def unsupported(self, name: str, status: str, why: str) -> Row:
        row = Row(name, TARGETS[name], status=status)
        row.notes.append(f"{status}: {why}")
        return row

    def judge(self, row: Row, *, max_wall: float | None = None, min_ratio: float | None = None) -> Row:
        wall, ratio = median([s.wall for s in row.ours]), median(row.ratios)
        misses = []
        if max_wall is not None and wall > max_wall:
            misses.append(f"{wall * 1000:.0f} ms > {max_wall * 1000:.0f} ms")
        if min_ratio is not None and not ratio >= min_ratio:
            misses.append(f"{ratio:.1f}× < {min_ratio:g}×")
        if any(s.rc not in (0, 1) for s in row.ours):
            misses.append("iac-exposure exit codes " + ",".join(sorted({str(s.rc) for s in row.ours})))
        row.met = "no (" + "; ".join(misses) + ")" if misses else "yes"
        return row

    def _module_size(self, rel: str) -> str:
        files = list((self.corpus / rel).parent.glob("*.tf"))
        return f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1024:.0f} KB"

    def _hcl2_imported(self, argv: Argv) -> str:
        """One extra untimed run under PYTHONPROFILEIMPORTTIME (same as -X importtime): was hcl2 imported?"""
        env = dict(self.env, PYTHONPROFILEIMPORTTIME="1")
        done = subprocess.run(argv, check=False, cwd=self.corpus, env=env, capture_output=True, text=True)
        lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
        if not lines:
            return "could not tell whether hcl2 was imported (no importtime output)"
        hit = any(line.rstrip().endswith((" hcl2", " lark")) for line in lines)
        return "hcl2 WAS imported on the cache hit" if hit else "hcl2 not imported"


def _report(sample: Sample) -> dict[str, Any] | None:
    """The JSON report a run wrote to stdout, if it wrote one."""
    try:
        data = json.loads(sample.stdout.read_text()) if sample.stdout else None
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _files_scanned(sample: Sample) -> int | None:
    report = _report(sample)
    summary = report.get("summary") if report else None
    return summary.get("files_scanned") if isinstance(summary, dict) else None


def _big_outcome(sample: Sample) -> str:
    report = _report(sample)
    if report is None:
        return f"no JSON report (rc={sample.rc})"
    summary, diagnostics = report.get("summary") or {}, report.get("diagnostics") or []
    said = "; ".join(str(d.get("message", d)) if isinstance(d, dict) else str(d) for d in diagnostics[:2])
    verdict = "completed" if summary.get("files_scanned") and not diagnostics else "diagnostic"
    counts = f"rc={sample.rc}, files_scanned={summary.get('files_scanned')}, findings={summary.get('findings')}"
    return f"{verdict} in {sample.wall:.1f} s, {counts}" + (f", diagnostics: {said}" if said else "")


TARGETS = {
    "precommit": "≤ 350 ms and ≥ 8×",
    "cache-hit": "≤ 80 ms",
    "cfn": "≥ 4×",
    "version": "≤ 100 ms",
    "help": "≤ 100 ms",
    "corpus-cold": "≥ 15×",
    "corpus-warm": "≥ 100×, ≥ 5,000 files/s",
    "corpus-edit": "– (for information)",
    "memory": "≤ 60 MiB per process",
    "big": "completes or skipped, ≤ 1 GiB",
}

TITLES = {
    "precommit": "pre-commit: one changed 4 KB .tf, cold cache",
    "cache-hit": "same file, cache hit",
    "cfn": "one CloudFormation template",
    "version": "`--version`",
    "help": "`--help`",
    "corpus-cold": "whole corpus, cold, 2 workers",
    "corpus-warm": "whole corpus, warm cache",
    "corpus-edit": "whole corpus, warm cache, one file edited before each run",
    "memory": "memory: peak RSS, whole corpus",
    "big": "one 5 MB .tf",
}


# --------------------------------------------------------------------------- #
# Output
# --------------------------------------------------------------------------- #
def _secs(samples: list[Sample]) -> str:
    return f"{median([s.wall for s in samples]):.3f}" if samples else "–"


def _mib(samples: list[Sample]) -> str:
    return f"{max(s.rss_mib for s in samples):.0f}" if samples else "–"


def table(rows: list[Row]) -> str:
    header = (
        "| scenario | iac-exposure median (s) | Checkov median (s) | ratio (Checkov ÷ iac-exposure) "
        "| iac-exposure peak RSS (MiB) | Checkov peak RSS (MiB) | target | met? |"
    )
    lines = [header, "|---|---:|---:|---:|---:|---:|---|---|"]
    for row in rows:
        ours = row.status or (_secs(row.ours) if row.timed else "–")
        theirs = _secs(row.theirs) if row.timed else "–"
        ratio = f"{median(row.ratios):.1f}×" if row.ratios else "–"
        cells = [TITLES[row.scenario], ours, theirs, ratio, _mib(row.ours), _mib(row.theirs), row.target]
        lines.append("| " + " | ".join([*cells, row.met]) + " |")
    return "\n".join(lines)


def conditions(bench: Bench, load_before: str, checkov_version: str) -> str:
    ours_version = first_line(bench.ours("--version"), bench.env)
    mode = f"--quick: {QUICK_STACKS}-directory subset" if bench.args.quick else "full corpus"
    when = time.strftime("%Y-%m-%d %H:%M %Z")
    offers = {
        "--jobs": bench.features.jobs,
        "--no-cache": bench.features.no_cache,
        "--cache-dir": bench.features.cache_dir,
    }
    return "\n".join(
        [
            f"- {when}; {os.cpu_count()} CPUs; Python {platform.python_version()}; "
            + f"load average {load_before} before, {_loadavg()} after",
            f"- {ours_version} (`{bench.args.iac_exposure}`); checkov {checkov_version} (`{bench.checkov_exe}`)",
            f"- corpus: gen_corpus.py seed {SEED}, {mode}, {bench.tf_files} .tf files ({bench.corpus})",
            "- scan --help offers: " + ", ".join(f"{flag} {'yes' if on else 'no'}" for flag, on in offers.items()),
            *_load_warning(load_before),
        ]
    )


def _load_warning(load_before: str) -> list[str]:
    peak = max((float(x) for x in f"{load_before} {_loadavg()}".split() if x.replace(".", "", 1).isdigit()), default=0)
    if peak <= (os.cpu_count() or 1):
        return []
    loaded = f"- the machine was loaded (load average up to {peak:.1f} on {os.cpu_count()} CPUs): "
    return [loaded + "absolute times are inflated, alternating ratios much less; CPU medians (notes) are steadier"]


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small n and the 200-file subset: a few minutes")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="SCENARIO",
        help="run only these (repeatable, comma-separated): " + ", ".join(SCENARIOS),
    )
    parser.add_argument("--n", type=int, help="pairs per scenario (default 7 short / 3 corpus / 5 warm; --quick 3/2/3)")
    parser.add_argument("--iac-exposure", default=None, metavar="CMD", help="default: iac-exposure of this venv")
    parser.add_argument("--checkov", metavar="PATH", help="a checkov executable (default: install into the cache)")
    parser.add_argument("--cache-dir", type=Path, default=HERE / ".cache", help="corpus and Checkov venv live here")
    parser.add_argument("--timeout", type=float, default=1800, help="kill any run after this many seconds")
    parser.add_argument(
        "--big-timeout", type=float, help="kill the big-file run after this (default 120 s quick, 600 s)"
    )
    parser.add_argument("--rss-limit-mb", type=float, default=2048, help="kill an iac-exposure run past this RSS")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every sample as JSON")
    args = parser.parse_args(argv)
    args.only = [s.strip() for value in args.only for s in value.split(",") if s.strip()] or list(SCENARIOS)
    unknown = sorted(set(args.only) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    args.iac_exposure = args.iac_exposure or default_ours()
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    load_before = _loadavg()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(args.cache_dir.resolve(), args.quick)
    needs_checkov = bool({"precommit", "cfn", "corpus-cold", "corpus-warm", "memory"} & set(args.only))
    checkov = ensure_checkov(args.cache_dir.resolve(), args.checkov) if needs_checkov else Path("checkov")
    checkov_version = first_line([str(checkov), "--version"]) if needs_checkov else "not run"
    scratch = args.cache_dir.resolve() / "scratch"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    bench = Bench(args, corpus, checkov, scratch)
    rows = [getattr(bench, name.replace("-", "_"))() for name in SCENARIOS if name in args.only]
    print("\n" + table(rows) + "\n")
    print(conditions(bench, load_before, checkov_version))
    for row in rows:
        for note in row.notes:
            print(f"- {row.scenario}: {note}")
    if args.json:
        dump = [
            {
                "scenario": r.scenario,
                "target": r.target,
                "met": r.met,
                "status": r.status,
                "notes": r.notes,
                "ratios": r.ratios,
                "iac_exposure": [_plain(s) for s in r.ours],
                "checkov": [_plain(s) for s in r.theirs],
            }
            for r in rows
        ]
        args.json.write_text(json.dumps(dump, indent=2) + "\n")
    shutil.rmtree(scratch, ignore_errors=True)


def _plain(sample: Sample) -> dict[str, object]:
    return {
        "wall_s": sample.wall,
        "cpu_s": sample.cpu,
        "peak_rss_mib": sample.rss_mib,
        "rc": sample.rc,
        "killed": sample.killed,
    }


if __name__ == "__main__":
    main()
