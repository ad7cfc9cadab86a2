"""The Terraform HCL writer (`patches/hcl.py`) and edit plumbing (`patches/edits.py`).

Each case is (input text, how to build the remedy from the adapted/evaluated input, expected text). Targets
are real `Sourced` values from `adapt_module` or the evaluator, so spans are the ones a scan would produce.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hcl2
import pytest

from iac_exposure.adapters.terraform.evaluator import Evaluator, Scope
from iac_exposure.adapters.terraform.module import adapt_module
from iac_exposure.model.aws import (
    Instance,
    LaunchTemplate,
    ManagedPolicy,
    Resource,
    SecurityGroupRule,
)
from iac_exposure.model.values import Origin, Sourced
from iac_exposure.parsers.terraform_hcl import parse
from iac_exposure.patches.edits import Edit, apply_edits, edits_diff
from iac_exposure.patches.hcl import Unpatchable, edits
from iac_exposure.patches.remedies import (
    Action,
    NewInput,
    RemoveBlock,
    RemoveItem,
    ReplaceItem,
    ReplaceWithInput,
    SetValue,
)
from iac_exposure.patches.render import PatchContext
from iac_exposure.source import SourceFile, Span
from iac_exposure.traits._network import is_world

TRUSTED = NewInput("trusted_cidr", "CIDR allowed to reach SSH", False)


def declaration(name: str) -> str:
    return (
        f'\nvariable "{name}" {{\n'
        '  description = "CIDR allowed to reach SSH"\n'
        "  type        = string\n"
        "\n"
        "  validation {\n"
        f'    condition     = can(cidrhost(var.{name}, 0)) && !endswith(var.{name}, "/0")\n'
        '    error_message = "Must be a CIDR narrower than the whole internet."\n'
        "  }\n"
        "}\n"
    )


# -- helpers ------------------------------------------------------------------------------------------


def hcl_edits(action: Action, siblings: list[SourceFile], memo: dict[str, Any] | None = None) -> list[Edit]:
    """The HCL writer's edits; `memo` is the per-scan state shared by the findings of one scan."""
    return edits(action, PatchContext(siblings, {} if memo is None else memo))


def load(text: str, siblings: dict[str, str] | None = None) -> tuple[SourceFile, list[SourceFile], list[Resource]]:
    """main.tf (and sibling files) of module `mod/`, adapted together."""
    main = SourceFile(Path("mod/main.tf"), text)
    files = [main] + [SourceFile(Path("mod") / name, body) for name, body in (siblings or {}).items()]
    return main, files, adapt_module(b for f in files for b in parse(f))


def fix(
    text: str,
    remedy: Callable[[list[Resource]], Action],
    siblings: dict[str, str] | None = None,
) -> str:
    """Apply the remedy's edits to main.tf; the result must still parse."""
    main, files, resources = load(text, siblings)
    all_edits = hcl_edits(remedy(resources), files)
    assert all(e.file is main for e in all_edits)
    new, skipped = apply_edits(text, all_edits)
    assert skipped == []
    hcl2.parses_to_tree(new)
    return new


def attribute(text: str, name: str) -> tuple[SourceFile, Sourced[Any]]:
    """Evaluate attribute `name` of the first block of `text` (no variables in scope)."""
    file = SourceFile(Path("mod/main.tf"), text)
    block = parse(file)[0]
    return file, Evaluator(Scope({}, {}, set())).attribute(block.attributes[name])


def one(resources: list[Resource], kind: type) -> Any:
    return next(r for r in resources if isinstance(r, kind))


def tokens(resources: list[Resource]) -> Sourced[Any]:
    return one(resources, Instance).settings.metadata_options.http_tokens


def world_cidr(resources: list[Resource]) -> Sourced[Any]:
    rule = one(resources, SecurityGroupRule)
    return next(c for c in rule.cidrs if is_world(c.value))


def action_at(index: int) -> Callable[[list[Resource]], Sourced[Any]]:
    return lambda resources: one(resources, ManagedPolicy).document.statements[0].actions[index]


# -- SetValue -----------------------------------------------------------------------------------------

IMDS_OPTIONAL = """\
resource "aws_instance" "web" {
  ami = "ami-1"
  metadata_options {
    http_tokens = "optional"
  }
}
"""
IMDS_REQUIRED = IMDS_OPTIONAL.replace('"optional"', '"required"')

