"""The one fixture test: every `fixtures/<format>/<trait>/` directory is scanned for its trait.

Reported resources must be exactly the `fail_*` ones; findings and the combined patch are snapshots; the
patch applies with the real `git apply`, the patched files still parse, and a re-scan reports only what
had no applicable patch.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import hcl2
import pytest

from iac_exposure.api import Report, combined_patch, scan
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.reporters.json import finding_dict
from iac_exposure.traits import by_id

from .conftest import FIXTURES

CASES = sorted(
    d.relative_to(FIXTURES)
    for d in FIXTURES.glob("*/*")
    if d.is_dir() and d.name.replace("_", "-") in by_id()
)
_FAIL = re.compile(r'^resource\s+"[\w-]+"\s+"(fail_\w+)"', re.MULTILINE)
_PASS = re.compile(r'^resource\s+"[\w-]+"\s+"(pass_\w+)"', re.MULTILINE)


def _trait(case: Path) -> str:
    return case.name.replace("_", "-")


def _scan(case: Path) -> Report:
    return scan([f"fixtures/{case.as_posix()}"], Config(select=frozenset({_trait(case)})))


def _names(pattern: re.Pattern[str], case: Path) -> set[str]:
    return {name for f in sorted((FIXTURES / case).glob("*.tf")) for name in pattern.findall(f.read_text())}


def test_every_trait_has_terraform_fixtures() -> None:
    assert {c.name for c in CASES if c.parts[0] == "terraform"} == {t.replace("-", "_") for t in by_id()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.parts))
def test_reports_exactly_the_fail_resources(case: Path, workdir: Path) -> None:
    report = _scan(case)
    assert not report.diagnostics
    reported = {r.finding.resource.name for r in report.results}
    assert _names(_FAIL, case), "a fixture directory without fail_ cases tests nothing"
    assert _names(_PASS, case), "a fixture directory without pass_ cases tests nothing"
    assert reported == _names(_FAIL, case)
    assert {r.finding.trait.id for r in report.results} == {_trait(case)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.parts))
def test_findings_snapshot(case: Path, workdir: Path, json_snapshot) -> None:  # type: ignore[no-untyped-def]
    report = _scan(case)
    assert [finding_dict(r) for r in report.results] == json_snapshot


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.parts))
def test_patch_applies_parses_and_clears(case: Path, workdir: Path, diff_snapshot) -> None:  # type: ignore[no-untyped-def]
    report = _scan(case)
    diff, _ = combined_patch(report, unsafe=True)
    assert diff == diff_snapshot
    assert diff, "every fixture has at least one applicable patch"
    (workdir / "all.diff").write_text(diff)
    subprocess.run(["git", "apply", "--check", "all.diff"], cwd=workdir, check=True)
    subprocess.run(["git", "apply", "all.diff"], cwd=workdir, check=True)
    for tf in (workdir / "fixtures" / case).glob("*.tf"):
        hcl2.parses_to_tree(tf.read_text())  # still parses

    unpatched = {
        (r.finding.resource.address, r.finding.message)
        for r in report.results
        if r.patch is None or r.patch.applicability is Applicability.DISPLAY_ONLY
    }
    after = _scan(case)
    assert not after.diagnostics
    remaining = {(r.finding.resource.address, r.finding.message) for r in after.results}
    assert remaining <= unpatched
