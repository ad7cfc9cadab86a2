"""Replay of whole runs (replay.py): a run whose every input is unchanged prints what it printed before without
importing the command line; any changed input, and only that, gives a run in full, exactly as without it.

The end-to-end tests run the installed `iac-exposure` script, as pre-commit does, in a copy of the fixtures.
Each test that expects a run in full also checks that the record kept its key (same file under runs/), so the
miss comes from checking the recorded inputs, not from a key that happened to change."""

from __future__ import annotations

import marshal
import os
import pty
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from iac_exposure import replay

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "iac-exposure"
STACK = "fixtures/terraform/stack"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project directory, with a copy of the stack fixture and of the modules example."""
    root = tmp_path / "project"
    shutil.copytree(ROOT / STACK, root / STACK)
    shutil.copytree(ROOT / "fixtures/terraform_modules_example", root / "fixtures/terraform_modules_example")
    return root


class Runner:
    def __init__(self, cwd: Path, cache: Path) -> None:
        self.cwd, self.cache = cwd, cache
        self.env = {**os.environ, "IAC_EXPOSURE_CACHE_DIR": str(cache), "PYTHONPROFILEIMPORTTIME": "1"}

    def __call__(self, *args: str, **kw: Any) -> tuple[int, str, str, bool]:
        """Exit code, standard output, standard error without the import times, and whether it was replayed."""
        done = subprocess.run(
            [str(SCRIPT), *args], cwd=self.cwd, env=self.env, capture_output=True, text=True, check=False, **kw
        )
        lines = done.stderr.splitlines(keepends=True)
        imported = {line.split("|")[-1].strip() for line in lines if line.startswith("import time:")}
        err = "".join(line for line in lines if not line.startswith("import time:"))
        assert "iac_exposure.replay" in imported
        return done.returncode, done.stdout, err, "iac_exposure.cli" not in imported

    def records(self) -> set[Path]:
        runs = self.cache / "runs"
        return {p for p in runs.glob("??/*")} if runs.exists() else set()


@pytest.fixture
def run(project: Path, tmp_path: Path) -> Runner:
    assert SCRIPT.exists(), "the package's script is installed with it"
    return Runner(project, tmp_path / "cache")


def fresh(run: Runner, *args: str) -> tuple[int, str, str, bool]:
    """The same scan with no cache at all."""
    code, out, err, replayed = run(*args, "--no-cache")
    assert not replayed
    return code, out, err, replayed


def test_an_unchanged_run_is_replayed_without_importing_the_command_line(run: Runner) -> None:
    first = run("scan", f"{STACK}/compute.tf", "--format", "json")
    assert not first[3] and first[0] == 1 and first[1]
    assert len(run.records()) == 1
    again = run("scan", f"{STACK}/compute.tf", "--format", "json")
    assert again[3], "replayed"
    assert again[:3] == first[:3]
    assert first[:3] == fresh(run, "scan", f"{STACK}/compute.tf", "--format", "json")[:3]


def test_text_output_and_its_standard_error_are_replayed(run: Runner, project: Path) -> None:
    (project / STACK / "broken.tf").write_text('resource "aws_instance" "x" {\n')  # a diagnostic on stderr
    first = run("scan", STACK, "--verbose")
    assert first[0] == 2 and "broken.tf" in first[1] + first[2]
    again = run("scan", STACK, "--verbose")
    assert again[3] and again[:3] == first[:3]


def test_help_is_replayed(run: Runner) -> None:
    first = run("scan", "--help")
    again = run("scan", "--help")
    assert first[0] == 0 and "Usage:" in first[1] and not first[3]
    assert again[3] and again[:3] == first[:3]


def _settle() -> None:
    """Let the clock move past the records' times, so a write gets a change time of its own."""
    time.sleep(0.02)


@pytest.mark.parametrize("replacement", ['"1.0.0.0/8"', '"10.0.0.0/8"'], ids=["same size", "longer"])
def test_a_changed_file_is_a_run_in_full(run: Runner, project: Path, replacement: str) -> None:
    args = ("scan", STACK, "--format", "json")
    before = run(*args)
    records = run.records()
    target = project / STACK / "security.tf"
    text = target.read_text()
    assert '"0.0.0.0/0"' in text
    _settle()
    target.write_text(text.replace('"0.0.0.0/0"', replacement))
    after = run(*args)
    assert not after[3] and after[:3] == fresh(run, *args)[:3] and after[1] != before[1]
    assert run.records() == records  # the same key: the recorded inputs told it apart
    assert run(*args)[3]  # and the new run is recorded in turn