NO_METADATA_2 = """\
resource "aws_instance" "web" {
  ami = "ami-1"
}
"""
INSERTED_2 = """\
resource "aws_instance" "web" {
  ami = "ami-1"
  metadata_options {
    http_tokens = "required"
  }
}
"""
NO_METADATA_4 = """\
resource "aws_instance" "web" {
    ami = "ami-1"
}
"""
INSERTED_4 = """\
resource "aws_instance" "web" {
    ami = "ami-1"
    metadata_options {
        http_tokens = "required"
    }
}
"""
NO_METADATA_TAB = 'resource "aws_instance" "web" {\n\tami = "ami-1"\n}\n'
INSERTED_TAB = (
    'resource "aws_instance" "web" {\n\tami = "ami-1"\n\tmetadata_options {\n\t\thttp_tokens = "required"\n\t}\n}\n'
)
EMPTY_METADATA_2 = """\
resource "aws_instance" "web" {
  ami = "ami-1"
  metadata_options {}
}
"""
ENDPOINT_ONLY_4 = """\
resource "aws_instance" "web" {
    ami = "ami-1"
    metadata_options {
        http_endpoint = "enabled"
    }
}
"""
ENDPOINT_AND_TOKENS_4 = """\
resource "aws_instance" "web" {
    ami = "ami-1"
    metadata_options {
        http_endpoint = "enabled"
        http_tokens = "required"
    }
}
"""
EMPTY_RESOURCE = 'resource "aws_instance" "web" {}\n'
TEMPLATE_PUBLIC = """\
resource "aws_launch_template" "lt" {
  network_interfaces {
    associate_public_ip_address = "true"
  }
}
"""
INSTANCE_PUBLIC = 'resource "aws_instance" "web" {\n  associate_public_ip_address = true\n}\n'
WITH_NESTED_BLOCK = """\
resource "aws_instance" "web" {
  ami           = "ami-1"
  instance_type = "t3.micro"

  root_block_device {
    volume_size = 8
  }
}
"""
PUBLIC_IP_BEFORE_NESTED_BLOCK = WITH_NESTED_BLOCK.replace(
    '"t3.micro"\n', '"t3.micro"\n  associate_public_ip_address = false\n'
)


def template_public_ip(resources: list[Resource]) -> Sourced[Any]:
    return one(resources, LaunchTemplate).settings.associate_public_ip_address


def instance_public_ip(resources: list[Resource]) -> Sourced[Any]:
    return one(resources, Instance).settings.associate_public_ip_address


@pytest.mark.parametrize(
    ("text", "target", "value", "expected"),
    [
        pytest.param(IMDS_OPTIONAL, tokens, "required", IMDS_REQUIRED, id="replace-explicit"),
        pytest.param(NO_METADATA_2, tokens, "required", INSERTED_2, id="insert-block-2-spaces"),
        pytest.param(NO_METADATA_4, tokens, "required", INSERTED_4, id="insert-block-4-spaces"),
        pytest.param(NO_METADATA_TAB, tokens, "required", INSERTED_TAB, id="insert-block-tabs"),
        pytest.param(EMPTY_METADATA_2, tokens, "required", INSERTED_2, id="open-empty-one-line-block"),
        pytest.param(ENDPOINT_ONLY_4, tokens, "required", ENDPOINT_AND_TOKENS_4, id="insert-into-existing-block"),
        pytest.param(EMPTY_RESOURCE, tokens, "required", INSERTED_2.replace('  ami = "ami-1"\n', ""), id="empty-resource"),
        pytest.param(TEMPLATE_PUBLIC, template_public_ip, False, TEMPLATE_PUBLIC.replace('"true"', '"false"'),
                     id="bool-written-as-string-stays-string"),
        pytest.param(INSTANCE_PUBLIC, instance_public_ip, False, INSTANCE_PUBLIC.replace("true", "false"),
                     id="bool-stays-bool"),
        pytest.param(WITH_NESTED_BLOCK, instance_public_ip, False, PUBLIC_IP_BEFORE_NESTED_BLOCK,
                     id="attribute-goes-before-nested-blocks"),
    ],
)  # fmt: skip
def test_set_value(text: str, target: Callable[[list[Resource]], Sourced[Any]], value: Any, expected: str) -> None:
    assert fix(text, lambda r: SetValue(target(r), value)) == expected


