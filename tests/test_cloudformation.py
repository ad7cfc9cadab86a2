"""CloudFormation as a user meets it: which files are templates, each fixture template on its own, the new
user's stack (every trait at its line, the combined patch applied and linted), conditions, parameters, spans."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from iac_exposure.api import combined_patch, scan
from iac_exposure.cli import main
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.parsers.cloudformation import Node, parse, to_data
from iac_exposure.patches.edits import apply_edits
from iac_exposure.readers.cloudformation import is_cloudformation
from iac_exposure.source import SourceFile

from .conftest import FIXTURES, ROOT
from .test_fixtures import _cfn_names, cfn_lint_errors

STACK = "fixtures/cloudformation/stack"
TEMPLATES = sorted(p.relative_to(FIXTURES) for p in (FIXTURES / "cloudformation").glob("*/*.*"))


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


# -- which files are templates --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"AWSTemplateFormatVersion": "2010-09-09"}, True),
        ({"Resources": {"A": {"Type": "AWS::EC2::VPC"}}}, True),
        ({"Transform": "AWS::Serverless-2016-10-31", "Resources": {"F": {"Type": "AWS::Serverless::Function"}}}, True),
        ({"Resources": {"A": {"Type": "Custom::Thing"}}}, False),
        ({"name": "web", "version": "1.0.0", "dependencies": {}}, False),
        ({"LaunchTemplateData": {"ImageId": "ami-0c02fb55956c7d316"}}, False),
        ({"format_version": "1.2", "planned_values": {}, "resource_changes": []}, False),
        (["AWSTemplateFormatVersion"], False),
    ],
)
def test_is_cloudformation(data: Any, expected: bool) -> None:
    assert is_cloudformation(data) is expected


NOT_TEMPLATES = {
    "package.json": '{"name": "web", "version": "1.0.0", "scripts": {"build": "tsc"}}\n',
    "tsconfig.json": '{"compilerOptions": {"strict": true}, "include": ["AWS::EC2::Instance.ts"]}\n',
    "deployment.yaml": "apiVersion: apps/v1\nkind: Deployment\n---\napiVersion: v1\nkind: Service\n",
    "workflow.yml": "on: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n",
    "broken.yaml": "key: [unclosed\n",
    "mentions-aws.yaml": "notes: |\n  uses AWS::EC2::Instance somewhere\n",
}


def test_other_yaml_and_json_files_are_skipped_silently(tmp_path: Path) -> None:
    for name, text in NOT_TEMPLATES.items():
        (tmp_path / name).write_text(text)
    report = scan([str(tmp_path)], Config())
    assert (report.results, report.diagnostics, report.files_scanned) == ([], [], 0)


def test_scanning_no_template_never_imports_cfn_lint(tmp_path: Path) -> None:
    for name, text in NOT_TEMPLATES.items():
        if "AWS::" not in text:
            (tmp_path / name).write_text(text)
    (tmp_path / "main.tf").write_text('resource "aws_vpc" "main" {\n  cidr_block = "10.0.0.0/16"\n}\n')
    code = (
        "import sys; from iac_exposure.api import scan; from iac_exposure.config import Config; "
        f"scan([{str(tmp_path)!r}], Config()); print('cfnlint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_scanning_valid_templates_never_imports_cfn_lint(tmp_path: Path) -> None:
    """Valid templates, YAML and JSON, are decoded without cfn-lint (`parsers/cfn_decode.py`)."""
    for name in ("bad.yaml", "bad.json"):
        text = (FIXTURES / "cloudformation" / "remote_access_open" / name).read_text()
        (tmp_path / name).write_text(text)
    code = (
        "import sys; from iac_exposure.api import scan; from iac_exposure.config import Config; "
        f"report = scan([{str(tmp_path)!r}], Config(use_cache=False)); "
        "print(report.files_scanned, len(report.results), len(report.diagnostics), 'cfnlint' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    files, results, diagnostics, imported = out.stdout.split()
    assert (files, results != "0", diagnostics, imported) == ("2", True, "0", "False")


def test_a_broken_template_is_a_parse_error_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n'
        "    Properties: {GroupDescription: [oops}\n"
    )
    report = scan([str(tmp_path)], Config())
    assert [(d.kind, d.line) for d in report.diagnostics] == [("parse-error", 5)]


def test_sam_templates_and_the_template_suffix_are_read(tmp_path: Path) -> None:
    (tmp_path / "app.template").write_text(
        '{"Transform": "AWS::Serverless-2016-10-31", "Resources": {'
        '"Api": {"Type": "AWS::Serverless::Function", "Properties": {"Handler": "index.handler"}},'
        '"FailSg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x", '
        '"SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}}\n'
    )
    report = scan([str(tmp_path)], Config(select=frozenset({"remote-access-open"})))
    assert [(r.finding.resource.name, r.finding.location.start_line) for r in report.results] == [("FailSg", 1)]  # type: ignore[union-attr]


# -- every fixture template on its own ----------------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES, ids=str)
def test_each_template_alone_reports_exactly_its_fail_resources(template: Path, workdir: Path) -> None:
    """The fixture test scans a directory; here YAML and JSON twins are scanned apart, so one cannot hide the
    other's misses."""
    trait = template.parent.name.replace("_", "-")
    report = scan([f"fixtures/{template.as_posix()}"], Config(select=frozenset({trait})))
    text = (FIXTURES / template).read_text()
    assert not report.diagnostics
    assert {r.finding.resource.name for r in report.results} == _cfn_names("fail", text)
    assert {r.finding.resource.span.file.path.name for r in report.results} <= {template.name}  # type: ignore[union-attr]


