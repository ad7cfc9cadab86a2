"""IAM policy documents from evaluated values (`adapters/policy.py`): JSON strings and jsonencode objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from iac_exposure.adapters.policy import policy_document
from iac_exposure.adapters.terraform.evaluator import Evaluator, Scope
from iac_exposure.model.aws import PolicyDocument, PolicyStatement
from iac_exposure.model.values import Origin, Sourced
from iac_exposure.parsers.terraform_hcl import parse
from iac_exposure.source import SourceFile


def as_string(doc: Any) -> Sourced[Any]:
    return Sourced(json.dumps(doc), Origin.EXPLICIT, "policy", None)


def as_object(hcl: str) -> Sourced[Any]:
    """`policy = <hcl>` evaluated as a scan would (jsonencode keeps the object)."""
    text = f'variable "unset" {{}}\nresource "aws_iam_policy" "p" {{\n  policy = {hcl}\n}}\n'
    blocks = parse(SourceFile(Path("main.tf"), text))
    variables = {b.labels[0]: b for b in blocks if b.type == "variable"}
    return Evaluator(Scope(variables, {}, set())).attribute(blocks[-1].attributes["policy"])


def summary(st: PolicyStatement) -> dict[str, Any]:
    return {
        "effect": st.effect.value,
        "actions": [a.value for a in st.actions],
        "not_actions": [a.value for a in st.not_actions],
        "resources": [r.value for r in st.resources],
        "not_resources": [r.value for r in st.not_resources],
        "principals": [p.value for p in st.principals],
    }


def statement(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "effect": "Allow",
        "actions": [],
        "not_actions": [],
        "resources": [],
        "not_resources": [],
        "principals": [],
    }
    base.update(fields)
    return base


ADMIN_STRING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TWO_STATEMENTS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"},
        {"Effect": "Deny", "Action": ["ec2:*", "iam:*"], "Resource": ["a", "b"]},
    ],
}
TRUST_STRING = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
TRUST_LIST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["ec2.amazonaws.com", "lambda.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ]
}
ACCOUNT_PRINCIPAL = {
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "sts:AssumeRole"}]
}
STAR_PRINCIPAL = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole"}]}
NOT_ACTION = {"Statement": [{"Effect": "Allow", "NotAction": ["iam:*"], "NotResource": "arn:x"}]}
NO_EFFECT = {"Statement": [{"Action": "*", "Resource": "*"}]}
SINGLE = {"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}


@pytest.mark.parametrize(
    ("value", "statement_list", "expected"),
    [
        pytest.param(as_string(ADMIN_STRING), True, [statement(actions=["*"], resources=["*"])], id="json-admin"),
        pytest.param(
            as_string(TWO_STATEMENTS),
            True,
            [
                statement(actions=["s3:GetObject"], resources=["arn:aws:s3:::b/*"]),
                statement(effect="Deny", actions=["ec2:*", "iam:*"], resources=["a", "b"]),
            ],
            id="json-action-string-and-list",
        ),
        pytest.param(as_string(SINGLE), False, [statement(actions=["*"], resources=["*"])], id="json-single-statement"),
        pytest.param(
            as_string(TRUST_STRING),
            True,
            [statement(actions=["sts:AssumeRole"], principals=["ec2.amazonaws.com"])],
            id="service-principal-string",
        ),
        pytest.param(
            as_string(TRUST_LIST),
            True,
            [statement(actions=["sts:AssumeRole"], principals=["ec2.amazonaws.com", "lambda.amazonaws.com"])],
            id="service-principal-list",
        ),
        pytest.param(
            as_string(ACCOUNT_PRINCIPAL), True, [statement(actions=["sts:AssumeRole"])], id="account-principal"
        ),
        pytest.param(as_string(STAR_PRINCIPAL), True, [statement(actions=["sts:AssumeRole"])], id="star-principal"),
        pytest.param(
            as_string(NOT_ACTION), True, [statement(not_actions=["iam:*"], not_resources=["arn:x"])], id="not-action"
        ),
        pytest.param(as_string({"Statement": []}), True, [], id="empty-statement-list"),
        pytest.param(as_string({"Version": "2012-10-17"}), False, [], id="no-statement"),
        pytest.param(
            as_object('jsonencode({\n    Statement = [{ Effect = "Allow", Action = ["s3:*"], Resource = "*" }]\n  })'),
            True,
            [statement(actions=["s3:*"], resources=["*"])],
            id="jsonencode-object",
        ),
        pytest.param(
            as_object('jsonencode({ Statement = { Effect = "Deny", Action = "*", Resource = "*" } })'),
            False,
            [statement(effect="Deny", actions=["*"], resources=["*"])],
            id="jsonencode-single-statement",
        ),
        pytest.param(
            as_object('<<EOF\n{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}\nEOF'),
            True,
            [statement(actions=["*"], resources=["*"])],
            id="heredoc-json",
        ),
    ],
)
def test_known_documents(value: Sourced[Any], statement_list: bool, expected: list[dict[str, Any]]) -> None:
    doc = policy_document(value)
    assert doc is not None and doc.known
    assert doc.statement_list is statement_list
    assert [summary(st) for st in doc.statements] == expected


def test_missing_effect_is_unknown() -> None:
    doc = policy_document(as_string(NO_EFFECT))
    assert doc is not None
    (st,) = doc.statements
    assert st.effect.origin is Origin.UNKNOWN
    assert st.effect.value is None
    assert [a.value for a in st.actions] == ["*"]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(Sourced("{not json", Origin.EXPLICIT, "policy", None), id="invalid-json"),
        pytest.param(Sourced("", Origin.EXPLICIT, "policy", None), id="empty-string"),
        pytest.param(as_string([1, 2]), id="json-list"),
        pytest.param(as_string("text"), id="json-string"),
        pytest.param(as_string(None), id="json-null"),
        pytest.param(Sourced(None, Origin.UNKNOWN, "policy", None), id="unknown"),
        pytest.param(as_object("var.unset"), id="unset-variable"),
        pytest.param(as_object("jsonencode({ Statement = var.unset })"), id="unknown-statement"),
        pytest.param(as_object('<<EOF\n{"Resource": "${var.unset}"}\nEOF'), id="heredoc-template"),
    ],
)
def test_unreadable_documents(value: Sourced[Any]) -> None:
    doc = policy_document(value)
    assert isinstance(doc, PolicyDocument)
    assert doc.known is False
    assert doc.statements == ()
    assert doc.node is value


def test_absent_document_is_none() -> None:
    assert policy_document(Sourced(None, Origin.DEFAULT, "policy", None)) is None


def test_structural_elements_keep_their_own_spans() -> None:
    value = as_object('jsonencode({\n    Statement = [{ Effect = "Allow", Action = ["s3:*", "ec2:*"] }]\n  })')
    doc = policy_document(value)
    assert doc is not None
    (st,) = doc.statements
    assert [a.span.text for a in st.actions] == ['"s3:*"', '"ec2:*"']
    assert st.effect.span is not None and st.effect.span.text == '"Allow"'
    assert st.node.span is not None and st.node.span.text == '{ Effect = "Allow", Action = ["s3:*", "ec2:*"] }'


def test_json_string_elements_carry_the_whole_string_span() -> None:
    value = as_object(json.dumps(json.dumps(ADMIN_STRING)))
    assert value.origin is Origin.EXPLICIT and isinstance(value.value, str)
    doc = policy_document(value)
    assert doc is not None and doc.known
    (st,) = doc.statements
    assert st.actions[0].span == value.span
    assert st.node.span == value.span


def test_deeply_nested_json_is_unreadable_not_a_crash() -> None:
    deep = '{"Statement": ' + "[" * 600 + "]" * 600 + "}"
    try:
        doc = policy_document(Sourced(deep, Origin.EXPLICIT, "policy", None))
    except RecursionError:
        crashed = True  # not re-raised: pytest takes seconds to render a 1000-frame traceback
    else:
        crashed = False
    assert not crashed, "RecursionError escaped policy_document"
    assert doc is not None and doc.known is False