def test_absent_attribute_names_the_blocks_to_create() -> None:
    _, _, resources = load(NO_METADATA_2)
    target = tokens(resources)
    assert target.origin is Origin.DEFAULT
    assert target.missing == ("metadata_options", "http_tokens")
    assert target.span is not None and target.span.text == NO_METADATA_2.rstrip("\n")


def test_set_value_into_empty_block_of_4_space_file() -> None:
    text = NO_METADATA_4.replace("}\n", "    metadata_options {}\n}\n")
    assert fix(text, lambda r: SetValue(tokens(r), "required")) == INSERTED_4


def test_set_value_into_empty_resource_of_4_space_file() -> None:
    other = 'resource "aws_security_group" "sg" {\n    name = "sg"\n}\n\n'
    expected = other + INSERTED_4.replace('    ami = "ami-1"\n', "")
    assert fix(other + EMPTY_RESOURCE, lambda r: SetValue(tokens(r), "required")) == expected


def test_set_value_into_one_line_resource() -> None:
    new = fix('resource "aws_instance" "web" { ami = "ami-1" }\n', lambda r: SetValue(tokens(r), "required"))
    first_line = new.splitlines()[0]
    assert first_line == 'resource "aws_instance" "web" {'
    assert all(line == line.rstrip() for line in new.splitlines())


def test_set_value_insert_keeps_crlf() -> None:
    text = NO_METADATA_2.replace("\n", "\r\n")
    assert fix(text, lambda r: SetValue(tokens(r), "required")) == INSERTED_2.replace("\n", "\r\n")


# -- ReplaceWithInput ---------------------------------------------------------------------------------

SSH_RULE = """\
resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = CIDRS
  }
}
"""


def ssh_rule(cidrs: str) -> str:
    return SSH_RULE.replace("CIDRS", cidrs)


@pytest.mark.parametrize(
    ("cidrs", "expected_cidrs"),
    [
        pytest.param('["10.0.0.0/8", "0.0.0.0/0"]', '["10.0.0.0/8", var.trusted_cidr]', id="second-element"),
        pytest.param('[ "10.0.0.0/8", "0.0.0.0/0" ]', '[ "10.0.0.0/8", var.trusted_cidr ]', id="spaced-brackets"),
        pytest.param('["0.0.0.0/0"]', "[var.trusted_cidr]", id="only-element"),
        pytest.param('["192.168.1.0/0", "10.0.0.0/8"]', '[var.trusted_cidr, "10.0.0.0/8"]', id="first-element"),
    ],
)
def test_replace_with_input(cidrs: str, expected_cidrs: str) -> None:
    new = fix(ssh_rule(cidrs), lambda r: ReplaceWithInput(world_cidr(r), TRUSTED))
    assert new == ssh_rule(expected_cidrs) + declaration("trusted_cidr")


@pytest.mark.parametrize(
    ("taken", "name"),
    [
        pytest.param({"variables.tf": 'variable "trusted_cidr" {}\n'}, "trusted_cidr_2", id="one-taken"),
        pytest.param(
            {"variables.tf": 'variable "trusted_cidr" {}\n\nvariable "trusted_cidr_2" {}\n'},
            "trusted_cidr_3",
            id="two-taken",
        ),
        pytest.param({"variables.tf": 'variable "trusted_cidr_v6" {}\n'}, "trusted_cidr", id="prefix-is-no-clash"),
    ],
)
def test_replace_with_input_avoids_names_declared_in_siblings(taken: dict[str, str], name: str) -> None:
    text = ssh_rule('["0.0.0.0/0"]')
    new = fix(text, lambda r: ReplaceWithInput(world_cidr(r), TRUSTED), siblings=taken)
    assert new == ssh_rule(f"[var.{name}]") + declaration(name)


def test_replace_with_input_sees_unquoted_variable_labels() -> None:
    text = ssh_rule('["0.0.0.0/0"]')
    siblings = {"variables.tf": "variable trusted_cidr {\n  type = string\n}\n"}
    new = fix(text, lambda r: ReplaceWithInput(world_cidr(r), TRUSTED), siblings=siblings)
    assert new == ssh_rule("[var.trusted_cidr_2]") + declaration("trusted_cidr_2")