# -- the new user's stack ---------------------------------------------------------------------------------


def _line(lines: list[str], needle: str, after: str = "") -> int:
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and needle in line) + 1


def test_stack_every_trait_at_its_line_and_the_combined_patch_applies_with_no_new_cfn_lint_error(
    workdir: Path,
) -> None:
    """A VPC with a public subnet (MapPublicIpOnLaunch), an instance without MetadataOptions, SSH from
    0.0.0.0/0 and RDP from ::/0, AdministratorAccess by `!Sub 'arn:${AWS::Partition}:…'` behind the profile."""
    code, out = run("scan", STACK, "--format", "json")
    assert code == 1
    lines = (workdir / STACK / "template.yaml").read_text().splitlines()
    ssh, rdp = _line(lines, "CidrIp: 0.0.0.0/0"), _line(lines, "CidrIpv6: ::/0")
    expected = {
        ("imdsv1-allowed", _line(lines, "Properties:", after="  WebServer:")),
        ("iam-admin-policy", _line(lines, "policy/AdministratorAccess")),
        ("public-ip", _line(lines, "MapPublicIpOnLaunch: true")),
        ("internet-reachable", _line(lines, "MapPublicIpOnLaunch: true")),  # public subnet, gateway, SSH open
        ("remote-access-open", ssh),
        ("remote-access-open", rdp),
        ("open-security-group", ssh),
        ("open-security-group", rdp),
    }
    findings = json.loads(out)["findings"]
    assert {(f["trait"], f["location"]["start_line"]) for f in findings} == expected
    assert {f["resource"] for f in findings} == {"WebServer"}
    assert all(f["location"]["file"] == f"{STACK}/template.yaml" for f in findings)
    assert all(f["applicability"] == "unsafe" for f in findings)

    diff, _ = combined_patch(scan([STACK], Config()), unsafe=True)
    (workdir / "all.diff").write_text(diff)
    subprocess.run(["git", "apply", "all.diff"], cwd=workdir, check=True)
    patched = (workdir / STACK / "template.yaml").read_text()
    assert not cfn_lint_errors(patched) - cfn_lint_errors(
        (FIXTURES / "cloudformation" / "stack" / "template.yaml").read_text()
    )
    assert "MapPublicIpOnLaunch: false" in patched and "HttpTokens: required" in patched
    assert patched.count("!Ref TrustedCidr") == 1 and patched.count("!Ref TrustedIpv6Cidr") == 1
    assert "AdministratorAccess" not in patched and "AmazonSSMManagedInstanceCore" in patched
    assert scan([STACK], Config()).results == []


