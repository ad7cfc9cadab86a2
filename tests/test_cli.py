"""The command line through click's CliRunner, and the README's new-user walk through a real stack."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from iac_exposure.cli import main

STACK = "fixtures/terraform/stack"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_json_output_has_the_documented_schema(workdir: Path) -> None:
    code, out, _ = run("scan", "fixtures/terraform", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["schema_version"] == 1
    assert data["findings"], "the fixtures have findings"
    for finding in data["findings"]:
        for key in ("trait", "category", "severity", "resource", "resource_type", "source_resource", "message",
                    "remediation", "patch", "applicability"):  # fmt: skip
            assert key in finding, key
        assert set(finding["location"]) == {"file", "start_line", "end_line"}
        assert finding["location"]["start_line"] <= finding["location"]["end_line"]
        assert finding["applicability"] in ("safe", "unsafe", "display-only")
        if finding["applicability"] != "display-only":
            assert finding["patch"].startswith("--- a/")
    assert data["summary"]["findings"] == len(data["findings"])
    assert data["diagnostics"] == []


def test_stack_findings_are_at_the_right_lines(workdir: Path) -> None:
    """The new user's stack: a VPC with a public subnet and IGW, an instance without metadata_options,
    SSH open to the world and AdministratorAccess through its instance profile, over several files."""
    code, out, _ = run("scan", STACK, "--format", "json")
    assert code == 1
    got = {(f["trait"], f["resource"], f["location"]["file"], f["location"]["start_line"])
           for f in json.loads(out)["findings"]}  # fmt: skip

    def line_of(file: str, needle: str, nth: int = 0) -> int:
        lines = (workdir / STACK / file).read_text().splitlines()
        return [i for i, line in enumerate(lines, 1) if needle in line][nth]

    ssh, https = line_of("security.tf", '"0.0.0.0/0"'), line_of("security.tf", '"0.0.0.0/0"', 1)
    assert got == {
        ("imdsv1-allowed", "aws_instance.web", f"{STACK}/compute.tf", line_of("compute.tf", 'resource "aws_instance"')),
        ("iam-admin-policy", "aws_instance.web", f"{STACK}/iam.tf", line_of("iam.tf", "AdministratorAccess")),
        ("public-ip", "aws_instance.web", f"{STACK}/network.tf", line_of("network.tf", "map_public_ip_on_launch")),
        (
            "internet-reachable",
            "aws_instance.web",
            f"{STACK}/network.tf",
            line_of("network.tf", "map_public_ip_on_launch"),
        ),
        ("remote-access-open", "aws_instance.web", f"{STACK}/security.tf", ssh),
        ("open-security-group", "aws_instance.web", f"{STACK}/security.tf", ssh),
        ("open-security-group", "aws_instance.web", f"{STACK}/security.tf", https),
    }


def test_diff_piped_to_git_apply_clears_the_stack(workdir: Path) -> None:
    code, diff, err = run("scan", STACK, "--diff")
    assert diff == ""  # every fix here changes behaviour: none is safe
    assert "unsafe patch(es) not shown" in err
    code, diff, _ = run("scan", STACK, "--diff", "--unsafe-fixes")
    assert diff.startswith("--- a/")
    subprocess.run(["git", "apply"], input=diff, text=True, cwd=workdir, check=True)
    code, out, _ = run("scan", STACK, "--format", "json")
    assert json.loads(out)["findings"] == []
    assert code == 0


def test_text_output_groups_by_file_with_patches(workdir: Path) -> None:
    code, out, _ = run("scan", STACK)
    assert code == 1
    assert f"{STACK}/security.tf:" in out
    assert "remote-access-open" in out and "+    cidr_blocks = [var.trusted_cidr]" in out
    assert "\033[" not in out  # no colour when not on a terminal
    assert out.rstrip().endswith("findings in 5 files")
    _, quiet, _ = run("scan", STACK, "--quiet")
    assert "+++ b/" not in quiet


def test_select_ignore_and_fail_on(workdir: Path) -> None:
    _, out, _ = run("scan", STACK, "--format", "json", "--select", "public-ip")
    assert {f["trait"] for f in json.loads(out)["findings"]} == {"public-ip"}
    _, out, _ = run("scan", STACK, "--format", "json", "--ignore", "public-ip,imdsv1-allowed")
    assert {f["trait"] for f in json.loads(out)["findings"]} == {
        "iam-admin-policy", "remote-access-open", "open-security-group", "internet-reachable"}  # fmt: skip
    code, _, _ = run("scan", STACK, "--select", "public-ip", "--fail-on", "high")
    assert code == 0  # public-ip is medium
    code, _, _ = run("scan", STACK, "--select", "public-ip", "--fail-on", "medium")
    assert code == 1
    code, _, err = run("scan", STACK, "--select", "no-such-trait")
    assert code == 2 and "unknown trait" in err


def test_imds_account_default_silences_only_the_unset_case(workdir: Path) -> None:
    _, out, _ = run("scan", "fixtures/terraform/imdsv1_allowed", "--format", "json", "--select", "imdsv1-allowed",
                    "--imds-account-default", "required")  # fmt: skip
    messages = [f["message"] for f in json.loads(out)["findings"]]
    assert messages and all("unset" not in m for m in messages)
    assert any('"optional"' in m for m in messages)


def test_parse_error_is_a_diagnostic_and_the_scan_goes_on(workdir: Path) -> None:
    broken = workdir / "broken"
    broken.mkdir()
    (broken / "bad.tf").write_text('resource "aws_instance" "x" {\n  ami = \n')
    (broken / "ok.tf").write_text('resource "aws_instance" "y" {\n  ami = "ami-1"\n}\n')
    code, out, _ = run("scan", "broken", "--format", "json")
    data = json.loads(out)
    assert code == 2
    assert [(d["file"], d["kind"]) for d in data["diagnostics"]] == [("broken/bad.tf", "parse-error")]
    assert {f["resource"] for f in data["findings"]} == {"aws_instance.y"}


def test_missing_path_is_a_usage_error(workdir: Path) -> None:
    code, _, err = run("scan", "does-not-exist")
    assert code == 2 and "no such file" in err


def test_changed_file_mode_reports_only_the_named_file(workdir: Path) -> None:
    """A named file pulls in its module (links resolve) but only findings located in it are reported."""
    _, out, _ = run("scan", f"{STACK}/iam.tf", "--format", "json")
    findings = json.loads(out)["findings"]
    assert {(f["trait"], f["location"]["file"]) for f in findings} == {("iam-admin-policy", f"{STACK}/iam.tf")}
    assert findings[0]["resource"] == "aws_instance.web"  # linked through compute.tf


def test_traits_and_explain() -> None:
    code, out, _ = run("traits")
    assert code == 0 and "remote-access-open" in out
    code, out, _ = run("explain", "imdsv1-allowed")
    assert code == 0
    for heading in ("## What it flags", "## Why is this bad?", "## Fix safety"):
        assert heading in out
    code, _, err = run("explain", "nope")
    assert code == 2 and "unknown trait" in err


@pytest.mark.parametrize("args", [["--version"], ["-m", "iac_exposure", "--version"]])
def test_version_starts_without_heavy_imports(args: list[str]) -> None:
    cmd = [sys.executable, "-X", "importtime", *(args if args[0] == "-m" else ["-m", "iac_exposure", *args])]
    result = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert result.stdout.startswith("iac-exposure ")
    imported = {line.split("|")[-1].strip().split(".")[0] for line in result.stderr.splitlines() if "|" in line}
    assert not imported & {"hcl2", "lark", "cfnlint", "pydantic", "click", "rich"}


def test_imds_tokens_from_another_resource_s_attribute_are_unknown(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`http_tokens = aws_ssm_parameter.x.value` is known only after apply: no finding, never a Ref in a message."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "main.tf").write_text(
        'resource "aws_ssm_parameter" "mode" {\n  name  = "/imds/mode"\n  type  = "String"\n  value = "optional"\n}\n'
        'resource "aws_instance" "web" {\n  ami       = "ami-1"\n  subnet_id = "subnet-1"\n'
        "  metadata_options {\n    http_tokens = aws_ssm_parameter.mode.value\n  }\n}\n"
    )
    _, out, _ = run("scan", ".", "--format", "json", "--select", "imdsv1-allowed")
    assert json.loads(out)["findings"] == []
