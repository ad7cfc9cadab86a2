"""The HCL writer for `UseParameter`: point a launch source at an SSM public parameter, in the file's own style."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import hcl2
import pytest

from iac_exposure.adapters.terraform.module import adapt_module
from iac_exposure.model.graph import Model
from iac_exposure.parsers.terraform_hcl import parse
from iac_exposure.patches.edits import Edit, apply_edits
from iac_exposure.patches.hcl import Unpatchable, edits
from iac_exposure.patches.remedies import UseParameter
from iac_exposure.patches.render import PatchContext
from iac_exposure.source import SourceFile

AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def use_parameter(text: str, siblings: dict[str, str] | None = None, memo: dict[str, Any] | None = None) -> list[Edit]:
    """The edits for the first compute resource of mod/main.tf, as the traits build the action."""
    files = [SourceFile(Path("mod/main.tf"), text, "hcl")]
    files += [SourceFile(Path("mod") / name, body, "hcl") for name, body in (siblings or {}).items()]
    model = Model(adapt_module(b for f in files for b in parse(f)))
    image = model.compute[0].image
    assert image is not None
    current = image.parameter if image.parameter.explicit else None
    action = UseParameter(image.setting, AL2023, "al2023", current)
    return edits(action, PatchContext(files, {} if memo is None else memo))


def fixed(text: str, siblings: dict[str, str] | None = None) -> str:
    found = use_parameter(text, siblings)
    assert {e.file.path for e in found} == {Path("mod/main.tf")}
    new, skipped = apply_edits(text, found)
    assert skipped == []
    hcl2.parses_to_tree(new)
    return new


def test_literal_ami_points_at_a_new_data_source() -> None:
    text = (
        'resource "aws_instance" "web" {\n  ami           = "ami-0123456789abcdef0"\n  instance_type = "t3.micro"\n}\n'
    )
    assert fixed(text) == (
        'resource "aws_instance" "web" {\n  ami           = data.aws_ssm_parameter.al2023.value\n'
        '  instance_type = "t3.micro"\n}\n\n'
        f'data "aws_ssm_parameter" "al2023" {{\n  name = "{AL2023}"\n}}\n'
    )


def test_lookup_reference_is_replaced_and_the_lookup_left_alone() -> None:
    lookup = 'data "aws_ami" "old" {\n  filter {\n    name   = "name"\n    values = ["amzn-ami-hvm-*"]\n  }\n}\n'
    text = lookup + 'resource "aws_instance" "web" {\n  ami = data.aws_ami.old.id\n}'  # no final newline
    assert fixed(text) == (
        lookup + 'resource "aws_instance" "web" {\n  ami = data.aws_ssm_parameter.al2023.value\n}\n\n'
        f'data "aws_ssm_parameter" "al2023" {{\n  name = "{AL2023}"\n}}\n'
    )


def test_an_existing_parameter_is_rewritten_in_place() -> None:
    text = (
        'data "aws_ssm_parameter" "base" {\n  name = "/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2"\n}\n'
        'resource "aws_launch_template" "app" {\n  image_id = data.aws_ssm_parameter.base.value\n}\n'
    )
    assert fixed(text) == text.replace("amzn2-ami-hvm-x86_64-gp2", "al2023-ami-kernel-default-x86_64")


def test_a_resolve_ssm_string_keeps_its_form() -> None:
    text = 'resource "aws_launch_template" "app" {\n  image_id = "resolve:ssm:/aws/service/ami-amazon-linux-latest/amzn2-ami-hvm-x86_64-gp2:12"\n}\n'
    assert fixed(text) == f'resource "aws_launch_template" "app" {{\n  image_id = "resolve:ssm:{AL2023}"\n}}\n'


def test_a_data_source_the_module_already_has_for_the_path_is_reused() -> None:
    existing = f'data "aws_ssm_parameter" "latest" {{\n  name = "{AL2023}"\n}}\n'
    text = 'resource "aws_instance" "web" {\n  ami = "ami-0123456789abcdef0"\n}\n'
    assert fixed(text, {"images.tf": existing}) == text.replace(
        '"ami-0123456789abcdef0"', "data.aws_ssm_parameter.latest.value"
    )


def test_a_taken_name_gets_a_suffix() -> None:
    taken = 'data "aws_ssm_parameter" "al2023" {\n  name = "/golden/al2023"\n}\n'
    new = fixed('resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n', {"images.tf": taken})
    assert "ami = data.aws_ssm_parameter.al2023_2.value" in new and 'data "aws_ssm_parameter" "al2023_2" {' in new


def test_one_declaration_per_module_and_path() -> None:
    memo: dict[str, Any] = {}
    text = 'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n'
    first = use_parameter(text, memo=memo)
    second = use_parameter(text.replace('"web"', '"api"'), memo=memo)
    # the declaration edit is identical, so applying both findings declares the data source once
    assert first[1].text == second[1].text and len(first) == len(second) == 2


def test_crlf_files_stay_crlf() -> None:
    text = 'resource "aws_instance" "web" {\r\n  ami = "ami-1"\r\n}\r\n'
    new = fixed(text)
    assert new.count("\r\n") == new.count("\n")


def test_value_from_a_variable_is_unpatchable() -> None:
    text = 'variable "ami" {\n  default = "ami-1"\n}\nresource "aws_instance" "web" {\n  ami = var.ami\n}\n'
    with pytest.raises(Unpatchable, match="comes from var.ami"):
        use_parameter(text)