TWO_RULES = """\
resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
  ingress {
    from_port   = 3389
    to_port     = 3389
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def test_two_replacements_in_one_module_share_one_declaration() -> None:
    main, files, resources = load(TWO_RULES)
    rules = [r for r in resources if isinstance(r, SecurityGroupRule)]
    memo: dict[str, Any] = {}
    all_edits = [e for rule in rules for e in hcl_edits(ReplaceWithInput(rule.cidrs[0], TRUSTED), files, memo)]
    new, skipped = apply_edits(main.text, all_edits)
    assert skipped == []
    assert new == TWO_RULES.replace('["0.0.0.0/0"]', "[var.trusted_cidr]") + declaration("trusted_cidr")
    hcl2.parses_to_tree(new)


def test_each_module_gets_its_own_declaration() -> None:
    memo: dict[str, Any] = {}
    names = []
    for module in ("a", "b"):
        file = SourceFile(Path(module) / "main.tf", ssh_rule('["0.0.0.0/0"]'))
        cidr = world_cidr(adapt_module(parse(file)))
        replace, declare = hcl_edits(ReplaceWithInput(cidr, TRUSTED), [file], memo)
        assert declare.file is file
        names.append(replace.text)
    assert names == ["var.trusted_cidr", "var.trusted_cidr"]


# -- ReplaceItem --------------------------------------------------------------------------------------

POLICY = """\
resource "aws_iam_policy" "p" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ACTION
      Resource = "*"
    }]
  })
}
"""


def policy(action: str) -> str:
    return POLICY.replace("ACTION", action)


READ_ONLY = ("s3:Get*", "s3:List*", "s3:Describe*")


@pytest.mark.parametrize(
    ("action", "index", "expected"),
    [
        pytest.param('"s3:*"', 0, '["s3:Get*", "s3:List*", "s3:Describe*"]', id="string-becomes-list"),
        pytest.param('["s3:*"]', 0, '["s3:Get*", "s3:List*", "s3:Describe*"]', id="only-element"),
        pytest.param(
            '["ec2:Describe*", "s3:*"]',
            1,
            '["ec2:Describe*", "s3:Get*", "s3:List*", "s3:Describe*"]',
            id="spliced-last",
        ),
        pytest.param(
            '["s3:*", "ec2:Describe*"]',
            0,
            '["s3:Get*", "s3:List*", "s3:Describe*", "ec2:Describe*"]',
            id="spliced-first",
        ),
    ],
)
def test_replace_item(action: str, index: int, expected: str) -> None:
    assert fix(policy(action), lambda r: ReplaceItem(action_at(index)(r), READ_ONLY)) == policy(expected)


def test_replace_item_escapes_templates() -> None:
    new = fix(policy('"s3:*"'), lambda r: ReplaceItem(action_at(0)(r), ("a${b}", "c%{d}")))
    assert new == policy('["a$${b}", "c%%{d}"]')


# -- RemoveItem ---------------------------------------------------------------------------------------

LIST_ATTR = 'resource "t" "r" {\n  arns = LIST\n}\n'


def with_list(value: str) -> str:
    return LIST_ATTR.replace("LIST", value)


@pytest.mark.parametrize(
    ("before", "index", "after"),
    [
        pytest.param('["a", "b", "c"]', 0, '["b", "c"]', id="one-line-first"),
        pytest.param('["a", "b", "c"]', 1, '["a", "c"]', id="one-line-middle"),
        pytest.param('["a", "b", "c"]', 2, '["a", "b"]', id="one-line-last"),
        pytest.param('["a"]', 0, "[]", id="one-line-only"),
        pytest.param('[\n    "a",\n    "b",\n    "c",\n  ]', 0, '[\n    "b",\n    "c",\n  ]', id="multi-line-first"),
        pytest.param('[\n    "a",\n    "b",\n    "c",\n  ]', 1, '[\n    "a",\n    "c",\n  ]', id="multi-line-middle"),
        pytest.param('[\n    "a",\n    "b",\n    "c",\n  ]', 2, '[\n    "a",\n    "b",\n  ]', id="multi-line-last"),
        pytest.param('[\n    "a",\n    "b",\n    "c"\n  ]', 2, '[\n    "a",\n    "b"\n  ]', id="multi-line-last-no-comma"),
        pytest.param('[\n    "a",\n  ]', 0, "[\n  ]", id="multi-line-only"),
    ],
)  # fmt: skip
def test_remove_item(before: str, index: int, after: str) -> None:
    file, value = attribute(with_list(before), "arns")
    new, skipped = apply_edits(file.text, hcl_edits(RemoveItem(value.items()[index]), [file]))
    assert skipped == []
    assert new == with_list(after)
    hcl2.parses_to_tree(new)


def test_remove_only_item_of_multi_line_list_without_trailing_comma() -> None:
    file, value = attribute(with_list('[\n    "a"\n  ]'), "arns")
    new, _ = apply_edits(file.text, hcl_edits(RemoveItem(value.items()[0]), [file]))
    assert new == with_list("[\n  ]")


# -- RemoveBlock --------------------------------------------------------------------------------------

EIP = """\
resource "aws_instance" "web" {
  ami = "ami-1"
}