def test_a_new_file_in_a_scanned_directory_is_a_run_in_full(run: Runner, project: Path) -> None:
    args = ("scan", STACK, "--format", "json")
    before = run(*args)
    records = run.records()
    shutil.copy(project / STACK / "compute.tf", project / STACK / "compute2.tf")
    after = run(*args)
    assert not after[3] and after[:3] == fresh(run, *args)[:3] and after[1] != before[1]
    assert run.records() == records


def test_a_new_config_file_above_is_a_run_in_full(run: Runner, project: Path) -> None:
    args = ("scan", f"{STACK}/compute.tf", "--format", "json")
    before = run(*args)
    records = run.records()
    (project / ".iac-exposure.toml").write_text('ignore = ["remote_access_open"]\n')
    after = run(*args)
    assert not after[3] and after[:3] == fresh(run, *args)[:3] and after[1] != before[1]
    assert run.records() == records


def test_a_changed_called_module_is_a_run_in_full(run: Runner, project: Path) -> None:
    example = project / "fixtures/terraform_modules_example"
    args = ("scan", "fixtures/terraform_modules_example/envs/prod", "--format", "json")
    before = run(*args)
    records = run.records()
    called = example / "modules/compute/main.tf"  # not in the directory named
    _settle()
    called.write_text(
        called.read_text().replace(
            "  tags = {", '  metadata_options {\n    http_tokens = "required"\n  }\n\n  tags = {'
        )
    )
    after = run(*args)
    assert not after[3] and after[:3] == fresh(run, *args)[:3] and after[1] != before[1]
    assert "imdsv1" in before[1] and "imdsv1" not in after[1]
    assert run.records() == records


def test_another_environment_is_another_record(run: Runner) -> None:
    args = ("scan", f"{STACK}/compute.tf", "--format", "json")
    run(*args)
    run.env["NO_COLOR"] = "1"
    assert not run(*args)[3]
    assert len(run.records()) == 2


@pytest.mark.parametrize(
    "extra",
    [("--no-cache",), ("--output", "report.json"), ("--fix", "--unsafe-fixes"), ("--write-baseline", "base.json")],
)
def test_runs_that_write_files_or_use_no_cache_are_not_recorded(run: Runner, extra: tuple[str, ...]) -> None:
    run("scan", STACK, *extra)
    assert run.records() == set()


def test_a_terminal_run_is_not_recorded(run: Runner) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [str(SCRIPT), "scan", STACK], cwd=run.cwd, env=run.env, stdout=follower, stderr=subprocess.PIPE,
            check=False,
        )  # fmt: skip
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 1
    assert run.records() == set()


def test_a_damaged_record_is_a_run_in_full(run: Runner) -> None:
    args = ("scan", f"{STACK}/compute.tf", "--format", "json")
    before = run(*args)
    (record,) = run.records()
    data = record.read_bytes()
    flipped = bytearray(data)
    flipped[len(replay._MAGIC) + 100] ^= 1  # a bit of the recorded output: the length and the shape still hold
    for damaged in (data[:20], data[:-10], b"junk" + data[4:], data[:-40] + b"\x00" * 40, data + b"\x00", flipped):
        record.write_bytes(damaged)
        after = run(*args)
        assert not after[3] and after[:3] == before[:3]


def test_workers_report_what_they_read(run: Runner, project: Path) -> None:
    args = ("scan", "fixtures", "--format", "json", "--jobs", "2")
    before = run(*args)
    assert run(*args)[3]
    records = run.records()
    (record,) = records
    opened = {item[1] for item in _inputs(record) if item[0] == "open"}
    assert {str(p.relative_to(project)) for p in (project / "fixtures").rglob("*.tf")} <= opened
    _settle()
    target = project / STACK / "security.tf"
    target.write_text(target.read_text().replace("0.0.0.0/0", "10.0.0.0/8"))
    after = run(*args)
    assert not after[3] and after[1] != before[1] and run.records() == records


def _inputs(record: Path) -> list[tuple[Any, ...]]:
    data = record.read_bytes()
    size, length, _ = replay._TAIL.unpack_from(data, len(data) - replay._TAIL.size)
    start = len(replay._MAGIC) + size
    inputs: list[tuple[Any, ...]] = marshal.loads(data[start : start + length])[1]
    return inputs


