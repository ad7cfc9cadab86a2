"""The parse cache: a hit gives the same findings without importing the HCL parser; bad entries are misses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from iac_exposure.api import scan
from iac_exposure.config import Config
from iac_exposure.reporters.json import finding_dict

STACK = "fixtures/terraform/stack"


def findings(config: Config) -> list[dict[str, object]]:
    return [finding_dict(r) for r in scan([STACK], config).results]


def test_a_hit_gives_the_same_findings(workdir: Path, tmp_path: Path) -> None:
    cached = Config(cache_dir=tmp_path / "c")
    cold = findings(cached)
    entries = list((tmp_path / "c" / "parse").rglob("*"))
    assert len([e for e in entries if e.is_file()]) == 5  # one per file of the module
    assert findings(cached) == cold == findings(Config(use_cache=False))


def test_corrupt_entries_are_misses(workdir: Path, tmp_path: Path) -> None:
    cached = Config(cache_dir=tmp_path / "c")
    cold = findings(cached)
    for entry in (tmp_path / "c" / "parse").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:40])
    assert findings(cached) == cold


def test_no_cache_writes_nothing(workdir: Path, tmp_path: Path) -> None:
    findings(Config(cache_dir=tmp_path / "c", use_cache=False))
    assert not (tmp_path / "c").exists()


def test_a_hit_does_not_import_the_hcl_parser(workdir: Path, tmp_path: Path) -> None:
    env = {**os.environ, "IAC_EXPOSURE_CACHE_DIR": str(tmp_path / "c")}
    cmd = [sys.executable, "-X", "importtime", "-m", "iac_exposure", "scan", f"{STACK}/compute.tf", "--quiet"]

    def imported() -> set[str]:
        result = subprocess.run(cmd, check=False, capture_output=True, text=True, env=env)
        assert result.returncode == 1, result.stderr[-2000:]
        return {line.split("|")[-1].strip() for line in result.stderr.splitlines() if "|" in line}

    assert "hcl2" in imported()  # cold
    assert "hcl2" not in imported()  # every file of the module is a hit


@pytest.mark.parametrize("text", ['resource "x" "y" {\n', "\x00\x01"])
def test_parse_errors_are_not_cached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.chdir(tmp_path)
    Path("main.tf").write_text(text)
    for _ in range(2):
        report = scan(["."], Config(cache_dir=tmp_path / "c"))
        assert report.diagnostics and report.diagnostics[0].error


def test_parallel_parsing_gives_the_same_report(workdir: Path, tmp_path: Path) -> None:
    import shutil

    from iac_exposure.readers.terraform import PARALLEL_FROM

    copies = PARALLEL_FROM // 5 + 1
    for i in range(copies):
        shutil.copytree(workdir / STACK, workdir / "many" / f"stack{i:02}")
    one = scan(["many"], Config(cache_dir=tmp_path / "one", jobs=1))
    two = scan(["many"], Config(cache_dir=tmp_path / "two", jobs=2))
    assert one.files_scanned == two.files_scanned == 5 * copies
    assert [finding_dict(r) for r in one.results] == [finding_dict(r) for r in two.results]
    assert len(list((tmp_path / "two" / "parse").rglob("*.*"))) == 0  # no temporary files left behind
    assert len([p for p in (tmp_path / "two" / "parse").rglob("*") if p.is_file()]) == 5  # 5 distinct texts
