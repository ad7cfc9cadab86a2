"""Suppressions: comments in the source (HCL `#`/`//`, YAML `#`), format metadata, config ignores.

CLI tests scan real files in a temporary directory; the comment scanner and the metadata reader are also
tested directly, on HCL and YAML text, since suppressions work on any format's text.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from iac_exposure.findings import Finding
from iac_exposure.model.aws import Resource
from iac_exposure.source import SourceFile, Span
from iac_exposure.suppressions import Policy, Suppressor, comments, from_metadata, parse_comment
from iac_exposure.traits import by_id, meta

from .test_cli import run

STACK = Path("fixtures/terraform/stack")

# one group opening SSH to the world, used by two instances
SHARED_GROUP = """\
resource "aws_security_group" "bastion" {
  name = "bastion"

  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "a" {
  ami                    = "ami-0c02fb55956c7d316"
  subnet_id              = "subnet-0123456789abcdef0"
  vpc_security_group_ids = [aws_security_group.bastion.id]

  metadata_options {
    http_tokens = "required"
  }
}

resource "aws_instance" "b" {
  ami                    = "ami-0c02fb55956c7d316"
  subnet_id              = "subnet-0123456789abcdef0"
  vpc_security_group_ids = [aws_security_group.bastion.id]

  metadata_options {
    http_tokens = "required"
  }
}
"""


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def scan(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = run("scan", *args, "--format", "json", "--show-suppressed")
    return code, json.loads(out)


def keys(findings: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
    return {(f["trait"], f["resource"], f["location"]["start_line"]) for f in findings}


@pytest.fixture
def shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()  # the config search stops here
    (tmp_path / "main.tf").write_text(SHARED_GROUP)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "main.tf"


def test_comment_above_an_inline_rule_silences_that_rule_only(workdir: Path, json_snapshot) -> None:  # type: ignore[no-untyped-def]
    security = STACK / "security.tf"
    edit(security, '  ingress {\n    description = "HTTPS"',
         '  # iac-exposure:ignore[open-security-group] public website, no load balancer yet\n'
         '  ingress {\n    description = "HTTPS"')  # fmt: skip
    code, data = scan(str(STACK))
    assert code == 1
    assert data["summary"]["suppressed"] == 1
    [hidden] = data["suppressed"]
    assert (hidden["trait"], hidden["location"]["start_line"]) == ("open-security-group", 20)
    assert hidden["suppression"] == {
        "origin": "comment", "file": f"{STACK.as_posix()}/security.tf", "line": 14,
        "reason": "public website, no load balancer yet", "until": None,
    }  # fmt: skip
    assert ("open-security-group", "aws_instance.web", 11) in keys(data["findings"])  # the SSH rule still is
    assert data["notices"] == []
    del data["tool"]  # its version
    assert data == json_snapshot


def test_trailing_comment_on_the_offending_value_names_several_traits(workdir: Path) -> None:
    edit(STACK / "security.tf", '    cidr_blocks = ["0.0.0.0/0"]\n',
         '    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[remote-access-open, open-security-group] VPN bastion\n')  # fmt: skip
    _, data = scan(str(STACK))
    assert keys(data["suppressed"]) == {
        ("remote-access-open", "aws_instance.web", 11), ("open-security-group", "aws_instance.web", 11)}  # fmt: skip
    assert ("open-security-group", "aws_instance.web", 19) in keys(data["findings"])


def test_comment_on_an_instance_silences_it_for_that_instance_only(shared: Path) -> None:
    edit(shared, 'resource "aws_instance" "a" {',
         'resource "aws_instance" "a" { # iac-exposure:ignore[remote-access-open] jump host, SSH by design')  # fmt: skip
    _, data = scan(".", "--select", "remote-access-open")
    assert {f["resource"] for f in data["findings"]} == {"aws_instance.b"}
    assert {f["resource"] for f in data["suppressed"]} == {"aws_instance.a"}


def test_comment_on_the_group_silences_it_for_every_instance(shared: Path) -> None:
    edit(shared, 'resource "aws_security_group" "bastion" {',
         '// iac-exposure:ignore[remote-access-open] jump hosts, SSH by design\n'
         'resource "aws_security_group" "bastion" {')  # fmt: skip
    code, data = scan(".", "--select", "remote-access-open")
    assert data["findings"] == [] and code == 0
    assert {f["resource"] for f in data["suppressed"]} == {"aws_instance.a", "aws_instance.b"}
    assert data["summary"]["suppressed"] == 2 and data["summary"]["findings"] == 0


def test_comment_on_a_standalone_rule_resource(shared: Path) -> None:
    """The rule is neither the exposed resource nor the source (the group is): its block holds the value."""
    shared.write_text(
        SHARED_GROUP.replace(
            """  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
""",
            "",
        )
        + """
# partner SFTP drop, contract ends in June
# iac-exposure:ignore[remote-access-open] until=2999-06-30 partner SFTP, source IPs rotate daily
resource "aws_security_group_rule" "sftp" {
  type              = "ingress"
  security_group_id = aws_security_group.bastion.id
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
}
"""
    )
    _, data = scan(".", "--select", "remote-access-open")
    assert data["findings"] == []
    assert {(f["resource"], f["source_resource"]) for f in data["suppressed"]} == {
        ("aws_instance.a", "aws_security_group.bastion"), ("aws_instance.b", "aws_security_group.bastion")}  # fmt: skip
    assert data["suppressed"][0]["suppression"]["until"] == "2999-06-30"
    assert data["suppressed"][0]["suppression"]["reason"] == "partner SFTP, source IPs rotate daily"


def test_comment_on_the_role_covers_what_its_attachments_grant(workdir: Path) -> None:
    iam = STACK / "iam.tf"
    edit(
        iam,
        'resource "aws_iam_role" "web" {',
        '# iac-exposure:ignore[iam-admin-policy] break-glass host, SEC-7\nresource "aws_iam_role" "web" {',
    )
    _, data = scan(str(STACK), "--select", "iam-admin-policy")
    assert data["findings"] == []
    assert [(f["source_resource"], f["suppression"]["line"]) for f in data["suppressed"]] == [
        ("aws_iam_role_policy_attachment.web_admin", 1)]  # fmt: skip


def test_a_comment_on_another_role_covers_nothing(workdir: Path) -> None:
    iam = STACK / "iam.tf"
    iam.write_text(
        iam.read_text()
        + '\n# iac-exposure:ignore[iam-admin-policy] x\nresource "aws_iam_role" "other" {\n  name = "o"\n}\n'
    )
    _, data = scan(str(STACK), "--select", "iam-admin-policy")
    assert len(data["findings"]) == 1 and data["suppressed"] == []
    assert [n["kind"] for n in data["notices"]] == ["unused-suppression"]


def test_a_comment_separated_by_a_blank_line_or_code_is_not_above(shared: Path) -> None:
    edit(
        shared,
        'resource "aws_instance" "a" {',
        '# iac-exposure:ignore[remote-access-open] x\n\nresource "aws_instance" "a" {',
    )
    edit(shared, '  subnet_id              = "subnet-0123456789abcdef0"\n  vpc_security_group_ids = [aws_security_group.bastion.id]\n\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n\nresource "aws_instance" "b"',
         '  subnet_id              = "subnet-0123456789abcdef0" # iac-exposure:ignore[remote-access-open] y\n  vpc_security_group_ids = [aws_security_group.bastion.id]\n\n  metadata_options {\n    http_tokens = "required"\n  }\n}\n\nresource "aws_instance" "b"')  # fmt: skip
    code, data = scan(".", "--select", "remote-access-open")
    assert code == 1 and len(data["findings"]) == 2 and data["suppressed"] == []
    assert [(n["kind"], n["line"]) for n in data["notices"]] == [("unused-suppression", 12), ("unused-suppression", 16)]


def test_expired_suppression_stops_working_and_is_reported(shared: Path) -> None:
    edit(shared, '    cidr_blocks = ["0.0.0.0/0"]',
         '    # iac-exposure:ignore[remote-access-open] until=2020-01-31 migration to SSM\n    cidr_blocks = ["0.0.0.0/0"]')  # fmt: skip
    code, data = scan(".", "--select", "remote-access-open")
    assert code == 1 and len(data["findings"]) == 2 and data["suppressed"] == []
    assert data["notices"] == [{
        "file": "main.tf", "line": 8, "kind": "expired-suppression",
        "message": "suppression of remote-access-open expired on 2020-01-31: its findings are reported again"}]  # fmt: skip
    _, out, _ = run("scan", ".", "--select", "remote-access-open")
    assert "main.tf:8: expired-suppression: suppression of remote-access-open expired on 2020-01-31" in out


def test_suppression_until_today_still_holds(shared: Path) -> None:
    today = date.today().isoformat()
    edit(
        shared,
        '    cidr_blocks = ["0.0.0.0/0"]',
        f'    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[remote-access-open] until={today} x',
    )
    code, data = scan(".", "--select", "remote-access-open")
    assert code == 0 and len(data["suppressed"]) == 2 and data["notices"] == []


@pytest.mark.parametrize(
    ("policy", "applied", "notice"),
    [(None, False, True), ("required", False, True), ("recommended", True, True), ("optional", True, False)],
)
def test_a_suppression_without_reason(shared: Path, policy: str | None, applied: bool, notice: bool) -> None:
    if policy:
        (shared.parent / ".iac-exposure.toml").write_text(f'suppression-reason = "{policy}"\n')
    edit(
        shared,
        '    cidr_blocks = ["0.0.0.0/0"]',
        '    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[remote-access-open]',
    )
    code, data = scan(".", "--select", "remote-access-open")
    assert (len(data["suppressed"]) == 2) is applied
    assert code == (0 if applied else 1)
    assert [n["kind"] for n in data["notices"]] == (["suppression-without-reason"] if notice else [])


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        ("iac-exposure:ignore[remote-acces-open] typo", "unknown trait 'remote-acces-open'; see `iac-exposure traits`"),
        ("iac-exposure:ignore remote-access-open", "write `iac-exposure:ignore[trait,…] reason`"),
        ("iac-exposure:ignore[] reason", "the brackets name no trait"),
        ("iac-exposure:ignore[remote-access-open] until=30/06/2999 x", "until=30/06/2999 is not a date (write until=YYYY-MM-DD)"),
    ],
)  # fmt: skip
def test_an_invalid_suppression_is_reported_and_not_applied(shared: Path, comment: str, problem: str) -> None:
    edit(shared, '    cidr_blocks = ["0.0.0.0/0"]', f'    cidr_blocks = ["0.0.0.0/0"] # {comment}')
    code, data = scan(".", "--select", "remote-access-open")
    assert code == 1 and data["suppressed"] == []
    assert [(n["kind"], n["line"], n["message"]) for n in data["notices"]] == [("invalid-suppression", 8, problem)]


def test_unused_is_not_claimed_for_traits_that_did_not_run(shared: Path) -> None:
    edit(shared, 'resource "aws_instance" "a" {\n', '# iac-exposure:ignore[public-ip] static IP for a partner allow-list\n'
         'resource "aws_instance" "a" {\n  associate_public_ip_address = true\n')  # fmt: skip
    _, data = scan(".", "--select", "remote-access-open")
    assert data["notices"] == []
    _, data = scan(".", "--select", "public-ip")
    assert {f["resource"] for f in data["suppressed"]} == {"aws_instance.a"}


def test_changed_files_mode_reports_notices_of_the_named_files_only(shared: Path) -> None:
    (shared.parent / "other.tf").write_text("# iac-exposure:ignore[public-ip] until=2001-01-01 old\nlocals {}\n")
    _, data = scan(".")
    assert [n["file"] for n in data["notices"]] == ["other.tf"]
    _, data = scan("main.tf")
    assert data["notices"] == []


def test_text_output_counts_and_lists_suppressed(shared: Path) -> None:
    edit(
        shared,
        '    cidr_blocks = ["0.0.0.0/0"]',
        '    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[remote-access-open] bastion',
    )
    _, out, _ = run("scan", ".", "--select", "remote-access-open,open-security-group")
    assert out.rstrip().endswith("2 findings in 1 file (2 suppressed)")
    assert "Suppressed" not in out
    _, out, _ = run("scan", ".", "--select", "remote-access-open,open-security-group", "--show-suppressed")
    assert "Suppressed\n  main.tf:8  remote-access-open  aws_instance.a\n" in out
    assert "    by main.tf:8: bastion" in out
    _, out, _ = run("scan", ".", "--format", "json")
    assert "suppressed" not in json.loads(out) and json.loads(out)["summary"]["suppressed"] == 2


# --- the comment scanner on any format's text --------------------------------------------------------


def test_comments_in_yaml_and_hcl_text() -> None:
    yaml = SourceFile(Path("t.yaml"), (
        "Resources:\n"
        "  # iac-exposure:ignore[open-security-group] public web tier\n"
        "  WebGroup:\n"
        "    Type: AWS::EC2::SecurityGroup\n"
        "    Properties:\n"
        "      GroupDescription: 'says # iac-exposure:ignore[x] inside a quoted string'\n"
        "      SecurityGroupIngress:\n"
        "        - CidrIp: 0.0.0.0/0  # iac-exposure:ignore[remote-access-open] until=2999-01-01 - SFTP\n"
        "          Description: \"a # iac-exposure:ignore[y] in a string\"\n"
    ), "cfn-yaml")  # fmt: skip
    found = {line: (s.traits, s.reason, s.until, only) for line, (s, only) in comments(yaml).items()}
    assert found == {
        2: (("open-security-group",), "public web tier", None, True),
        6: (("x",), "inside a quoted string'", None, False),  # a single-quoted YAML string is not tracked
        8: (("remote-access-open",), "SFTP", date(2999, 1, 1), False),
    }


def test_heredoc_bodies_and_strings_hold_no_comments() -> None:
    hcl = SourceFile(Path("m.tf"), (
        'resource "aws_instance" "a" {\n'
        '  user_data = <<-EOT\n'
        '    # iac-exposure:ignore[public-ip] a shell comment in the script\n'
        '  EOT\n'
        '  tags = { Note = "see // iac-exposure:ignore[public-ip] docs" }\n'
        '  tags = { Note = "a # iac-exposure:ignore[x] in a string" } # iac-exposure:ignore[imdsv1-allowed] legacy AMI\n'
        '  ami = "ami-1" // iac-exposure:ignore[public-ip]: static IP for the partner allow-list\n'
        '}\n'
    ), "hcl")  # fmt: skip
    assert {line: s.reason for line, (s, _) in comments(hcl).items()} == {
        6: "legacy AMI", 7: "static IP for the partner allow-list"}  # fmt: skip


def test_parse_comment_accepts_until_anywhere_and_separators() -> None:
    s = parse_comment("[a, b] -- reason here until=2030-02-03", "f", 1)
    assert (s.traits, s.reason, s.until, s.problem) == (("a", "b"), "reason here", date(2030, 2, 3), None)


# --- format metadata (the CloudFormation reader fills Unit.suppressions with it) -----------------------


def _finding(trait: str, resource: Resource, source: Resource, location: Span | None) -> Finding:
    return Finding(meta(trait), resource, source, location, "message", None)


def _policy(**kw: Any) -> Policy:
    return Policy(lambda: frozenset(by_id()), lambda t: True, kw.pop("reason", "required"), date(2025, 1, 1), **kw)


def test_metadata_suppressions_apply_by_address() -> None:
    text = "Resources:\n  Web:\n    Type: AWS::EC2::Instance\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n"
    file = SourceFile(Path("t.yaml"), text, "cfn-yaml")
    web = Resource("Web", "AWS::EC2::Instance", "Web", Span(file, 13, 45), ())
    group = Resource("Sg", "AWS::EC2::SecurityGroup", "Sg", Span(file, 46, len(text)), ())
    metadata = {"iac-exposure": {"ignore": [
        {"trait": "open-security-group", "reason": "public web tier"},
        {"trait": "remote-access-open", "reason": "jump host", "until": "2024-12-31"},
        {"trait": "public-ip"},
        {"trait": "imdsv1-allowed", "reason": "x", "expires": "soon"},
    ]}}  # fmt: skip
    suppressions = from_metadata(metadata, "t.yaml", 5)
    findings = [_finding(t, web, group, group.span) for t in
                ("open-security-group", "remote-access-open", "public-ip", "imdsv1-allowed")]  # fmt: skip
    outcome = Suppressor([file], [web, group], {"Sg": suppressions}, _policy()).apply(findings)
    assert [s.finding.trait.id for s in outcome.suppressed] == ["open-security-group"]
    assert outcome.suppressed[0].suppression.origin == "metadata"
    assert {(n.kind, n.message) for n in outcome.notices} == {
        ("expired-suppression", "suppression of remote-access-open expired on 2024-12-31: its findings are reported again"),
        ("suppression-without-reason", 'suppression of public-ip gives no reason; it is not applied (suppression-reason = "required")'),
        ("invalid-suppression", "unknown key(s) expires (want trait, reason, until)"),
    }  # fmt: skip


@pytest.mark.parametrize(
    "metadata",
    [{"iac-exposure": ["open-security-group"]}, {"iac-exposure": {"ignore": "open-security-group"}},
     {"iac-exposure": {"ignore": [{"reason": "no trait"}]}}, {"iac-exposure": None}],
)  # fmt: skip
def test_malformed_metadata_is_reported(metadata: Any) -> None:
    [s] = from_metadata(metadata, "t.json", 3)
    assert s.problem and s.origin == "metadata" and s.line == 3


def test_metadata_of_other_tools_is_none_of_ours() -> None:
    assert from_metadata({"cfn-lint": {"config": {}}}, "t.yaml", 1) == []
    assert from_metadata(None, "t.yaml", 1) == []


def test_a_crash_while_suppressing_reports_the_findings_unsuppressed(
    shared: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(self: Suppressor, findings: Any) -> Any:
        raise RuntimeError("kaboom")

    edit(
        shared,
        '    cidr_blocks = ["0.0.0.0/0"]',
        '    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[remote-access-open] bastion',
    )
    monkeypatch.setattr(Suppressor, "apply", boom)
    code, data = scan(".", "--select", "remote-access-open")
    assert code == 2 and len(data["findings"]) == 2  # nothing silently dropped
    assert [d["kind"] for d in data["diagnostics"]] == ["internal-error"]


def test_fix_leaves_suppressed_findings_alone(shared: Path) -> None:
    shared.write_text(
        SHARED_GROUP.replace(
            """  ingress {
    from_port   = 22""",
            """  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[open-security-group] public HTTPS
  }

  ingress {
    from_port   = 22""",
        )
    )
    code, _, _ = run("scan", ".", "--fix", "--unsafe-fixes", "--select", "open-security-group,remote-access-open")
    text = shared.read_text()
    assert '    cidr_blocks = ["0.0.0.0/0"] # iac-exposure:ignore[open-security-group] public HTTPS\n' in text
    assert text.count('"0.0.0.0/0"') == 1 and "var.trusted_cidr" in text
    assert code == 0