# Public address for the web server
// (temporary)
resource "aws_eip" "ip" {
  instance = aws_instance.web.id
}

resource "aws_subnet" "s" {
  vpc_id = "vpc-1"
}
"""
WITHOUT_EIP = """\
resource "aws_instance" "web" {
  ami = "ami-1"
}

resource "aws_subnet" "s" {
  vpc_id = "vpc-1"
}
"""


def eip(resources: list[Resource]) -> Resource:
    return next(r for r in resources if r.address == "aws_eip.ip")


@pytest.mark.parametrize(
    ("text", "siblings", "expected"),
    [
        pytest.param(EIP, {}, WITHOUT_EIP, id="with-comments-above"),
        pytest.param(EIP, {"outputs.tf": 'output "other" {\n  value = aws_eip.ip2.id\n}\n'}, WITHOUT_EIP,
                     id="longer-name-is-not-a-reference"),
        pytest.param('resource "aws_eip" "ip" {\n  instance = "i-1"\n}\n', {}, "", id="only-block"),
        pytest.param('resource "aws_eip" "ip" {\n  instance = "i-1"\n}\n\nresource "aws_subnet" "s" {}\n', {},
                     'resource "aws_subnet" "s" {}\n', id="first-block-and-blank-line"),
    ],
)  # fmt: skip
def test_remove_block(text: str, siblings: dict[str, str], expected: str) -> None:
    assert fix(text, lambda r: RemoveBlock(eip(r)), siblings) == expected


@pytest.mark.parametrize(
    "siblings",
    [
        pytest.param({"outputs.tf": 'output "ip" {\n  value = aws_eip.ip.public_ip\n}\n'}, id="output"),
        pytest.param({"dns.tf": 'resource "t" "r" {\n  depends_on = [aws_eip.ip]\n}\n'}, id="depends-on"),
        pytest.param({"dns.tf": 'resource "t" "r" {\n  records = [aws_eip.ip[0].public_ip]\n}\n'}, id="indexed"),
    ],
)
def test_remove_block_refuses_when_referenced_elsewhere(siblings: dict[str, str]) -> None:
    _, files, resources = load(EIP, siblings)
    with pytest.raises(Unpatchable, match="aws_eip.ip is referenced elsewhere"):
        hcl_edits(RemoveBlock(eip(resources)), files)


def test_remove_block_refuses_when_referenced_in_the_same_file() -> None:
    text = EIP + 'output "ip" {\n  value = aws_eip.ip.public_ip\n}\n'
    _, files, resources = load(text)
    with pytest.raises(Unpatchable):
        hcl_edits(RemoveBlock(eip(resources)), files)


def test_remove_last_block_leaves_no_trailing_blank_line() -> None:
    text = 'resource "aws_subnet" "s" {}\n\nresource "aws_eip" "ip" {\n  instance = "i-1"\n}\n'
    assert fix(text, lambda r: RemoveBlock(eip(r))) == 'resource "aws_subnet" "s" {}\n'


# -- Unpatchable --------------------------------------------------------------------------------------

VIA_VARIABLE = """\
variable "world" {
  default = "0.0.0.0/0"
}

