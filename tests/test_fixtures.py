"""The one fixture test: every `fixtures/<format>/<trait>/` directory is scanned for its trait.

Reported resources must be exactly the `fail_*` ones; findings and the combined patch are snapshots; the
patch applies with the real `git apply`, the patched files still parse, and a re-scan reports only what
had no applicable patch. Traits whose fixes are all display-only suggestions (a new image) are held to the
same bar with their suggested diffs. Amazon Inspector exports in a case directory (`inspector*.json`) are
passed as vulnerability files, and end-of-life dates are judged on a fixed day.

Names per format (see FORMATS): Terraform `resource "T" "fail_x"`; CloudFormation logical ids `FailX`/`PassX`
(a patched template must give no cfn-lint error the original did not); a Terraform plan's resource labels
(`module.m.aws_instance.fail_x[0]` is `fail_x`); a launch-template document's `LaunchTemplateName`
(`fail_x`/`fail-x`), or for a document without one its file name (`fail_x.json`). A plan fixture is
`plan.json` (real `terraform show -json` output, see fixtures/terraform_plan/README.md) with its `.tf`
sources: the patch edits the sources, and the re-scan reads the patched sources without the stale plan.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import NamedTuple

import hcl2
import pytest

from iac_exposure.api import Report, Result, combined_patch, scan
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.parsers.launch_template import is_launch_template
from iac_exposure.parsers.terraform_plan import strip_index
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


def _cfn_names(prefix: str, text: str) -> set[str]:
    from cfnlint.decode import decode_str

    template, _ = decode_str(text)
    return {name for name in template.get("Resources", {}) if name.startswith(prefix.capitalize())}


@functools.cache
def cfn_lint_errors(text: str) -> Counter[tuple[str, str]]:
    """cfn-lint's errors (not warnings) on a template, by rule and message."""
    import cfnlint.api

    return Counter((m.rule.id, m.message) for m in cfnlint.api.lint(text) if m.rule.id.startswith("E"))


def _cfn_lint_no_new_errors(patched: Path) -> None:
    original, text = FIXTURES.joinpath(*patched.parts[-3:]).read_text(), patched.read_text()
    if text == original:
        return  # nothing patched there
    new = cfn_lint_errors(text) - cfn_lint_errors(original)
    assert not new, f"cfn-lint errors the patch added to {patched.name}: {sorted(new)}"


def _plan_names(prefix: str, text: str) -> set[str]:
    """Plan fixtures: the labels of the resource instances the plan keeps (module, count and for_each
    instances share their block's label; a resource planned for deletion is not a case)."""
    changes = json.loads(text)["resource_changes"]
    return {
        rc["name"]
        for rc in changes
        if rc["mode"] == "managed" and rc["name"].startswith(f"{prefix}_") and rc["change"]["actions"] != ["delete"]
    }


def _launch_template_names(prefix: str, path: Path) -> set[str]:
    """Launch-template fixtures: the `LaunchTemplateName` (every version of a describe document shares it, so
    one that names a fail case fails on some version and one that names a pass case on none), else the file
    name (the path relative to the scanned case directory)."""
    data = json.loads(path.read_text())
    if not is_launch_template(data):
        return set()
    entries = data.get("LaunchTemplateVersions", [data])
    named = {e["LaunchTemplateName"] for e in entries if "LaunchTemplateName" in e}
    names = named or {path.name}
    return {n for n in names if n.startswith((f"{prefix}_", f"{prefix}-"))}


def _json_parses(path: Path) -> None:
    json.loads(path.read_text())


def _case_dir(case: Path) -> list[str]:
    return [f"fixtures/{case.as_posix()}"]


def _without_plan(case: Path) -> list[str]:
    """After patching, a plan is stale (it still holds the old values): the patched .tf sources are
    re-scanned without it, by the Terraform reader."""
    for plan in (Path("fixtures") / case).glob("*.json"):
        plan.unlink()
    return _case_dir(case)


