"""Terraform plan JSON: the new-user scenario, values decided from plan + configuration, links, locations."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import hcl2
import pytest
from click.testing import CliRunner

from iac_exposure.api import combined_patch, scan
from iac_exposure.cli import main
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.model.aws import Instance
from iac_exposure.model.values import Origin, Ref
from iac_exposure.parsers.terraform_plan import is_terraform_plan
from iac_exposure.readers.terraform_plan import unit
from iac_exposure.source import SourceFile

SCENARIO = "fixtures/terraform_plan/new_user_module"


def _found(report: Any) -> set[tuple[str, str, str, int]]:
    return {
        (r.finding.trait.id, r.finding.resource.address, r.finding.location.file.display, r.finding.location.start_line)
        for r in report.results
    }


def test_new_user_plan_of_a_child_module_is_reported_on_the_tf_lines_and_the_patch_clears_the_sources(
    workdir: Path,
) -> None:
    report = scan([f"{SCENARIO}/plan.json"], Config())
    assert not report.diagnostics
    web = f"{SCENARIO}/modules/web/main.tf"
    assert _found(report) == {
        ("imdsv1-allowed", "module.web.aws_instance.server", web, 22),  # the instance block (no metadata_options)
        ("remote-access-open", "module.web.aws_instance.server", web, 18),  # "::/0" in ipv6_cidr_blocks
        ("open-security-group", "module.web.aws_instance.server", web, 18),
    }
    assert all(r.patch and r.patch.applicability is Applicability.UNSAFE for r in report.results)

    sources = scan([SCENARIO + "/main.tf", SCENARIO + "/modules/web/main.tf"], Config())
    assert {(t, f, line) for t, _, f, line in _found(sources)} == {(t, f, line) for t, _, f, line in _found(report)}

    diff, _ = combined_patch(report, unsafe=True)
    assert {line for line in diff.splitlines() if line.startswith("+++")} == {f"+++ b/{web}"}
    (workdir / "fix.diff").write_text(diff)
    subprocess.run(["git", "apply", "fix.diff"], cwd=workdir, check=True)
    patched = (workdir / web).read_text()
    hcl2.parses_to_tree(patched)
    assert 'http_tokens = "required"' in patched and "[var.trusted_ipv6_cidr]" in patched
    assert json.loads((workdir / SCENARIO / "plan.json").read_text())  # the plan itself is never patched

    # the plan is stale now; the patched sources are what a new plan would be made from
    assert not scan([SCENARIO + "/main.tf", SCENARIO + "/modules/web/main.tf"], Config()).results


def test_without_its_configuration_a_plan_is_reported_on_itself_with_display_only_suggestions(
    workdir: Path, tmp_path: Path
) -> None:
    alone = tmp_path / "ci" / "plan.json"
    alone.parent.mkdir()
    shutil.copy(workdir / SCENARIO / "plan.json", alone)
    report = scan([str(alone)], Config())
    assert {r.finding.resource.address for r in report.results} == {"module.web.aws_instance.server"}
    for result in report.results:
        assert result.finding.location.file.path == alone or result.finding.location.file.display.endswith(
            "ci/plan.json"
        )
        assert result.patch is not None and result.patch.applicability is Applicability.DISPLAY_ONLY
        assert result.patch.diff is None and "--source-dir" in result.patch.reason
    # the location is the value in the plan when it has one, else the resource's entry
    rdp = next(r for r in report.results if r.finding.trait.id == "remote-access-open")
    assert rdp.finding.location.text == '"::/0"'

    with_source = scan([str(alone)], Config(source_dir=str(workdir / SCENARIO)))
    assert {r.finding.location.file.path.name for r in with_source.results} == {"main.tf"}
    assert all(r.patch and r.patch.diff for r in with_source.results)


def test_source_dir_option(workdir: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    shutil.copy(workdir / SCENARIO / "plan.json", plan)
    args = ["scan", str(plan), "--format", "json", "--source-dir", SCENARIO]
    result = CliRunner().invoke(main, args)
    findings = json.loads(result.stdout)["findings"]
    assert result.exit_code == 1, result.output
    assert {f["location"]["file"] for f in findings} == {f"{SCENARIO}/modules/web/main.tf"}
    assert CliRunner().invoke(main, ["scan", str(plan), "--source-dir", "no/such/dir"]).exit_code == 2


# -- hand-written plans: one attribute decided at a time --------------------------------------------------


def _plan(after: dict[str, Any], unknown: dict[str, Any], expressions: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "format_version": "1.2",
        "terraform_version": "1.9.8",
        "resource_changes": [
            {
                "address": "aws_instance.web",
                "mode": "managed",
                "type": "aws_instance",
                "name": "web",
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": None, "after": after, "after_unknown": unknown},
            }
        ],
        "configuration": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_instance.web",
                        "mode": "managed",
                        "type": "aws_instance",
                        "name": "web",
                        "expressions": expressions,
                    }
                ]
            }
        },
        **top,
    }


def _instance(tmp_path: Path, plan: dict[str, Any]) -> Instance:
    path = tmp_path / "plan.json"
    text = json.dumps(plan, indent=2)
    path.write_text(text)
    found = unit(SourceFile(path, text), plan, Config()).resources
    inst = next(r for r in found if isinstance(r, Instance))
    return inst


def test_unknown_and_not_written_is_the_aws_default(tmp_path: Path) -> None:
    inst = _instance(
        tmp_path, _plan({"ami": "ami-1"}, {"metadata_options": True}, {"ami": {"constant_value": "ami-1"}})
    )
    tokens = inst.settings.metadata_options.http_tokens
    assert tokens.origin is Origin.DEFAULT and tokens.value is None
    assert tokens.missing == ("metadata_options", "http_tokens")


def test_unknown_and_written_as_an_expression_stays_unknown(tmp_path: Path) -> None:
    written = {
        "metadata_options": [
            {"http_tokens": {"references": ["aws_ssm_parameter.mode.value", "aws_ssm_parameter.mode"]}}
        ]
    }
    plan = _plan(
        {"metadata_options": [{"http_endpoint": "enabled"}]}, {"metadata_options": [{"http_tokens": True}]}, written
    )
    inst = _instance(tmp_path, plan)
    assert inst.settings.metadata_options.http_tokens.origin is Origin.UNKNOWN
    assert inst.settings.metadata_options.http_endpoint.value == "enabled"
    report = scan([str(tmp_path / "plan.json")], Config(select=frozenset({"imdsv1-allowed"})))
    assert not report.results


def test_known_but_not_written_is_a_default_with_its_value(tmp_path: Path) -> None:
    plan = _plan({"metadata_options": [{"http_tokens": "optional"}]}, {}, {})
    tokens = _instance(tmp_path, plan).settings.metadata_options.http_tokens
    assert (tokens.origin, tokens.value) == (Origin.DEFAULT, "optional")


def test_unknown_links_follow_the_configuration_references(tmp_path: Path) -> None:
    plan = _plan(
        {"ami": "ami-1"},
        {"vpc_security_group_ids": True, "subnet_id": True},
        {
            "vpc_security_group_ids": {"references": ["aws_security_group.web.id", "aws_security_group.web"]},
            "subnet_id": {"references": ["var.subnet_id"]},
        },
    )
    plan["resource_changes"].append(
        {
            "address": "aws_security_group.web",
            "mode": "managed",
            "type": "aws_security_group",
            "name": "web",
            "change": {"actions": ["create"], "after": {"name": "web"}, "after_unknown": {"id": True}},
        }
    )
    settings = _instance(tmp_path, plan).settings
    assert settings.security_groups.plain() == [Ref("aws_security_group.web")]
    assert settings.subnets.origin is Origin.UNKNOWN  # a root variable is a value, not a resource


def test_a_reference_by_count_index_is_not_guessed(tmp_path: Path) -> None:
    plan = _plan(
        {},
        {"vpc_security_group_ids": True},
        {"vpc_security_group_ids": {"references": ["aws_security_group.web", "count.index"]}},
    )
    for i in range(2):
        plan["resource_changes"].append(
            {
                "address": f"aws_security_group.web[{i}]",
                "mode": "managed",
                "type": "aws_security_group",
                "name": "web",
                "index": i,
                "change": {"actions": ["create"], "after": {}, "after_unknown": {}},
            }
        )
    assert _instance(tmp_path, plan).settings.security_groups.origin is Origin.UNKNOWN


def test_pure_deletes_are_not_analysed(tmp_path: Path) -> None:
    plan = _plan({"ami": "ami-1"}, {"metadata_options": True}, {})
    plan["resource_changes"][0]["change"].update(actions=["delete"], after=None, after_unknown={})
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    assert not scan([str(path)], Config()).results


def test_an_unknown_major_format_version_is_a_clear_diagnostic(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_plan({}, {"metadata_options": True}, {}), indent=2).replace('"1.2"', '"2.0"'))
    report = scan([str(path)], Config())
    assert not report.results
    (diag,) = report.diagnostics
    assert diag.kind == "unsupported-format" and diag.line == 2
    assert "format_version '2.0' is not supported" in diag.message and "1.x" in diag.message


def test_detection_is_disjoint_from_state_and_cloudformation() -> None:
    assert is_terraform_plan({"format_version": "1.0", "planned_values": {}})
    assert not is_terraform_plan({"format_version": "1.0", "values": {}})  # terraform show -json of a state
    assert not is_terraform_plan({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})


def test_naming_the_plan_reports_findings_located_in_its_sources(workdir: Path) -> None:
    # changed-files mode reports only findings located in the named files; a plan stands for its sources
    report = scan([f"{SCENARIO}/plan.json"], Config(select=frozenset({"imdsv1-allowed"})))
    assert len(report.results) == 1
    only_main = scan([f"{SCENARIO}/main.tf"], Config(select=frozenset({"imdsv1-allowed"})))
    assert not only_main.results


@pytest.mark.parametrize("name", ["imdsv1_allowed", "remote_access_open", "iam_admin_policy"])
def test_every_planned_resource_is_found_in_the_sources(name: str) -> None:
    """Local modules, installed remote modules, count/for_each instances: each plan address maps to its block."""
    path = Path("fixtures/terraform_plan") / name / "plan.json"
    text = path.read_text()
    resources = unit(SourceFile(path, text), json.loads(text), Config()).resources
    assert len(resources) > 20
    assert {r.address for r in resources if r.span is None or r.span.file.path.suffix != ".tf"} == set()


def test_values_from_dynamic_blocks_are_read_from_the_plan_and_not_patched() -> None:
    report = scan(["fixtures/terraform_plan/dynamic_blocks/plan.json"], Config())
    assert {(r.finding.trait.id, r.finding.message) for r in report.results} == {
        ("imdsv1-allowed", 'http_tokens is "optional": the instance allows IMDSv1'),
        ("remote-access-open", "Ingress from 0.0.0.0/0 to 22 (SSH) in aws_security_group.dyn"),
        ("open-security-group", "Ingress from 0.0.0.0/0 to 22/tcp in aws_security_group.dyn"),
    }
    for result in report.results:
        assert result.finding.location.file.path.name == "plan.json"
        assert result.patch is not None and result.patch.diff is None and "dynamic block" in result.patch.reason


def test_a_directory_with_a_plan_and_its_sources_gets_one_patch_per_file(workdir: Path) -> None:
    # both the Terraform reader and the plan reader load modules/web/main.tf: one diff, each fix once
    report = scan([SCENARIO], Config())
    diff, _ = combined_patch(report, unsafe=True)
    assert [line for line in diff.splitlines() if line.startswith("+++")] == [f"+++ b/{SCENARIO}/modules/web/main.tf"]
    assert diff.count('+    http_tokens = "required"') == 1
    (workdir / "fix.diff").write_text(diff)
    subprocess.run(["git", "apply", "fix.diff"], cwd=workdir, check=True)


@pytest.mark.parametrize("with_source", [True, False])
def test_data_sources_read_at_plan_time_resolve_the_image(workdir: Path, tmp_path: Path, with_source: bool) -> None:
    """`data "aws_ami"` in prior_state: the AMI it resolved and its name reach the image checks, through the
    instance's `ami = data.aws_ami.legacy.id` (a link, not just the substituted id)."""
    plan = Path("fixtures/terraform_plan/ami_lookup/plan.json")
    if not with_source:
        plan = Path(shutil.copy(plan, tmp_path / "plan.json"))
    config = Config(select=frozenset({"eol-operating-system"}), as_of=date(2026, 7, 15))
    report = scan([str(plan)], config)
    (result,) = report.results
    assert result.finding.resource.address == "aws_instance.batch"
    assert 'AMI ami-0b69ea66ff7391e80 "amzn-ami-hvm-2018.03.0.20231218.0-x86_64-gp2" is Amazon Linux AMI' in (
        result.finding.message
    )
    assert result.finding.source_resource.address == "data.aws_ami.legacy"
    assert (result.finding.location.file.path.name == "main.tf") is with_source