resource "aws_security_group" "web" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = [var.world]
  }
}
"""


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t: ReplaceItem(t, ("10.0.0.0/8",)), id="replace-item"),
        pytest.param(lambda t: RemoveItem(t), id="remove-item"),
    ],
)
def test_value_from_a_variable_is_unpatchable(make: Callable[[Sourced[Any]], Action]) -> None:
    _, files, resources = load(VIA_VARIABLE)
    target = world_cidr(resources)
    assert target.via == "var.world"
    with pytest.raises(Unpatchable, match="var.world"):
        hcl_edits(make(target), files)


def test_new_input_for_a_variable_default_removes_the_default() -> None:
    """A default takes only literals (no `var.trusted_cidr` there): the value only the user knows is removed,
    so Terraform asks for it."""
    main, files, resources = load(VIA_VARIABLE)
    (edit,) = hcl_edits(ReplaceWithInput(world_cidr(resources), TRUSTED), files)
    new_text, _ = apply_edits(main.text, [edit])
    assert new_text == VIA_VARIABLE.replace('  default = "0.0.0.0/0"\n', "")


@pytest.mark.parametrize(
    ("tfvars", "after"),
    [
        pytest.param('world = "0.0.0.0/0"\nother = 1\n', "other = 1\n", id="whole-value"),
        pytest.param('world = ["0.0.0.0/0"]\n', "", id="sole-element"),
        pytest.param('world = ["10.0.0.0/8", "0.0.0.0/0"]\n', 'world = ["10.0.0.0/8"]\n', id="one-of-several"),
    ],
)
def test_new_input_for_a_tfvars_value_removes_it(tfvars: str, after: str) -> None:
    from iac_exposure.adapters.terraform.evaluator import with_via
    from iac_exposure.parsers.terraform_hcl import parse_body

    file = SourceFile(Path("mod/terraform.tfvars"), tfvars, "hcl")
    value = with_via(Evaluator(Scope({}, {}, set())).attribute(parse_body(file)[0]["world"]), "var.world")
    target = next(v for v in value.items() if is_world(v.value))
    new_text, _ = apply_edits(file.text, hcl_edits(ReplaceWithInput(target, TRUSTED), [file]))
    assert new_text == after


def test_new_input_for_a_tfvars_value_inside_an_object_is_a_suggestion() -> None:
    from iac_exposure.adapters.terraform.evaluator import with_via
    from iac_exposure.parsers.terraform_hcl import parse_body

    file = SourceFile(Path("mod/terraform.tfvars"), 'rules = [{ port = 22, cidr = "0.0.0.0/0" }]\n', "hcl")
    value = with_via(Evaluator(Scope({}, {}, set())).attribute(parse_body(file)[0]["rules"]), "var.rules")
    target = value.value[0].value["cidr"]
    with pytest.raises(Unpatchable, match="inside `rules`.*only literal values"):
        hcl_edits(ReplaceWithInput(target, TRUSTED), [file])


@pytest.mark.parametrize(
    "action",
    [
        pytest.param(SetValue(Sourced("optional", Origin.EXPLICIT, "http_tokens", None), "required"), id="set-value"),
        pytest.param(SetValue(Sourced(None, Origin.DEFAULT, "http_tokens", None), "required"), id="set-default"),
        pytest.param(RemoveItem(Sourced("a", Origin.EXPLICIT, "arns", None)), id="remove-item"),
    ],
)
def test_value_without_a_location_is_unpatchable(action: Action) -> None:
    with pytest.raises(Unpatchable):
        hcl_edits(action, [])


# -- apply_edits --------------------------------------------------------------------------------------

TEXT = "a = 1\nb = 2\n"
FILE = SourceFile(Path("x.tf"), TEXT)


def edit(start: int, end: int, text: str) -> Edit:
    return Edit(FILE, start, end, text)


ONE = TEXT.index("1")
TWO = TEXT.index("2")


@pytest.mark.parametrize(
    ("given", "expected", "skipped"),
    [
        pytest.param([edit(ONE, ONE + 1, "9"), edit(ONE, ONE + 1, "9")], "a = 9\nb = 2\n", [], id="identical-once"),
        pytest.param([edit(TWO, TWO + 1, "8"), edit(ONE, ONE + 1, "9")], "a = 9\nb = 8\n", [], id="two-disjoint"),
        pytest.param([edit(0, TWO + 1, "c = 3"), edit(ONE, ONE + 1, "9")], "c = 3\n", [edit(ONE, ONE + 1, "9")],
                     id="overlap-second-skipped"),
        pytest.param([edit(len(TEXT), len(TEXT), "c = 3\n"), edit(len(TEXT), len(TEXT), "d = 4\n")],
                     TEXT + "c = 3\nd = 4\n", [], id="two-insertions-same-offset"),
        pytest.param([edit(ONE, ONE, "1"), edit(ONE, ONE + 1, "2")], "a = 12\nb = 2\n", [],
                     id="insertion-at-start-of-replacement"),
        pytest.param([edit(ONE, TWO + 1, "x"), edit(TEXT.index("b"), TEXT.index("b"), "z")], "a = x\n",
                     [edit(TEXT.index("b"), TEXT.index("b"), "z")], id="insertion-inside-replacement-skipped"),
    ],
)  # fmt: skip
def test_apply_edits(given: list[Edit], expected: str, skipped: list[Edit]) -> None:
    assert apply_edits(TEXT, given) == (expected, skipped)
    assert apply_edits(TEXT, list(reversed(given))) == (expected, skipped)  # order of the edits does not matter


def test_apply_no_edits() -> None:
    assert apply_edits(TEXT, []) == (TEXT, [])


def test_edits_of_different_files_do_not_overlap() -> None:
    other = SourceFile(Path("y.tf"), TEXT)
    assert not edit(0, 3, "x").overlaps(Edit(other, 0, 3, "y"))


# -- edits_diff ---------------------------------------------------------------------------------------


def unified_diff(path: str, old: str, new: str) -> str:
    """The diff of rewriting a whole file from `old` to `new`, as one edit."""
    file = SourceFile(Path(path), old)
    return edits_diff(file, [Edit(file, 0, len(old), new)] if new != old else [])


def git_apply_check(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, old: str, diff: str) -> None:
    (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / path).write_bytes(old.encode())
    (tmp_path / "fix.diff").write_bytes(diff.encode())
    monkeypatch.chdir(tmp_path)
    result = subprocess.run(["git", "apply", "--check", "fix.diff"], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_unified_diff_of_a_real_patch_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new = fix(NO_METADATA_2, lambda r: SetValue(tokens(r), "required"))
    diff = unified_diff("mod/main.tf", NO_METADATA_2, new)
    assert diff.startswith("--- a/mod/main.tf\n+++ b/mod/main.tf\n@@ ")
    git_apply_check(tmp_path, monkeypatch, "mod/main.tf", NO_METADATA_2, diff)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        pytest.param("a = 1\nb = 2\n", "a = 1\nb = 3\n", id="change"),
        pytest.param("a = 1\nb = 2", "a = 1\nb = 3", id="no-final-newline"),
        pytest.param("a = 1\nb = 2", "a = 1\nb = 2\nc = 3\n", id="newline-added"),
        pytest.param("a = 1\n", "a = 1", id="newline-removed"),
        pytest.param("a = 1\r\nb = 2\r\n", "a = 1\r\nb = 3\r\n", id="crlf"),
        pytest.param("x = 1\n", "", id="emptied"),
    ],
)
def test_unified_diff_applies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    diff = unified_diff("main.tf", old, new)
    assert diff.startswith("--- a/main.tf\n+++ b/main.tf\n")
    git_apply_check(tmp_path, monkeypatch, "main.tf", old, diff)


def test_unified_diff_of_unchanged_text_is_empty() -> None:
    assert unified_diff("main.tf", TEXT, TEXT) == ""


@pytest.mark.parametrize(
    "odd",
    [
        pytest.param("\u2028", id="line-separator"),
        pytest.param("\x0c", id="form-feed"),
    ],
)
def test_unified_diff_with_unicode_line_separators_applies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, odd: str
) -> None:
    old = f'description = "one{odd}two"\nb = 2\n'
    diff = unified_diff("main.tf", old, old.replace("b = 2", "b = 3"))
    git_apply_check(tmp_path, monkeypatch, "main.tf", old, diff)


def test_spans_are_character_offsets() -> None:
    file = SourceFile(Path("x.tf"), TEXT)
    span = Span(file, ONE, ONE + 1)
    assert (span.text, span.start_line, span.end_line) == ("1", 1, 1)