# -- conditions and parameters -----------------------------------------------------------------------------

CONDITIONAL = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  OpenSsh: {Type: String, AllowedValues: ["true", "false"]}
  OpenRdp: {Type: String, AllowedValues: ["true", "false"]}
Conditions:
  SshOpen: !Equals [!Ref OpenSsh, "true"]
  RdpOpen: !Equals [!Ref OpenRdp, "true"]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: admin
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: !If [SshOpen, 0.0.0.0/0, 10.0.0.0/8]}
        - {IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}
  Extra:
    Type: AWS::EC2::SecurityGroupIngress
    Condition: RdpOpen
    Properties:
      GroupId: !Ref Sg
      IpProtocol: tcp
      FromPort: 3389
      ToPort: 3389
      CidrIp: !If [SshOpen, 0.0.0.0/0, 10.0.0.0/8]
"""


def _messages(path: Path, *parameters: str) -> set[str]:
    args = ["scan", str(path), "--select", "remote-access-open", "--format", "json"]
    for parameter in parameters:
        args += ["--parameter", parameter]
    _, out = run(*args)
    return {f["message"] for f in json.loads(out)["findings"]}


def test_a_finding_that_needs_an_undecidable_condition_says_which(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(CONDITIONAL)
    cannot = "cannot be evaluated before deployment"
    assert _messages(tmp_path) == {
        f"Ingress from 0.0.0.0/0 to 22 (SSH) in Sg (assuming condition SshOpen is true: it {cannot})",
        (
            "Ingress from 0.0.0.0/0 to 3389 (RDP) in Sg (assuming condition SshOpen is true and condition RdpOpen "
            f"is true: they {cannot})"
        ),
    }


def test_parameter_values_decide_conditions(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(CONDITIONAL)
    assert _messages(tmp_path, "OpenSsh=true", "OpenRdp=false") == {"Ingress from 0.0.0.0/0 to 22 (SSH) in Sg"}
    assert _messages(tmp_path, "OpenSsh=false", "OpenRdp=true") == set()


def test_a_parameter_overrides_its_default(workdir: Path) -> None:
    template = "fixtures/cloudformation/remote_access_open/bad.yaml"
    config = Config(select=frozenset({"remote-access-open"}), parameters=(("SSHLocation", "10.0.0.0/8"),))
    names = {r.finding.resource.name for r in scan([template], config).results}
    assert "FailSshCidrParameter" not in names and "FailSshWorld" in names


def test_a_malformed_parameter_option_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["scan", STACK, "--parameter", "novalue"])
    assert result.exit_code == 2 and "NAME=VALUE" in result.output


def test_a_world_cidr_from_a_parameter_default_is_located_there_and_its_default_removed(workdir: Path) -> None:
    template = "fixtures/cloudformation/remote_access_open/bad.yaml"
    report = scan([template], Config(select=frozenset({"remote-access-open"})))
    (result,) = [r for r in report.results if r.finding.resource.name == "FailSshCidrParameter"]
    assert result.finding.location is not None and result.finding.location.text == "0.0.0.0/0"
    assert result.patch is not None and result.patch.applicability is Applicability.UNSAFE
    assert result.patch.diff is not None and "-    Default: 0.0.0.0/0\n" in result.patch.diff
    overridden = scan(
        [template], Config(select=frozenset({"remote-access-open"}), parameters=(("SSHLocation", "0.0.0.0/0"),))
    )
    (result,) = [r for r in overridden.results if r.finding.resource.name == "FailSshCidrParameter"]
    assert result.finding.location is not None and result.finding.location.text == "!Ref SSHLocation"
    assert result.patch is not None and result.patch.applicability is Applicability.DISPLAY_ONLY
    assert "--parameter SSHLocation" in result.patch.reason


# -- spans -------------------------------------------------------------------------------------------------


def _nodes(node: Node) -> Iterator[Node]:
    yield node
    children = (
        node.value.values() if isinstance(node.value, dict) else node.value if isinstance(node.value, tuple) else ()
    )
    for child in children:
        yield from _nodes(child)


def _decode(text: str, column: int) -> Any:
    from cfnlint.decode import cfn_yaml

    if not text.strip():
        return None  # an empty value: nothing written
    # a block scalar's span ends with its text, its value with the line break after it
    return _plain(cfn_yaml.loads(" " * column + text + "\n"))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value.isoformat() if hasattr(value, "isoformat") else value


@pytest.mark.parametrize("template", [*TEMPLATES, Path("cloudformation/stack/template.yaml")], ids=str)
def test_every_exact_span_reads_back_as_its_value(template: Path) -> None:
    """Every node located exactly: its own text, and its text with its key, decode to what the template holds
    there (JSON is YAML), so a patch that replaces a span replaces exactly that value."""
    file = SourceFile(template, (FIXTURES / template).read_text(), "")
    root = parse(file)
    for node in _nodes(root):
        if not node.exact:
            continue
        column = node.span.start - file.line_start(node.span.start)
        assert _decode(node.span.text, column) == to_data(node), node.span.text
        if node.entry != node.span:
            (key,) = _decode(node.entry.text, node.entry.start - file.line_start(node.entry.start))
            assert _decode(node.entry.text, node.entry.start - file.line_start(node.entry.start)) == {
                key: to_data(node)
            }


# -- suppressions and image suggestions ----------------------------------------------------------------------

SUPPRESSED = """\
AWSTemplateFormatVersion: "2010-09-09"
Resources:
  JumpGroup:
    Type: AWS::EC2::SecurityGroup
    Metadata:
      iac-exposure:
        ignore:
          - trait: remote-access-open
            reason: jump host; SSH allow-listed upstream (SEC-42)
    Properties:
      GroupDescription: jump
      SecurityGroupIngress:
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
  OtherGroup:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: other
      SecurityGroupIngress:
        # iac-exposure:ignore[remote-access-open] lab network, torn down nightly
        - {IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}
        - {IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIp: 0.0.0.0/0}
