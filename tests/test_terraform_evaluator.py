"""The Terraform evaluator, table-driven: an expression → the value Terraform would compute, or unknown.

Each case is `locals { x = EXPR }` in a module that also declares a few variables and resources; the value
of `local.x` is compared as plain data (Refs for resource attributes). Unknown means "not computed here"
and must never be a guess.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iac_exposure.adapters.terraform.evaluator import Evaluator, Failed
from iac_exposure.adapters.terraform.module import ModuleScope, ModuleSource, Tree
from iac_exposure.model.values import Ref, Sourced
from iac_exposure.parsers import ParseError
from iac_exposure.parsers.terraform_hcl import parse
from iac_exposure.parsers.terraform_json import parse_tf_json, parse_value
from iac_exposure.source import SourceFile

UNKNOWN = object()

MODULE = """
variable "cidrs" {
  default = ["10.0.0.0/8", "0.0.0.0/0"]
}
variable "rules" {
  type = list(object({
    port     = number
    protocol = optional(string, "tcp")
    cidr     = optional(string)
  }))
  default = [{ port = 22, cidr = "0.0.0.0/0" }, { port = "443" }]
}
variable "tags" {
  default = { env = "prod", team = "web" }
}
variable "unset" {}
resource "aws_security_group" "web" {}
resource "aws_security_group" "off" {
  count = 0
}
resource "aws_security_group" "pair" {
  count = 2
}
resource "aws_security_group" "maybe" {
  count = var.unset ? 1 : 0
}
"""


class _NoFiles:
    def load(self, caller: ModuleSource, call: Any, key: tuple[str, ...]) -> ModuleSource | None:
        return None

    def read_file(self, path: Path) -> str | None:
        return None


def local_value(expr: str) -> Sourced[Any]:
    file = SourceFile(Path("main.tf"), f"{MODULE}\nlocals {{\n  x = {expr}\n}}\n", "hcl")
    source = ModuleSource(Path("."), [file])
    source.add(parse(file))
    scope = ModuleScope(source, "", {}, Tree(_NoFiles(), Path(".")))
    return Evaluator(scope).attribute(source.locals["x"])


def plain(value: Sourced[Any]) -> Any:
    if not value.known:
        return UNKNOWN
    inner = value.value
    if isinstance(inner, tuple):
        return [plain(v) for v in inner]
    if isinstance(inner, dict):
        return {k: plain(v) for k, v in inner.items()}
    return inner


CASES: list[tuple[str, Any]] = [
    # literals, operators, conditionals
    ('"a${"b"}c"', "abc"),
    ("1 + 2 * 3", 7),
    ('"5" + 1', 6),
    ("!true || false", False),
    ('var.tags.env == "prod" ? "yes" : "no"', "yes"),
    ("var.unset ? 1 : 2", UNKNOWN),
    ("false && var.unset", False),
    ('"%{ if var.tags.env == "prod" }p%{ else }d%{ endif }"', "p"),
    ('"%{ for c in var.cidrs ~} ${c} %{ endfor ~}"', "10.0.0.0/8 0.0.0.0/0 "),
    ("<<-EOT\n    a\n      ${var.tags.team}\n    EOT", "a\n  web\n"),
    ("<<EOT\n$${literal}\nEOT", "${literal}\n"),
    # references: variables, types with optional defaults, resources, splat
    ("var.cidrs[1]", "0.0.0.0/0"),
    ("var.rules[0].protocol", "tcp"),
    ("var.rules[1].port", 443),
    ("var.rules[1].cidr", None),
    ("var.rules[*].port", [22, 443]),
    ("var.unset", UNKNOWN),
    ("aws_security_group.web.id", Ref("aws_security_group.web", "id")),
    ("aws_security_group.web[*].id", [Ref("aws_security_group.web", "id")]),
    (
        "aws_security_group.pair[*].id",
        [Ref("aws_security_group.pair[0]", "id"), Ref("aws_security_group.pair[1]", "id")],
    ),
    ('concat(aws_security_group.off.*.id, aws_security_group.web.*.id, [""])[0]', Ref("aws_security_group.web", "id")),
    ("aws_security_group.maybe[*].id", UNKNOWN),
    ("aws_security_group.pair[1].arn", Ref("aws_security_group.pair[1]", "arn")),
    ("aws_security_group.pair[var.unset].id", Ref("aws_security_group.pair", "id")),
    ("aws_security_group.pair[2].id", UNKNOWN),  # no such instance
    ("try(aws_security_group.off[0].id, aws_security_group.web.id)", Ref("aws_security_group.web", "id")),
    ("aws_instance.not_declared.id", UNKNOWN),
    ("terraform.workspace", UNKNOWN),
    # for expressions
    ('[for c in var.cidrs : upper(c) if c != "10.0.0.0/8"]', ["0.0.0.0/0"]),
    ("{for k, v in var.tags : v => k}", {"prod": "env", "web": "team"}),
    ("{for r in var.rules : r.protocol => r.port...}", {"tcp": [22, 443]}),
    ("[for r in var.unset : r]", UNKNOWN),
    # functions
    ('concat(var.cidrs, ["192.0.2.0/24"])', ["10.0.0.0/8", "0.0.0.0/0", "192.0.2.0/24"]),
    ('merge(var.tags, { team = "api" })', {"env": "prod", "team": "api"}),
    ('lookup(var.tags, "owner", "nobody")', "nobody"),
    ("element(var.cidrs, 3)", "0.0.0.0/0"),
    ('flatten([var.cidrs, [["a"]]])', ["10.0.0.0/8", "0.0.0.0/0", "a"]),
    ('distinct(["a", "b", "a"])', ["a", "b"]),
    ('toset(["b", "a", "b"])', ["a", "b"]),
    ("tolist(var.cidrs)", ["10.0.0.0/8", "0.0.0.0/0"]),
    ("tomap(var.tags)", {"env": "prod", "team": "web"}),
    ("length(var.rules)", 2),
    ('join(",", var.cidrs)', "10.0.0.0/8,0.0.0.0/0"),
    ('split("/", "10.0.0.0/8")', ["10.0.0.0", "8"]),
    ('format("%s/%d", "0.0.0.0", 0)', "0.0.0.0/0"),
    ('coalesce("", null, "x")', "x"),
    ('try(var.tags.missing, "fallback")', "fallback"),
    ('try(var.unset.missing, "fallback")', UNKNOWN),
    ("can(var.tags.missing)", False),
    ("can(var.tags.env)", True),
    ('contains(var.cidrs, "0.0.0.0/0")', True),
    ("keys(var.tags)", ["env", "team"]),
    ("values(var.tags)", ["prod", "web"]),
    ('cidrsubnet("10.1.2.0/24", 4, 15)', "10.1.2.240/28"),
    ('cidrhost("10.0.0.0/16", -2)', "10.0.255.254"),
    ('jsondecode("{\\"a\\": [1, 2]}")', {"a": [1, 2]}),
    ("jsonencode({ Action = var.cidrs })", {"Action": ["10.0.0.0/8", "0.0.0.0/0"]}),
    ('file("/etc/hostname")', UNKNOWN),  # never outside the scanned modules
    ('templatefile("p.tftpl", {})', UNKNOWN),
    ('provider::aws::arn_parse("x")', UNKNOWN),
    ("local.x", UNKNOWN),  # a cycle
]


@pytest.mark.parametrize(("expr", "want"), CASES, ids=[c[0][:40] for c in CASES])
def test_expression(expr: str, want: Any) -> None:
    assert plain(local_value(expr)) == want


def test_elements_keep_the_span_where_they_are_written() -> None:
    value = local_value('concat(var.cidrs, ["192.0.2.0/24"])')
    world, added = value.value[1], value.value[2]
    assert world.span.text == '"0.0.0.0/0"' and world.via == "var.cidrs"  # in the variable's default
    assert added.span.text == '"192.0.2.0/24"' and added.via is None  # written right here


def test_split_elements_point_into_the_string_and_are_not_replaced_alone() -> None:
    value = local_value('split(",", "10.0.0.0/8,0.0.0.0/0")')
    world = value.value[1]
    assert world.span.text == '"10.0.0.0/8,0.0.0.0/0"' and world.via == "split()"


def test_optional_default_comes_from_the_type() -> None:
    protocol = local_value("var.rules[0].protocol")
    assert protocol.span is not None and protocol.span.text == '"tcp"'
    assert protocol.via == "var.rules"


def test_an_error_is_unknown_outside_try() -> None:
    value = local_value("var.tags.missing")
    assert isinstance(value, Failed) and not value.known


def test_deep_nesting_is_bounded() -> None:
    value, depth = plain(local_value("[" * 200 + "]" * 200)), 0
    while isinstance(value, list) and value:
        value, depth = value[0], depth + 1
    assert value is UNKNOWN and depth < 64  # evaluated down to the limit, unknown below it


def test_json_syntax_keeps_offsets() -> None:
    text = '{\n  "resource": {"aws_instance": {"web": {"ami": "ami-1", "subnet_id": "${aws_subnet.a.id}"}}}\n}\n'
    file = SourceFile(Path("main.tf.json"), text, "tf-json")
    (block,) = parse_tf_json(file)
    assert (block.type, block.labels) == ("resource", ("aws_instance", "web"))
    subnet = block.attributes["subnet_id"].expr
    assert text[subnet.start_pos : subnet.end_pos] == '"${aws_subnet.a.id}"'


@pytest.mark.parametrize("text", ['{"a": }', '{"a": "b"', "[1, 2", '{"a": "\\x"}', "[" * 500 + "]" * 500])
def test_bad_json_is_a_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_value(SourceFile(Path("x.tf.json"), text))
