"""Terraform as a new user writes it: an environment calling local modules, values from terraform.tfvars.

fixtures/terraform_modules_example/: envs/prod calls ../../modules/network (VPC, public subnet, a security
group with a `dynamic "ingress"` over var.ingress_rules) and ../../modules/compute (an instance with
`vpc_security_group_ids = var.sg_ids`, IAM from an aws_iam_policy_document with `actions = ["*"]`); the SSH
CIDR is set to the whole internet in envs/prod/terraform.tfvars.
"""

from __future__ import annotations

import gc
import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iac_exposure.cli import main

EXAMPLE = "fixtures/terraform_modules_example"
PROD = f"{EXAMPLE}/envs/prod"
INSTANCE = "module.compute.aws_instance.web"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def line_of(workdir: Path, file: str, needle: str) -> int:
    lines = (workdir / file).read_text().splitlines()
    found = [i for i, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, (file, needle, found)
    return found[0]


def findings(*args: str) -> list[dict[str, object]]:
    _, out, _ = run("scan", *args, "--format", "json")
    data = json.loads(out)
    assert data["diagnostics"] == []
    found: list[dict[str, object]] = data["findings"]
    return found


def located(found: list[dict[str, object]]) -> set[tuple[object, ...]]:
    return {
        (f["trait"], f["resource"], f["source_resource"], f["location"]["file"], f["location"]["start_line"])  # type: ignore[index]
        for f in found
    }


def expected(workdir: Path) -> set[tuple[object, ...]]:
    tfvars = f"{PROD}/terraform.tfvars"
    sg, iam = f"{EXAMPLE}/modules/network/sg.tf", f"{EXAMPLE}/modules/compute/iam.tf"
    world_ssh = line_of(workdir, tfvars, "ssh_cidr")
    group = "module.network.aws_security_group.web"
    return {
        ("remote-access-open", INSTANCE, group, tfvars, world_ssh),
        ("open-security-group", INSTANCE, group, tfvars, world_ssh),
        ("open-security-group", INSTANCE, group, sg, line_of(workdir, sg, 'cidr_blocks       = ["0.0.0.0/0"]')),
        (
            "iam-admin-policy",
            INSTANCE,
            "module.compute.aws_iam_role_policy.web",
            iam,
            line_of(workdir, iam, 'actions   = ["*"]'),
        ),
        (
            "imdsv1-allowed",
            INSTANCE,
            INSTANCE,
            f"{EXAMPLE}/modules/compute/main.tf",
            line_of(workdir, f"{EXAMPLE}/modules/compute/main.tf", 'resource "aws_instance" "web"'),
        ),
        (
            "public-ip",
            INSTANCE,
            "module.network.aws_subnet.public",
            f"{EXAMPLE}/modules/network/vpc.tf",
            line_of(workdir, f"{EXAMPLE}/modules/network/vpc.tf", "map_public_ip_on_launch"),
        ),
        (  # the public IP is the cheapest link of its path from the internet
            "internet-reachable",
            INSTANCE,
            "module.network.aws_subnet.public",
            f"{EXAMPLE}/modules/network/vpc.tf",
            line_of(workdir, f"{EXAMPLE}/modules/network/vpc.tf", "map_public_ip_on_launch"),
        ),
    }


def test_environment_reports_module_resources_where_values_are_written(workdir: Path) -> None:
    assert located(findings(PROD)) == expected(workdir)


def test_scanning_the_whole_repo_reports_each_finding_once(workdir: Path) -> None:
    """The modules are analysed inside the environment that calls them, not a second time alone."""
    found = findings(EXAMPLE)
    assert len(found) == len(located(found))
    assert located(found) == expected(workdir)


def test_patches_edit_tfvars_and_module_files_and_clear_the_findings(workdir: Path) -> None:
    code, diff, _ = run("scan", PROD, "--diff", "--unsafe-fixes")
    assert code == 1
    touched = {line[6:] for line in diff.splitlines() if line.startswith("+++ b/")}
    assert touched == {
        f"{PROD}/terraform.tfvars",
        f"{EXAMPLE}/modules/network/sg.tf",
        f"{EXAMPLE}/modules/compute/iam.tf",
        f"{EXAMPLE}/modules/compute/main.tf",
    }
    assert '-ssh_cidr = "0.0.0.0/0"' in diff  # the value only the user knows: Terraform asks for it now
    assert '-    actions   = ["*"]' in diff  # the administrative statement block goes, the other stays
    subprocess.run(["git", "apply"], input=diff, text=True, cwd=workdir, check=True)
    code, out, _ = run("scan", PROD, "--format", "json")
    assert json.loads(out)["findings"] == []
    assert code == 0


def test_changed_module_file_reports_only_its_own_findings(workdir: Path) -> None:
    """A named module file pulls in its module (alone: nobody named its callers) and reports what it holds."""
    module = f"{EXAMPLE}/modules/network"
    whole = located(findings(module))
    sg = f"{module}/sg.tf"
    assert {f[3] for f in whole} == {sg, f"{module}/variables.tf"}  # the default ingress rule is elsewhere
    only = findings(sg)
    assert {(f["trait"], f["location"]["file"]) for f in only} == {("open-security-group", sg)}  # type: ignore[index]
    assert only[0]["resource"] == "aws_security_group.web"  # no instance uses it here: reported on itself


def test_changed_tfvars_file_reports_the_findings_it_causes(workdir: Path) -> None:
    found = findings(f"{PROD}/terraform.tfvars")
    assert {(f["trait"], f["resource"]) for f in found} == {
        ("remote-access-open", INSTANCE),
        ("open-security-group", INSTANCE),
    }


@pytest.mark.parametrize(
    ("args", "opened"),
    [
        (["--var", "ssh_cidr=10.20.0.0/16"], False),
        (["--var-file", "closed.tfvars"], False),
        (["--var-file", "closed.tfvars", "--var", "ssh_cidr=0.0.0.0/0"], True),
        (["--var", "ssh_cidr=0.0.0.0/0", "--var-file", "closed.tfvars"], False),
    ],
)
def test_command_line_variables_win_in_order(workdir: Path, args: list[str], opened: bool) -> None:
    (workdir / "closed.tfvars").write_text('ssh_cidr = "10.20.0.0/16"\n')
    traits = {f["trait"] for f in findings(PROD, *args)}
    assert ("remote-access-open" in traits) is opened


def test_var_must_be_name_equals_value(workdir: Path) -> None:
    code, _, err = run("scan", PROD, "--var", "ssh_cidr")
    assert code == 2 and "NAME=VALUE" in err


def test_unfollowed_registry_module_is_a_warning_not_an_error(workdir: Path) -> None:
    root = workdir / "registry"
    root.mkdir()
    (root / "main.tf").write_text(
        'module "vpc" {\n  source  = "terraform-aws-modules/vpc/aws"\n  version = "5.0.0"\n}\n\n'
        'resource "aws_instance" "web" {\n  ami       = "ami-1"\n  subnet_id = module.vpc.public_subnets[0]\n'
        '  metadata_options {\n    http_tokens = "required"\n  }\n}\n'
    )
    code, out, _ = run("scan", "registry", "--format", "json")
    data = json.loads(out)
    assert [(d["kind"], d["error"], d["line"]) for d in data["diagnostics"]] == [("module-not-followed", False, 1)]
    assert "terraform init" in data["diagnostics"][0]["message"]
    assert data["findings"] == []  # the subnet is unknown: no public-IP guess
    assert code == 0


def test_a_root_is_freed_without_the_cyclic_collector() -> None:
    """A root's parsed modules, module scopes and model are freed by reference counting once dropped: in a
    reference cycle they would wait for the cyclic collector, and a scan of many roots grows by hundreds of
    MiB when it runs seldom (or not at all)."""
    ours = {"ModuleScope", "ModuleSource", "Evaluator", "Model", "NetworkLinks", "HclBlock", "Node"}
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        assert findings(PROD, "--no-cache")  # module inputs and outputs; reachability links the network
        gc.collect()
        leaked = {type(o).__name__ for o in gc.garbage} & ours
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
    assert leaked == set()