class Format(NamedTuple):
    scan: Callable[[Path], list[str]]  # what the test scans for a case, from the working directory
    files: tuple[str, ...]  # the case's input files (subdirectories too), where its fail/pass names are read
    names: Callable[[str, Path], set[str]]  # the fail/pass names in one file (matched with `Resource.name`)
    edited: tuple[str, ...]  # the files patches edit: they must still parse
    parses: Callable[[Path], None]
    rescan: Callable[[Path], list[str]]  # what is scanned again once the patch is applied
    stale: bool = False  # the scanned input is stale once patched: the re-scan reads other files


# Per format: the files of a case (searched in its subdirectories too: modules it calls, and the modules
# `terraform init` installed under .terraform/), how to read the expected fail/pass names from them, how to
# check that a patched file still parses. Reported resources are matched by `Resource.name`.
_TERRAFORM_FILES = ("*.tf", "*.tf.json", "*.tfvars", "*.tfvars.json")
_CFN_FILES = ("*.yaml", "*.json")
FORMATS: dict[str, Format] = {
    "terraform": Format(
        _case_dir,
        _TERRAFORM_FILES,
        lambda prefix, path: _terraform_names(prefix, path.read_text()),
        _TERRAFORM_FILES,
        _terraform_parses,
        _case_dir,
    ),
    # plan.json is scanned alone: its findings are located (and patched) in the .tf sources beside it
    "terraform_plan": Format(
        lambda case: [f"fixtures/{case.as_posix()}/plan.json"],
        ("plan.json",),
        lambda prefix, path: _plan_names(prefix, path.read_text()),
        ("*.tf",),
        _terraform_parses,
        _without_plan,
        stale=True,
    ),
    "launch_template": Format(_case_dir, ("*.json",), _launch_template_names, ("*.json",), _json_parses, _case_dir),
    "cloudformation": Format(
        _case_dir,
        _CFN_FILES,
        lambda prefix, path: _cfn_names(prefix, path.read_text()),
        _CFN_FILES,
        _cfn_lint_no_new_errors,
        _case_dir,
    ),
}


def _files(root: Path, patterns: tuple[str, ...]) -> list[Path]:
    return sorted({f for pattern in patterns for f in root.rglob(pattern) if f.is_file()})


def _trait(case: Path) -> str:
    return case.name.replace("_", "-")


AS_OF = date(2026, 7, 15)  # after Amazon Linux 2's end of support (2026-06-30), before Debian 11's (2026-08-31)


def _scan(case: Path, targets: Callable[[Path], list[str]] | None = None) -> Report:
    exports = tuple(f"fixtures/{case.as_posix()}/{f.name}" for f in sorted((FIXTURES / case).glob("inspector*.json")))
    config = Config(select=frozenset({_trait(case)}), vulnerability_files=exports, as_of=AS_OF)
    return scan((targets or FORMATS[case.parts[0]].scan)(case), config)


def _names(prefix: str, case: Path) -> set[str]:
    fmt = FORMATS[case.parts[0]]
    return {name for f in _files(FIXTURES / case, fmt.files) for name in fmt.names(prefix, f)}


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
    fmt = FORMATS[case.parts[0]]
    before = _scan(case, fmt.rescan) if fmt.stale else None
    (workdir / "all.diff").write_text(diff)
    subprocess.run(["git", "apply", "--check", "all.diff"], cwd=workdir, check=True)
    subprocess.run(["git", "apply", "all.diff"], cwd=workdir, check=True)
    for patched in _files(workdir / "fixtures" / case, fmt.edited):
        fmt.parses(patched)

    fixed = {_key(r) for r in applied}
    after = _scan(case, fmt.rescan)
    assert not after.diagnostics
    remaining = {_key(r) for r in after.results}
    if before is None:
        unpatched = {_key(r) for r in report.results if r not in applied}
        assert remaining <= unpatched
    else:
        # the sources alone know less than the plan (no state, no values from the caller of a module): what
        # matters is that the findings the applied patch fixed, seen in the sources before, are gone
        assert {_key(r) for r in before.results} & fixed, "the sources show some of the findings the patch fixes"
        assert not remaining & fixed


def _key(result: Result) -> tuple[str, str]:
    """A finding by resource and message, without instance keys (a plan's `x[0]` is the block `x` in HCL)."""
    f = result.finding
    return strip_index(f.resource.address), re.sub(r'\[(?:[0-9]+|"[^"]*")\]', "", f.message)
