"""The Terraform expression evaluator: HCL snippets → `Sourced` values (value, origin, span)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iac_exposure.adapters.terraform.evaluator import Evaluator, Scope
from iac_exposure.model.values import Origin, Ref, Sourced
from iac_exposure.parsers.terraform_hcl import HclAttribute, HclBlock, parse
from iac_exposure.source import SourceFile

PRELUDE = """\
variable "x" {
  default = "hello"
}
variable "no_default" {}
variable "list" {
  default = ["a", "b", "c"]
}
variable "map" {
  default = { k = "v", n = 2 }
}
variable "flag" {
  default = true
}
resource "aws_security_group" "web" {}
locals {
  greeting = "${var.x}-local"
}
"""


def scope_of(blocks: list[HclBlock]) -> Evaluator:
    variables = {b.labels[0]: b for b in blocks if b.type == "variable"}
    locals_: dict[str, HclAttribute] = {}
    for b in blocks:
        if b.type == "locals":
            locals_.update(b.attributes)
    resource_types = {b.labels[0] for b in blocks if b.type == "resource"}
    return Evaluator(Scope(variables, locals_, resource_types))


def resource_r(blocks: list[HclBlock]) -> HclBlock:
    return next(b for b in blocks if b.type == "resource" and b.labels == ("t", "r"))


def evaluate(expr: str) -> Sourced[Any]:
    """Evaluate `v = <expr>` inside `resource "t" "r"`, after PRELUDE."""
    text = PRELUDE + f'resource "t" "r" {{\n  v = {expr}\n}}\n'
    blocks = parse(SourceFile(Path("main.tf"), text))
    return scope_of(blocks).attribute(resource_r(blocks).attributes["v"])


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param('"abc"', "abc", id="string"),
        pytest.param(r'"say \"hi\"\nbye"', 'say "hi"\nbye', id="escaped-quote-and-newline"),
        pytest.param(r'"tab\there \\ \u00e9"', "tab\there \\ \u00e9", id="escaped-tab-backslash-unicode"),
        pytest.param('"${var.x}-suffix"', "hello-suffix", id="interpolation-of-var-default"),
        pytest.param('"n=${var.map.n}"', "n=2", id="interpolation-of-number"),
        pytest.param('"$${literal}"', "${literal}", id="escaped-interpolation"),
        pytest.param("42", 42, id="int"),
        pytest.param("-3", -3, id="negative-int"),
        pytest.param("1.5", 1.5, id="float"),
        pytest.param("true", True, id="true"),
        pytest.param("false", False, id="false"),
        pytest.param("null", None, id="null"),
        pytest.param('[1, "a", false]', [1, "a", False], id="list"),
        pytest.param("[]", [], id="empty-list"),
        pytest.param('{ a = { b = [1, 2] }, "c" = "d" }', {"a": {"b": [1, 2]}, "c": "d"}, id="nested-object"),
        pytest.param("{ (var.x) = 1 }", {"hello": 1}, id="computed-object-key"),
        pytest.param("var.x", "hello", id="var-with-default"),
        pytest.param("local.greeting", "hello-local", id="local-referencing-var"),
        pytest.param('var.flag ? "yes" : "no"', "yes", id="conditional-known"),
        pytest.param('var.x == "nope" ? "yes" : "no"', "no", id="conditional-comparison"),
        pytest.param("var.list[1]", "b", id="index-list"),
        pytest.param('var.map["k"]', "v", id="index-map"),
        pytest.param("var.map.k", "v", id="attribute-of-map"),
        pytest.param("1 + 2", 3, id="add"),
        pytest.param("1 - 2 + 3", 2, id="left-associative"),
        pytest.param("1 + 2 * 3", 7, id="precedence"),
        pytest.param("(1 + 2) * 3", 9, id="parentheses"),
        pytest.param('"a" == "a"', True, id="string-equality"),
        pytest.param('"a" != "a"', False, id="string-inequality"),
        pytest.param("2 < 3", True, id="less-than"),
        pytest.param("false && false || true", True, id="and-binds-tighter-than-or"),
        pytest.param("!true", False, id="not"),
        pytest.param("-var.map.n", -2, id="negate-var"),
        pytest.param("concat([1], [2])", [1, 2], id="concat"),
        pytest.param('concat(var.list, ["d"])', ["a", "b", "c", "d"], id="concat-var"),
        pytest.param("lower(upper(var.x))", "hello", id="case-functions"),
        pytest.param('jsondecode("{\\"a\\": [1]}")', {"a": [1]}, id="jsondecode"),
        pytest.param('cidrsubnet("10.0.0.0/16", 8, 1)', "10.0.1.0/24", id="cidrsubnet"),
        pytest.param("[for s in var.list : s]", ["a", "b", "c"], id="for-expression"),
        pytest.param('"x%{if true}y%{endif}"', "xy", id="template-directive"),
    ],
)
def test_known_values(expr: str, expected: Any) -> None:
    value = evaluate(expr)
    assert value.origin is Origin.EXPLICIT
    assert value.plain() == expected


@pytest.mark.parametrize(
    ("expr", "via"),
    [
        pytest.param("var.no_default", "var.no_default", id="var-without-default"),
        pytest.param("local.missing", "local.missing", id="undeclared-local"),
        pytest.param('"${var.no_default}-x"', "var.no_default", id="interpolation-of-unknown"),
        pytest.param('var.no_default ? "a" : "b"', "var.no_default", id="conditional-unknown-condition"),
        pytest.param("var.list[5]", "var.list", id="index-out-of-range"),
        pytest.param('var.map["nope"]', "var.map", id="missing-map-key"),
        pytest.param('templatefile("policy.tftpl", {})', None, id="unsupported-function"),
        pytest.param('"a" + 1', None, id="arithmetic-on-string"),
        pytest.param('"a" * "b"', None, id="multiply-strings"),
        pytest.param("10 / 0", None, id="division-by-zero"),
        pytest.param('-"a"', None, id="negate-string"),
        pytest.param("!1", None, id="not-a-number"),
        pytest.param('"yes" ? 1 : 2', None, id="condition-not-bool"),
        pytest.param("count.index", "count", id="count-index"),
        pytest.param("path.module", "path.module", id="path-module-outside-a-module"),
    ],
)
def test_unknown_values(expr: str, via: str | None) -> None:
    value = evaluate(expr)
    assert value.origin is Origin.UNKNOWN
    assert value.value is None
    assert value.via == via


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param("aws_security_group.web.id", Ref("aws_security_group.web", "id"), id="attribute"),
        pytest.param("aws_security_group.web[0].id", Ref("aws_security_group.web[0]", "id"), id="counted-index"),
        pytest.param('aws_security_group.web["a"].arn', Ref('aws_security_group.web["a"]', "arn"), id="for-each-key"),
        pytest.param("aws_security_group.web", Ref("aws_security_group.web", ""), id="whole-resource"),
        pytest.param(
            "data.aws_iam_policy_document.p.json", Ref("data.aws_iam_policy_document.p", "json"), id="data-source"
        ),
    ],
)
def test_references(expr: str, expected: Ref) -> None:
    value = evaluate(expr)
    assert value.origin is Origin.EXPLICIT
    assert value.value == expected


def test_reference_to_undeclared_resource_type_is_unknown() -> None:
    value = evaluate("aws_instance.other.id")
    assert value.origin is Origin.UNKNOWN


def test_jsonencode_keeps_the_object_structure() -> None:
    value = evaluate('jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Action = "s3:*" }] })')
    assert value.origin is Origin.EXPLICIT
    assert value.plain() == {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*"}]}
    statement = value.value["Statement"].value[0]
    action = statement.value["Action"]
    assert isinstance(action, Sourced)
    assert action.span is not None and action.span.text == '"s3:*"'


def test_jsonencode_of_unknown_is_unknown() -> None:
    assert evaluate("jsonencode(var.no_default)").origin is Origin.UNKNOWN


def test_value_through_a_variable_records_via_and_points_at_the_default() -> None:
    value = evaluate("var.x")
    assert value.via == "var.x"
    assert value.span is not None and value.span.text == '"hello"'


def test_list_elements_through_a_variable_carry_via() -> None:
    value = evaluate("var.list")
    assert [item.via for item in value.items()] == ["var.list"] * 3


@pytest.mark.parametrize(
    ("heredoc", "expected"),
    [
        pytest.param("<<EOF\nline1\n  line2\nEOF", "line1\n  line2\n", id="plain"),
        pytest.param('<<EOT\n{"a": 1}\nEOT', '{"a": 1}\n', id="other-marker"),
        pytest.param("<<-EOF\n    line1\n      line2\n    EOF", "line1\n  line2\n", id="indented-trimmed"),
        pytest.param("<<-EOF\n\tline1\n\t\tline2\n\tEOF", "line1\n\tline2\n", id="tabs-trimmed"),
        pytest.param("<<-EOF\n    a\n\n    b\n  EOF", "a\n\nb\n", id="blank-lines-ignored-for-trim"),
        pytest.param("<<EOF\n$${literal}\nEOF", "${literal}\n", id="escaped-interpolation"),
        pytest.param("<<EOF\nEOF", "", id="empty"),
    ],
)
def test_heredoc(heredoc: str, expected: str) -> None:
    value = evaluate(heredoc)
    assert value.origin is Origin.EXPLICIT
    assert value.value == expected


def test_heredoc_interpolation() -> None:
    assert evaluate('<<EOF\n{"a": "${var.x}"}\nEOF').value == '{"a": "hello"}\n'


def test_heredoc_template_directive_is_unknown() -> None:
    assert evaluate("<<-EOF\n  %{if true}x%{endif}\n  EOF").origin is Origin.UNKNOWN


def test_list_element_spans_are_their_literals() -> None:
    text = 'resource "t" "r" {\n  cidr_blocks = ["10.0.0.0/8", "0.0.0.0/0"]\n}\n'
    blocks = parse(SourceFile(Path("main.tf"), text))
    value = scope_of(blocks).attribute(resource_r(blocks).attributes["cidr_blocks"])
    assert [item.span.text for item in value.items()] == ['"10.0.0.0/8"', '"0.0.0.0/0"']
    assert [item.key for item in value.items()] == ["cidr_blocks", "cidr_blocks"]
    assert value.span is not None and value.span.text == '["10.0.0.0/8", "0.0.0.0/0"]'


@pytest.mark.parametrize(
    ("expr", "span_text"),
    [
        pytest.param("1 + 2", "1 + 2", id="binary"),
        pytest.param("(1 + 2)", "(1 + 2)", id="parenthesised"),
        pytest.param('var.flag ? "yes" : "no"', '"yes"', id="conditional-takes-the-branch"),
        pytest.param("cidrsubnet(var.x, 8, 1)", "cidrsubnet(var.x, 8, 1)", id="unknown-call"),
    ],
)
def test_value_spans(expr: str, span_text: str) -> None:
    value = evaluate(expr)
    assert value.span is not None and value.span.text == span_text


def test_reference_cycle_is_unknown() -> None:
    text = 'locals {\n  a = local.b\n  b = local.a\n}\nresource "t" "r" {\n  v = local.a\n}\n'
    blocks = parse(SourceFile(Path("main.tf"), text))
    assert scope_of(blocks).attribute(resource_r(blocks).attributes["v"]).origin is Origin.UNKNOWN


def test_unknown_variable_used_twice_points_at_each_use() -> None:
    text = 'variable "nodef" {}\nresource "t" "r" {\n  v = var.nodef\n  w = var.nodef\n}\n'
    blocks = parse(SourceFile(Path("main.tf"), text))
    ev = scope_of(blocks)
    attrs = resource_r(blocks).attributes
    ev.attribute(attrs["v"])
    second = ev.attribute(attrs["w"])
    assert second.key == "w"
    assert second.span is not None and second.span.start == text.index("var.nodef\n}")