# --- in this process ------------------------------------------------------------------------------------------


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("IAC_EXPOSURE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def record(argv: list[str], body: Any) -> None:
    def run() -> None:
        body()
        raise SystemExit(0)

    with pytest.raises(SystemExit):
        replay.main(argv, run)


def stored(cache: Path) -> list[Path]:
    return sorted((cache / "runs").glob("??/*"))


def test_a_forked_worker_s_reads_are_recorded(cache: Path, tmp_path: Path) -> None:
    target = tmp_path / "read-by-a-worker.tf"
    target.write_text("x")

    def body() -> None:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                target.read_text()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)

    record(["test", "worker"], body)
    (entry,) = stored(cache)
    assert ("open", str(target)) in {item[:2] for item in _inputs(entry)}


def unseen(change: Any) -> None:
    """A change made by someone else while the run goes on (not seen by the recorder)."""
    active, replay._active = replay._active, None
    try:
        change()
    finally:
        replay._active = active


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda t: subprocess.run(["true"], check=True), id="a process"),
        pytest.param(lambda t: (t / "out.txt").write_text("x"), id="a write"),
        pytest.param(lambda t: unseen(lambda: (t / "in.txt").write_text("xy")), id="an input changed"),
        pytest.param(lambda t: unseen(lambda: (t / "in.txt").unlink()), id="an input removed"),
    ],
)
def test_runs_that_reach_out_or_change_their_inputs_are_not_recorded(cache: Path, tmp_path: Path, spoil: Any) -> None:
    (tmp_path / "in.txt").write_text("x")

    def body() -> None:
        (tmp_path / "in.txt").read_text()
        spoil(tmp_path)

    record(["test", "spoilt"], body)
    assert stored(cache) == []
    (tmp_path / "in.txt").write_text("x")
    record(["test", "clean"], lambda: (tmp_path / "in.txt").read_text())
    assert len(stored(cache)) == 1  # the same run without it is


def test_a_file_is_trusted_on_its_status_only_once_settled(tmp_path: Path) -> None:
    target = tmp_path / "f.tf"
    target.write_text("abc")
    then = replay._file(str(target))
    item = ("open", str(target), then, "not the digest of the content")
    long_after = then[3] + 10 * replay._SETTLED
    assert replay._still(long_after, item)  # status alone: the content is not read
    assert not replay._still(then[3], item)  # changed too recently: the content is hashed, and differs
    honest = ("open", str(target), then, replay._content(str(target)))
    assert replay._still(then[3], honest)
    time.sleep(0.02)
    target.write_text("abd")  # same size, new change time
    assert not replay._still(long_after, honest)


def test_a_cold_run_with_parsing_and_analysis_in_workers_is_recorded(run: Runner, project: Path) -> None:
    """Enough files for the parse workers (a multiprocessing pool) and the analysis workers (parallel.py):
    their scratch files, their removal and the pool's stopping of its workers do not spoil the record."""
    template = (project / STACK / "compute.tf").read_text()
    for root in range(8):
        for index in range(9):
            name = f"many/root{root}/file{index}.tf"
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(template.replace('"web"', f'"web{index}"'))
    args = ("scan", "many", "--format", "json", "--jobs", "2")
    first = run(*args)
    assert len(run.records()) == 1
    again = run(*args)
    assert again[3] and again[:3] == first[:3]


def test_a_run_that_ran_out_of_time_is_not_recorded(cache: Path) -> None:
    from iac_exposure.limits import BudgetExceeded, time_budget

    def body() -> None:
        with pytest.raises(BudgetExceeded), time_budget(0.01):
            while True:
                pass

    record(["test", "budget"], body)
    assert stored(cache) == []
    record(["test", "said"], lambda: replay.unrepeatable("an internal error"))
    assert stored(cache) == []


@pytest.mark.parametrize(
    ("argv", "root"),
    [
        (["scan", "x.tf", "--cache-dir", "c1"], "c1"),
        (["scan", "--cache-dir=c2", "x.tf"], "c2"),
        (["scan", "--cache-dir", "c1", "--cache-dir", "c3"], "c3"),  # the last one, as click takes it
        (["scan", "--no-cache", "x.tf"], None),
        (["scan", "--", "--no-cache"], "env"),  # a path named --no-cache
    ],
)
def test_the_caches_are_found_in_the_arguments_as_the_command_line_reads_them(
    cache: Path, argv: list[str], root: str | None
) -> None:
    expected = None if root is None else str(cache) if root == "env" else os.path.abspath(root)
    assert replay._cache_root(argv) == expected
