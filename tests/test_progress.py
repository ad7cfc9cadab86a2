"""The progress bar: drawn on a real terminal (a pseudo-terminal here) for a long scan; nothing when piped,
in CI, or for a quick scan."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
from pathlib import Path

import pytest

from iac_exposure.progress import ProgressBar, wanted

from .test_config_file import OPEN_SSH


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_draws_after_the_delay_throttled_and_erases_itself() -> None:
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar(out, delay=0.5, interval=0.1, clock=clock)
    bar(1, 10)
    assert out.getvalue() == ""  # a quick scan never shows a bar
    clock.now = 0.6
    bar(2, 10)
    clock.now = 0.65
    bar(3, 10)  # throttled
    clock.now = 0.8
    bar(10, 10)
    frames = out.getvalue().split("\r")[1:]
    assert [f.split("] ")[1] for f in frames] == ["2/10 files", "10/10 files"]
    bars = [f.split("[")[1].split("]")[0] for f in frames]
    assert bars[0].count("#") == len(bars[0]) // 5 and set(bars[-1]) == {"#"}  # 2/10 filled, then full
    bar.close()
    assert out.getvalue().endswith("\r\033[K")


def test_the_last_frame_is_drawn_even_when_throttled() -> None:
    out, clock = io.StringIO(), Clock()
    bar = ProgressBar(out, delay=0.0, interval=10, clock=clock)
    bar(1, 2)
    bar(2, 2)
    assert out.getvalue().count("\r") == 2
    bar.close()


def test_closing_an_undrawn_bar_writes_nothing() -> None:
    out = io.StringIO()
    ProgressBar(out, delay=10, clock=Clock()).close()
    assert out.getvalue() == ""


def test_wanted_only_on_a_terminal_outside_ci() -> None:
    primary, secondary = pty.openpty()
    try:
        with os.fdopen(secondary, "w", closefd=False) as tty:
            assert wanted(tty, {})
            assert not wanted(tty, {"CI": "true"})
            assert not wanted(tty, {"TERM": "dumb"})
        assert not wanted(io.StringIO(), {})
    finally:
        os.close(primary)
        os.close(secondary)


MODULES = 400  # a scan of this many modules takes well over the bar's 0.5 s delay


@pytest.fixture
def many(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    for i in range(MODULES):
        module = tmp_path / f"m{i:03}"
        module.mkdir()
        (module / "main.tf").write_text(OPEN_SSH)
    return tmp_path


def _scan_on_a_terminal(cwd: Path, env: dict[str, str]) -> tuple[str, str]:
    """stderr on a pseudo-terminal, stdout to a file: what a user sees, and what a pipe would get."""
    primary, secondary = pty.openpty()
    args = [sys.executable, "-m", "iac_exposure", "scan", ".", "--quiet", "--no-cache"]  # slow enough for a bar
    with open(cwd / "report.txt", "w+") as report:
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=report, stderr=secondary)
        os.close(secondary)
        seen = b""
        while select.select([primary], [], [], 60)[0]:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # EIO: the process exited and the terminal closed
                break
            if not chunk:
                break
            seen += chunk
        proc.wait(timeout=60)
        os.close(primary)
        report.seek(0)
        return seen.decode(), report.read()


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TERM")}
    return {**env, "TERM": "xterm", **extra}


def test_a_long_scan_on_a_terminal_shows_a_bar_on_stderr_only(many: Path) -> None:
    terminal, stdout = _scan_on_a_terminal(many, _env())
    assert "scanning [" in terminal and f"] {MODULES}/{MODULES} files" in terminal
    assert terminal.endswith("\r\033[K")  # erased before the report
    assert "scanning" not in stdout and stdout.rstrip().endswith(f"findings in {MODULES} files")


def test_no_bar_in_ci_even_on_a_terminal(many: Path) -> None:
    terminal, _ = _scan_on_a_terminal(many, _env(CI="true"))
    assert terminal == ""


def test_no_bar_when_stderr_is_piped(many: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "iac_exposure", "scan", ".", "--quiet"], cwd=many, env=_env(),
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.stderr == "" and result.returncode == 1
