"""The CI and pull-request reporters: snapshots on the example stack (with a broken file, so diagnostics
show), SARIF validated against the official 2.1.0 schema, and each format read back by what consumes it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import jsonschema
import pytest
from junitparser import Error, Failure, JUnitXml
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from iac_exposure import __version__
from iac_exposure.api import Report, scan
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.reporters import github, gitlab, junit, markdown, sarif
from iac_exposure.reporters._common import code_fence, fingerprint

STACK = "fixtures/terraform/stack"
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
# The schema file as published for this project keeps the log's own constraints under definitions/Root and
# has no top-level reference to them: validated as-is it accepts anything. Validate against Root.
SARIF_VALIDATOR = jsonschema.Draft7Validator({**SCHEMA, "$ref": "#/definitions/Root"})


def _extension(ext: str) -> type[SingleFileSnapshotExtension]:
    return type(f"{ext.title()}Snapshot", (SingleFileSnapshotExtension,),
                {"_write_mode": WriteMode.TEXT, "file_extension": ext})  # fmt: skip


RENDERERS = {"sarif": "sarif", "markdown": "md", "github": "txt", "gitlab": "json", "junit": "xml"}


def _stack_with_broken_file(workdir: Path) -> Report:
    broken = workdir / "broken"
    broken.mkdir()
    (broken / "main.tf").write_text('resource "aws_instance" "x" {\n  ami = \n')
    return scan([STACK, "broken"], Config())


@pytest.mark.parametrize("fmt", RENDERERS)
def test_snapshot(fmt: str, workdir: Path, snapshot) -> None:  # type: ignore[no-untyped-def]
    from importlib import import_module

    report = _stack_with_broken_file(workdir)
    out = import_module(f"iac_exposure.reporters.{fmt}").render(report)
    assert out.replace(f'"{__version__}"', '"<version>"') == snapshot.use_extension(_extension(RENDERERS[fmt]))


def test_sarif_validates_for_every_fixture(workdir: Path) -> None:
    for case in sorted(p for p in (workdir / "fixtures" / "terraform").iterdir() if p.is_dir()):
        exports = tuple(str(f.relative_to(workdir)) for f in sorted(case.glob("inspector*.json")))
        log = sarif.to_dict(scan([str(case.relative_to(workdir))], Config(vulnerability_files=exports)))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in SARIF_VALIDATOR.iter_errors(log)]
        assert not errors, (case.name, errors[:5])
        assert log["runs"][0]["results"], case.name


def test_sarif_schema_check_can_fail(workdir: Path) -> None:
    log = sarif.to_dict(scan([STACK], Config()))
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert not SARIF_VALIDATOR.is_valid(log)
    del log["runs"]
    assert not SARIF_VALIDATOR.is_valid(log)


def _apply_sarif_fix(root: Path, change: dict[str, Any]) -> tuple[Path, str]:
    """Apply one artifactChange as a SARIF consumer would: regions by line and column."""
    path = root / unquote(change["artifactLocation"]["uri"])
    lines = path.read_text().splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    text = "".join(lines)

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    out, pos = [], 0
    for rep in change["replacements"]:  # sorted, non-overlapping
        region = rep["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        end = offset(region["endLine"], region["endColumn"])
        assert pos <= start <= end
        out += [text[pos:start], rep.get("insertedContent", {}).get("text", "")]
        pos = end
    out.append(text[pos:])
    return path, "".join(out)


def test_sarif_fixes_rewrite_files_as_the_patches_do(workdir: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    report = scan([STACK], Config())
    log = sarif.to_dict(report)
    with_fixes = [(r, res) for r, res in zip(report.results, log["runs"][0]["results"]) if "fixes" in res]
    assert len(with_fixes) == len(report.results) == 7
    for result, sarif_result in with_fixes:
        assert result.patch is not None and result.patch.diff
        applied = tmp_path_factory.mktemp("git-apply")
        shutil.copytree(workdir / "fixtures", applied / "fixtures")
        subprocess.run(["git", "apply", "-"], input=result.patch.diff, text=True, cwd=applied, check=True)
        for change in sarif_result["fixes"][0]["artifactChanges"]:
            path, fixed = _apply_sarif_fix(workdir, change)
            assert fixed == (applied / path.relative_to(workdir)).read_text(), change["artifactLocation"]["uri"]


def test_sarif_rules_and_locations(workdir: Path) -> None:
    run = sarif.to_dict(scan([STACK], Config()))["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    ssh = next(r for r in run["results"] if r["ruleId"] == "remote-access-open")
    rule = rules[ssh["ruleIndex"]]
    assert rule["id"] == "remote-access-open"
    assert "## Why is this bad?" in rule["help"]["markdown"] and "SSH and RDP" in rule["help"]["text"]
    assert rule["properties"]["security-severity"] == "8.0"
    region = ssh["locations"][0]["physicalLocation"]["region"]
    line = (workdir / STACK / "security.tf").read_text().splitlines()[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == '"0.0.0.0/0"'
    assert ssh["relatedLocations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "aws_security_group.web"


def test_fingerprints_survive_moved_lines_and_tell_findings_apart(workdir: Path) -> None:
    before = {(r.finding.trait.id, r.finding.message): fingerprint(r.finding) for r in scan([STACK], Config()).results}
    assert len(set(before.values())) == len(before)
    security = workdir / STACK / "security.tf"
    security.write_text("# moved down\n\n\n" + security.read_text())
    after = scan([STACK], Config()).results
    assert {(r.finding.trait.id, r.finding.message): fingerprint(r.finding) for r in after} == before
    moved = [r for r in after if r.finding.location and r.finding.location.file.path.name == "security.tf"]
    assert moved and all(r.finding.location and r.finding.location.start_line > 3 for r in moved)


@pytest.mark.parametrize(
    ("props", "message", "expected"),
    [
        ({"file": "a.tf", "line": "3"}, "plain", "::error file=a.tf,line=3::plain"),
        ({"title": "x: y, z"}, "50% of\r\nlines", "::error title=x%3A y%2C z::50%25 of%0D%0Alines"),
        ({"file": "dir,1/a:b.tf"}, "a::b", "::error file=dir%2C1/a%3Ab.tf::a::b"),
    ],
)
def test_github_command_escaping(props: dict[str, str], message: str, expected: str) -> None:
    assert github.command("error", props, message) == expected


def test_github_annotations_name_file_and_lines(workdir: Path) -> None:
    lines = github.render(scan([STACK], Config())).splitlines()
    assert "::error file=fixtures/terraform/stack/security.tf,line=11,endLine=11," \
           "title=remote-access-open (high)%3A aws_instance.web::Ingress from 0.0.0.0/0 to 22 (SSH)" in "\n".join(lines)  # fmt: skip
    assert sum(line.startswith("::warning ") for line in lines) == 1  # public-ip is medium
    assert lines[-1] == "iac-exposure: 7 findings in 5 file(s)"


def test_gitlab_code_quality_fields(workdir: Path) -> None:
    report = _stack_with_broken_file(workdir)
    issues = json.loads(gitlab.render(report))
    assert len(issues) == len(report.results) + len(report.diagnostics) == 8
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert isinstance(issue["location"]["path"], str) and issue["location"]["lines"]["begin"] >= 1
    assert len({i["fingerprint"] for i in issues}) == len(issues)
    assert issues[-1]["check_name"] == "parse-error" and issues[-1]["location"]["path"] == "broken/main.tf"


def test_junit_reads_back_in_a_junit_parser(workdir: Path, tmp_path: Path) -> None:
    report = _stack_with_broken_file(workdir)
    (tmp_path / "report.xml").write_text(junit.render(report))
    xml = JUnitXml.fromfile(str(tmp_path / "report.xml"))
    assert (xml.tests, xml.failures, xml.errors) == (8, 7, 1)
    cases = [case for suite in xml for case in suite]
    failures = [res for case in cases for res in case.result if isinstance(res, Failure)]
    errors = [res for case in cases for res in case.result if isinstance(res, Error)]
    assert {f.type for f in failures} == {r.finding.trait.id for r in report.results}
    assert "Ingress from 0.0.0.0/0 to 22 (SSH) in aws_security_group.web" in {f.message for f in failures}
    assert [e.type for e in errors] == ["parse-error"]


def test_junit_without_findings_has_one_passing_case(tmp_path: Path) -> None:
    (tmp_path / "report.xml").write_text(junit.render(Report(files_scanned=3)))
    xml = JUnitXml.fromfile(str(tmp_path / "report.xml"))
    assert (xml.tests, xml.failures, xml.errors) == (1, 0, 0)


def test_junit_strips_characters_xml_cannot_carry() -> None:
    assert junit._clean("a\x00b\x1bc\td") == "a\ufffdb\ufffdc\td"


def test_markdown_collapses_each_finding_with_its_diff(workdir: Path) -> None:
    out = markdown.render(scan([STACK], Config()))
    assert out.count("<details>") == out.count("</details>") == 7
    assert out.count("```diff\n--- a/") == 7
    assert "| critical | 1 | 0 |" in out and "| high | 0 | 6 |" in out


def test_markdown_without_findings() -> None:
    assert (
        markdown.render(Report(files_scanned=2))
        == "### iac-exposure: 0 findings, 0 exposures\n\nNo exposures found in 2 files.\n"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [("a\n", "```diff\na\n```"), ("x ``` y", "````diff\nx ``` y\n````"), ("", "```diff\n```")],
)
def test_code_fence_outlasts_backticks_inside(content: str, expected: str) -> None:
    assert code_fence(content, "diff") == expected


@pytest.mark.parametrize("fmt", [*RENDERERS, "json"])
def test_cli_format_option(fmt: str, workdir: Path) -> None:
    from click.testing import CliRunner

    from iac_exposure.cli import main

    result = CliRunner().invoke(main, ["scan", STACK, "--format", fmt, "--output", "out"])
    assert result.exit_code == 1, result.output
    assert (workdir / "out").read_text().strip()


def test_vulnerability_evidence_and_display_only_suggestions(workdir: Path) -> None:
    """Each CVE of an image is listed in every format; a display-only suggestion is never a SARIF fix."""
    case = "fixtures/terraform/network_exploitable_cve"
    report = scan([case], Config(vulnerability_files=(f"{case}/inspector.json",)))
    cve = next(r for r in report.results if r.finding.trait.id == "network-exploitable-cve" and r.finding.evidence)
    line = next(e for e in cve.finding.evidence if e.startswith("CVE-2024-6387"))
    assert any(
        r.patch and r.patch.edits and r.patch.applicability is Applicability.DISPLAY_ONLY for r in report.results
    )
    results = sarif.to_dict(report)["runs"][0]["results"]
    assert all(r.get("fixes") is None for r in results if r["properties"]["applicability"] == "display-only")
    assert any(line in r["properties"].get("evidence", []) and f"- {line}" in r["message"]["text"] for r in results)
    assert f"- {line.replace('_', chr(92) + '_')}" in markdown.render(report)
    assert f"%0A- {line}" in github.render(report)
    assert any(f"- {line}" in issue["content"]["body"] for issue in json.loads(gitlab.render(report)))
    assert f"- {line}" in junit.render(report)


def test_suppressions_that_do_not_hold_are_shown(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(
        'resource "aws_security_group" "ssh" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n'
        '    protocol    = "tcp"\n    # iac-exposure:ignore[remote-access-open]\n    cidr_blocks = ["0.0.0.0/0"]\n'
        "  }\n}\n"
    )
    report = scan(["."], Config())
    [notice] = report.notices
    assert notice.kind == "suppression-without-reason" and not notice.error
    notes = sarif.to_dict(report)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [(n["level"], n["descriptor"]["id"]) for n in notes] == [("note", "suppression-without-reason")]
    assert "::notice file=main.tf,line=6,title=suppression-without-reason::" in github.render(report)
    assert [i["severity"] for i in json.loads(gitlab.render(report)) if i["check_name"] == notice.kind] == ["info"]
    assert JUnitXml.fromstring(junit.render(report)).skipped == 1
    assert "suppression-without-reason" in markdown.render(report)
