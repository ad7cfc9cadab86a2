"""The one fixture test: every `fixtures/<format>/<trait>/` directory is scanned for its trait.

Reported resources must be exactly the `fail_*` ones; findings and the combined patch are snapshots; the
patch applies with the real `git apply`, the patched files still parse, and a re-scan reports only what
had no applicable patch. Traits whose fixes are all display-only suggestions (a new image) are held to the
same bar with their suggested diffs. Amazon Inspector exports in a case directory (`inspector*.json`) are
passed as vulnerability files, and end-of-life dates are judged on a fixed day.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import hcl2
import pytest

from iac_exposure.api import Report, combined_patch, scan
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.patches.render import combined_diff
from iac_exposure.reporters.json import finding_dict
from iac_exposure.traits import by_id

from .conftest import FIXTURES

CASES = sorted(
    d.relative_to(FIXTURES) for d in FIXTURES.glob("*/*") if d.is_dir() and d.name.replace("_", "-") in by_id()
)


def _terraform_names(prefix: str, text: str) -> set[str]:
    if text.lstrip().startswith("{"):  # Terraform's JSON syntax: "resource": {TYPE: {NAME: {...}}}
        resources = json.loads(text).get("resource", {})
        return {name for by_name in resources.values() for name in by_name if name.startswith(f"{prefix}_")}
    return set(re.findall(rf'^resource\s+"[\w-]+"\s+"({prefix}_\w+)"', text, re.MULTILINE))


def _terraform_parses(path: Path) -> None:
    if path.name.endswith(".json"):
        json.loads(path.read_text())
    else:
        hcl2.parses_to_tree(path.read_text())


# Per format: the files of a case (searched in its subdirectories too: modules it calls, and the modules
# `terraform init` installed under .terraform/), how to read the expected fail/pass names from them, how to
# check that a patched file still parses. Reported resources are matched by `Resource.name`.
FORMATS: dict[str, tuple[tuple[str, ...], Callable[[str, str], set[str]], Callable[[Path], None]]] = {
    "terraform": (("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json"), _terraform_names, _terraform_parses),
}


def _files(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    return sorted({f for pattern in patterns for f in root.rglob(pattern) if f.is_file()})


def _trait(case: Path) -> str:
    return case.name.replace("_", "-")


AS_OF = date(2026, 7, 15)  # after Amazon Linux 2's end of support (2026-06-30), before Debian 11's (2026-08-31)


def _scan(case: Path) -> Report:
    exports = tuple(f"fixtures/{case.as_posix()}/{f.name}" for f in sorted((FIXTURES / case).glob("inspector*.json")))
    config = Config(select=frozenset({_trait(case)}), vulnerability_files=exports, as_of=AS_OF)
    return scan([f"fixtures/{case.as_posix()}"], config)


def _names(prefix: str, case: Path) -> set[str]:
    patterns, names, _ = FORMATS[case.parts[0]]
    return {name for f in _files(FIXTURES / case, patterns) for name in names(prefix, f.read_text())}


def test_every_trait_has_terraform_fixtures() -> None:
    assert {c.name for c in CASES if c.parts[0] == "terraform"} == {t.replace("-", "_") for t in by_id()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.parts))
def test_reports_exactly_the_fail_resources(case: Path, workdir: Path) -> None:
    report = _scan(case)
    assert not report.diagnostics
    reported = {r.finding.resource.name for r in report.results}
    assert _names("fail", case), "a fixture directory without fail cases tests nothing"
    assert _names("pass", case), "a fixture directory without pass cases tests nothing"
    assert reported == _names("fail", case)
    assert {r.finding.trait.id for r in report.results} == {_trait(case)}


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.parts))
def test_findings_snapshot(case: Path, workdir: Path, json_snapshot) -> None:  # type: ignore[no-untyped-def]
    report = _scan(case)
    assert [finding_dict(r) for r in report.results] == json_snapshot


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c.parts))
def test_patch_applies_parses_and_clears(case: Path, workdir: Path, diff_snapshot) -> None:  # type: ignore[no-untyped-def]
    report = _scan(case)
    diff, _ = combined_patch(report, unsafe=True)
    applied = [r for r in report.results if r.patch and r.patch.applicability is not Applicability.DISPLAY_ONLY]
    if all(r.patch is None or r.patch.applicability is Applicability.DISPLAY_ONLY for r in report.results):
        # suggestions only (CVE / end-of-life: a new image): their diffs must be just as right
        applied = [r for r in report.results if r.patch and r.patch.edits]
        diff = combined_diff([e for r in applied for e in (r.patch.edits if r.patch else ())])
    assert diff == diff_snapshot
    assert diff, "every fixture has at least one patch with a diff"
    (workdir / "all.diff").write_text(diff)
    subprocess.run(["git", "apply", "--check", "all.diff"], cwd=workdir, check=True)
    subprocess.run(["git", "apply", "all.diff"], cwd=workdir, check=True)
    patterns, _, still_parses = FORMATS[case.parts[0]]
    for patched in _files(workdir / "fixtures" / case, patterns):
        still_parses(patched)

    unpatched = {(r.finding.resource.address, r.finding.message) for r in report.results if r not in applied}
    after = _scan(case)
    assert not after.diagnostics
    remaining = {(r.finding.resource.address, r.finding.message) for r in after.results}
    assert remaining <= unpatched
