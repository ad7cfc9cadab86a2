"""Baselines: recorded findings stay quiet when code moves; new ones, and stale entries, are reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from .test_cli import run

STACK = "fixtures/terraform/stack"


def scan(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run("scan", *args, "--format", "json")
    return code, json.loads(out)


def write_baseline(*args: str) -> tuple[int, str]:
    code, out, err = run("scan", *args)
    assert out == ""
    return code, err


@pytest.fixture
def baselined(workdir: Path) -> Path:
    code, err = write_baseline(STACK, "--write-baseline", "baseline.json")
    assert code == 0 and err == "Recorded 7 findings in baseline.json.\n"
    return workdir / "baseline.json"


def test_the_file_is_versioned_readable_json_without_line_numbers(baselined: Path, json_snapshot) -> None:  # type: ignore[no-untyped-def]
    data = json.loads(baselined.read_text())
    assert data["version"] == 1 and data["tool"].startswith("iac-exposure ")
    del data["tool"]
    assert data == json_snapshot
    assert all(set(e) == {"fingerprint", "trait", "resource", "file", "message"} for e in data["findings"])


def test_a_baselined_scan_reports_nothing_and_passes(baselined: Path) -> None:
    code, data = scan(STACK, "--baseline", "baseline.json")
    assert code == 0 and data["findings"] == [] and data["exposures"] == []
    assert data["summary"]["baselined"] == 7 and data["stale_baseline"] == []
    _, out, _ = run("scan", STACK, "--baseline", "baseline.json")
    assert out.rstrip().endswith("0 findings in 5 files (7 in the baseline)")


def test_moving_and_reformatting_code_does_not_resurface_findings(baselined: Path) -> None:
    security = Path(STACK) / "security.tf"
    text = security.read_text()
    rules = text.index("  ingress {")
    moved = (
        text[:rules]
        + "  revoke_rules_on_delete = true\n\n"
        + text[rules:].replace('cidr_blocks = ["0.0.0.0/0"]', 'cidr_blocks = [ "0.0.0.0/0" ]')
    )
    security.write_text("# the web tier's group\n\n" + moved)
    compute = Path(STACK) / "compute.tf"
    compute.write_text(
        compute.read_text().replace("  tags = {", "  monitoring = true\n\n  tags = {")
    )  # same block, other attribute
    code, data = scan(STACK, "--baseline", "baseline.json")
    assert code == 0 and data["findings"] == [] and data["summary"]["baselined"] == 7


def test_a_new_finding_on_another_resource_is_reported(baselined: Path) -> None:
    compute = Path(STACK) / "compute.tf"
    compute.write_text(compute.read_text() + compute.read_text().replace('"web"', '"worker"', 1))
    code, data = scan(STACK, "--baseline", "baseline.json")
    assert code == 1
    assert {f["resource"] for f in data["findings"]} == {"aws_instance.worker"}
    assert data["summary"]["baselined"] == 7


def test_changing_the_offending_value_is_a_new_finding_and_the_old_entry_stale(baselined: Path) -> None:
    security = Path(STACK) / "security.tf"
    security.write_text(security.read_text().replace('["0.0.0.0/0"]', '["0.0.0.0/0", "::/0"]', 1))
    code, data = scan(STACK, "--baseline", "baseline.json")
    assert code == 1
    assert {(f["trait"], f["message"]) for f in data["findings"]} == {
        ("open-security-group", "Ingress from ::/0 to 22/tcp in aws_security_group.web"),
        ("remote-access-open", "Ingress from ::/0 to 22 (SSH) in aws_security_group.web"),
    }


def test_a_fixed_finding_leaves_a_stale_entry(baselined: Path) -> None:
    iam = Path(STACK) / "iam.tf"
    iam.write_text(iam.read_text().replace("AdministratorAccess", "ReadOnlyAccess"))
    code, data = scan(STACK, "--baseline", "baseline.json")
    assert code == 0 and data["findings"] == []
    [stale] = data["stale_baseline"]
    assert (stale["trait"], stale["resource"], stale["file"]) == (
        "iam-admin-policy",
        "aws_instance.web",
        f"{STACK}/iam.tf",
    )
    assert data["summary"]["stale_baseline"] == 1
    _, out, _ = run("scan", STACK, "--baseline", "baseline.json")
    assert "Stale baseline entries (no longer found; refresh with --write-baseline)\n" in out
    assert f"  {STACK}/iam.tf  iam-admin-policy  aws_instance.web: Role aws_iam_role.web:" in out


def test_only_entries_the_scan_covers_can_be_stale(baselined: Path) -> None:
    _, data = scan(f"{STACK}/iam.tf", "--baseline", "baseline.json")  # changed-files mode: one file
    assert data["stale_baseline"] == [] and data["summary"]["baselined"] == 1
    _, data = scan(STACK, "--baseline", "baseline.json", "--select", "public-ip")
    assert data["stale_baseline"] == [] and data["summary"]["baselined"] == 1


def test_a_second_identical_finding_is_not_hidden(workdir: Path) -> None:
    """Two rules of one group open to the same 0.0.0.0/0 share a fingerprint; the message (the port) tells
    them apart, and where it cannot, every candidate is reported rather than a guess."""
    write_baseline(STACK, "--select", "open-security-group", "--write-baseline", "b.json")
    security = Path(STACK) / "security.tf"
    text = security.read_text()
    https = text[text.index('  ingress {\n    description = "HTTPS"') : text.index("  egress {")]
    security.write_text(text.replace("  egress {", https.replace("443", "8443") + "  egress {"))
    code, data = scan(STACK, "--select", "open-security-group", "--baseline", "b.json")
    assert code == 1
    assert [f["message"] for f in data["findings"]] == ["Ingress from 0.0.0.0/0 to 8443/tcp in aws_security_group.web"]

    baseline = json.loads(Path("b.json").read_text())
    for e in baseline["findings"]:
        e["message"] = e["message"].replace("Ingress", "Inbound")  # as if a new version reworded its messages
    Path("b.json").write_text(json.dumps(baseline))
    code, data = scan(STACK, "--select", "open-security-group", "--baseline", "b.json")
    assert {f["location"]["start_line"] for f in data["findings"]} == {11, 19, 27}
    assert len(data["stale_baseline"]) == 2 and data["summary"]["baselined"] == 0
    security.write_text(text)
    code, data = scan(STACK, "--select", "open-security-group", "--baseline", "b.json")
    assert code == 0 and data["stale_baseline"] == []  # reworded, same count: nothing new


def test_paths_are_relative_to_the_baseline_file(baselined: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(Path(STACK))
    code, data = scan(".", "--baseline", "../../../baseline.json")
    assert code == 0 and data["summary"]["baselined"] == 7


def test_writing_replaces_the_old_baseline(baselined: Path) -> None:
    iam = Path(STACK) / "iam.tf"
    iam.write_text(iam.read_text().replace("AdministratorAccess", "ReadOnlyAccess"))
    code, err = write_baseline(STACK, "--baseline", "baseline.json", "--write-baseline", "baseline.json")
    assert code == 0 and err == "Recorded 6 findings in baseline.json.\n"
    _, data = scan(STACK, "--baseline", "baseline.json")
    assert data["stale_baseline"] == [] and data["summary"]["baselined"] == 6


def test_suppressed_findings_are_not_recorded(workdir: Path) -> None:
    iam = Path(STACK) / "iam.tf"
    iam.write_text(
        iam.read_text().replace(
            '  policy_arn = "arn', '  # iac-exposure:ignore[iam-admin-policy] break-glass\n  policy_arn = "arn'
        )
    )
    _, err = write_baseline(STACK, "--write-baseline", "baseline.json")
    assert err == "Recorded 6 findings in baseline.json.\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "baseline.json: no such baseline file (write one with --write-baseline)"),
        ("{not json", "baseline.json: not a baseline file:"),
        ('{"version": 2, "findings": []}', "baseline.json: baseline version 2; this iac-exposure reads 1"),
        ('{"findings": []}', "baseline.json: not a baseline file (no version)"),
        ('{"version": 1, "findings": [{"fingerprint": 1}]}', "baseline.json: findings must be a list of"),
    ],
)
def test_a_bad_baseline_is_a_usage_error(workdir: Path, content: str | None, message: str) -> None:
    if content is not None:
        (workdir / "baseline.json").write_text(content)
    code, _, err = run("scan", STACK, "--baseline", "baseline.json")
    assert code == 2 and message in err
