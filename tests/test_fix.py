"""`--fix`: one pass per file, verified, atomic, idempotent — over every fixture, and on crafted cases."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iac_exposure.api import Report, Result, combined_patch, scan
from iac_exposure.cli import main
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.fixer import fix
from iac_exposure.patches.edits import Edit
from iac_exposure.patches.render import Patch

from .conftest import FIXTURES

STACK = "fixtures/terraform/stack"
CASE_DIRS = sorted(d.relative_to(FIXTURES) for d in FIXTURES.glob("*/*") if d.is_dir())


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def snapshot_tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def keys(report: Report, only_unpatchable: bool = False) -> set[tuple[str, str, str]]:
    return {
        (r.finding.trait.id, r.finding.resource.address, r.finding.message)
        for r in report.results
        if not only_unpatchable or r.patch is None or r.patch.applicability is Applicability.DISPLAY_ONLY
    }


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda c: "-".join(c.parts))
def test_fixing_every_fixture_parses_clears_and_is_idempotent(case: Path, workdir: Path) -> None:
    """All traits at once, so patches of different traits meet in the same blocks and files."""
    target = f"fixtures/{case.as_posix()}"
    before = scan([target], Config())
    expected_diff, _ = combined_patch(before, unsafe=True)
    git_copy = workdir / "git-copy"
    shutil.copytree(workdir / "fixtures", git_copy / "fixtures")
    outcome = fix(before, unsafe=True)
    assert not outcome.files_refused
    assert not [why for _, why in outcome.skipped if "overlaps" in why]
    for plan in (workdir / target).glob("plan.json"):  # a plan is stale once its sources are fixed
        plan.unlink()
        (git_copy / target / plan.name).unlink()
    after = scan([target], Config())
    assert not after.diagnostics  # every fixed file still parses
    assert keys(after) <= keys(before, only_unpatchable=True)
    # --fix writes exactly what --diff shows
    if expected_diff:
        subprocess.run(["git", "apply"], input=expected_diff, text=True, cwd=git_copy, check=True)
    assert snapshot_tree(git_copy / "fixtures" / case) == snapshot_tree(workdir / "fixtures" / case)
    # a second pass changes nothing
    state = snapshot_tree(workdir / "fixtures" / case)
    second = fix(after, unsafe=True)
    assert not second.fixed
    assert snapshot_tree(workdir / "fixtures" / case) == state


def test_cli_fix_on_the_stack(workdir: Path) -> None:
    code, out, err = run("scan", STACK, "--fix")
    assert "Fixed 0 finding(s)" in err and "unsafe: add --unsafe-fixes" in err
    assert code == 1
    code, out, err = run("scan", STACK, "--fix", "--unsafe-fixes", "--format", "json")
    assert "Fixed 7 finding(s) in 3 file(s)" in err  # public-ip and internet-reachable share one edit
    assert code == 0 and '"findings": []' in out
    state = snapshot_tree(workdir / STACK)
    code, _, err = run("scan", STACK, "--fix", "--unsafe-fixes")
    assert code == 0 and "Fixed 0 finding(s) in 0 file(s)" in err
    assert snapshot_tree(workdir / STACK) == state
    code, _, err = run("scan", STACK, "--fix", "--diff")
    assert code == 2


def test_fix_keeps_permissions(workdir: Path) -> None:
    path = workdir / STACK / "compute.tf"
    os.chmod(path, 0o640)
    fix(scan([STACK], Config()), unsafe=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert not list((workdir / STACK).glob(".*iac-exposure"))  # no temp file left


def test_fix_refuses_a_file_changed_since_it_was_read(workdir: Path) -> None:
    report = scan([STACK], Config())
    path = workdir / STACK / "compute.tf"
    path.write_text(path.read_text() + "\n# edited meanwhile\n")
    outcome = fix(report, unsafe=True)
    assert (f"{STACK}/compute.tf", "the file changed on disk since it was read") in outcome.files_refused
    assert path.read_text().endswith("# edited meanwhile\n")
    assert any(why == "its file was not written" for _, why in outcome.skipped)


def test_fix_refuses_a_result_that_would_not_parse(workdir: Path) -> None:
    report = scan([f"{STACK}/compute.tf"], Config(select=frozenset({"imdsv1-allowed"})))
    (result,) = report.results
    source = result.finding.location.file  # type: ignore[union-attr]
    broken = Edit(source, 0, 0, "resource {{{\n")
    patch = Patch(Applicability.SAFE, "test", "break it", (broken,), "")
    original = (workdir / STACK / "compute.tf").read_bytes()
    outcome = fix(Report([Result(result.finding, patch)]), unsafe=False)
    ((name, why),) = outcome.files_refused
    assert name == f"{STACK}/compute.tf" and "would not parse" in why
    assert (workdir / STACK / "compute.tf").read_bytes() == original


STYLED = (
    "# ünïcödé comment: «kept»\r\n"
    'resource "aws_instance" "web" {\r\n'
    '\tami       = "ami-1"\r\n'
    "\tsubnet_id = aws_subnet.private.id\r\n"
    "}\r\n"
    'resource "aws_subnet" "private" {\r\n'
    '\tvpc_id = "vpc-1"\r\n'
    "}"  # no final newline
)


def test_fix_keeps_line_endings_tabs_unicode_and_missing_final_newline(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_bytes(STYLED.encode())
    fix(scan(["main.tf"], Config()), unsafe=True)
    new = (tmp_path / "main.tf").read_bytes().decode()
    assert new.startswith("# ünïcödé comment: «kept»\r\n")
    assert "\n" not in new.replace("\r\n", "")  # every line still ends with CRLF
    assert new.endswith('\tvpc_id = "vpc-1"\r\n}')  # untouched tail, still no final newline
    assert '\tmetadata_options {\r\n\t\thttp_tokens = "required"\r\n\t}\r\n' in new
    assert scan(["main.tf"], Config()).results == []