"""


def test_metadata_and_comments_suppress_findings(tmp_path: Path) -> None:
    (tmp_path / "t.yaml").write_text(SUPPRESSED)
    report = scan([str(tmp_path)], Config(select=frozenset({"remote-access-open"})))
    assert [r.finding.message for r in report.results] == ["Ingress from 0.0.0.0/0 to 3389 (RDP) in OtherGroup"]
    assert sorted(s.finding.message for s in report.suppressed) == [
        "Ingress from 0.0.0.0/0 to 22 (SSH) in JumpGroup",
        "Ingress from 0.0.0.0/0 to 22 (SSH) in OtherGroup",
    ]
    assert report.notices == []


EOL = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  LatestAmiId:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref LatestAmiId
  Batch:
    Type: AWS::EC2::LaunchTemplate
    Properties:
      LaunchTemplateData:
        ImageId: "{{resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2}}"
"""


def test_an_end_of_life_image_parameter_is_pointed_at_a_maintained_one(tmp_path: Path) -> None:
    """An SSM parameter's default, and a `{{resolve:ssm:…}}` reference, are rewritten in place (suggestions)."""
    import datetime

    (tmp_path / "t.yaml").write_text(EOL)
    config = Config(select=frozenset({"eol-operating-system"}), as_of=datetime.date(2026, 7, 15))
    report = scan([str(tmp_path / "t.yaml")], config)
    assert {r.finding.resource.name for r in report.results} == {"Web", "Batch"}
    edits = [e for r in report.results if r.patch is not None for e in r.patch.edits]
    new, _ = apply_edits(EOL, edits)
    assert new == EOL.replace("amzn2-ami-hvm-x86_64-gp2", "al2023-ami-kernel-default-x86_64")
