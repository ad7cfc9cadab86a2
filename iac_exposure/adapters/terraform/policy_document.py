"""`data "aws_iam_policy_document"`: its statements as the policy object its `.json` renders.

Each statement keeps the span of its `statement` block (a patch removes the block) and each action the span
of its list element (a patch narrows it). `effect` defaults to Allow, as the data source does. Statements of
`source_policy_documents` come first; a statement whose `sid` matches an earlier one replaces it, then
`override_policy_documents` do the same over the result (the data source's merge rules). An override
document we cannot read makes the whole document unknown: it could replace any statement.
"""

from __future__ import annotations

from typing import Any

from ...model.values import Origin, Sourced, default, unknown
from ...parsers.terraform_hcl import HclBlock
from ...source import Span
from ..policy import from_json
from .evaluator import Evaluator

AnySourced = Sourced[Any]

_KEYS = {
    "actions": "Action",
    "not_actions": "NotAction",
    "resources": "Resource",
    "not_resources": "NotResource",
}


def policy_document(block: HclBlock, ev: Evaluator, key: str) -> AnySourced:
    """The document as the object `jsonencode` would take (what `.json` holds), spans kept."""
    statements: list[AnySourced] = []
    for doc in _documents(block, ev, "source_policy_documents"):
        if doc is not None:
            statements.extend(doc)
    for nested, nested_ev in ev.blocks(block, "statement"):
        _merge(statements, _statement(nested, nested_ev))
    for doc in _documents(block, ev, "override_policy_documents"):
        if doc is None:
            return unknown(key, block.span, f"data.aws_iam_policy_document.{block.labels[-1]}")
        for st in doc:
            _merge(statements, st)
    version = block.attributes.get("version")
    body = {
        "Version": ev.attribute(version) if version else default("version", block.span, value="2012-10-17"),
        "Statement": Sourced(tuple(statements), Origin.EXPLICIT, "statement", block.span),
    }
    return Sourced(body, Origin.EXPLICIT, key, block.span)


def _documents(block: HclBlock, ev: Evaluator, name: str) -> list[list[AnySourced] | None]:
    """The statements of each document listed in `name`; None for a document we cannot read."""
    attr = block.attributes.get(name)
    if attr is None:
        return []
    value = ev.attribute(attr)
    if not value.known or not isinstance(value.value, tuple):
        return [None]
    return [_statements_of(doc) for doc in value.value]


def _statements_of(doc: AnySourced) -> list[AnySourced] | None:
    import json

    if not doc.known:
        return None
    value = doc
    if isinstance(doc.value, str):
        try:
            value = from_json(json.loads(doc.value), doc)
        except ValueError:
            return None
    if not isinstance(value.value, dict):
        return None
    statement = value.value.get("Statement")
    if statement is None:
        return []
    if not statement.known:
        return None
    return [st for st in statement.items() if isinstance(st.value, dict)]


def _merge(statements: list[AnySourced], new: AnySourced) -> None:
    """Add a statement; one with the sid of an earlier statement replaces it in place."""
    sid = _sid(new)
    if sid:
        for i, old in enumerate(statements):
            if _sid(old) == sid:
                statements[i] = new
                return
    statements.append(new)


def _sid(statement: AnySourced) -> str:
    body = statement.value if isinstance(statement.value, dict) else {}
    sid = body.get("Sid")
    return sid.value if sid is not None and isinstance(sid.value, str) else ""


def _statement(block: HclBlock, ev: Evaluator) -> AnySourced:
    body: dict[str, AnySourced] = {}
    if "sid" in block.attributes:
        body["Sid"] = ev.attribute(block.attributes["sid"])
    effect = block.attributes.get("effect")
    body["Effect"] = ev.attribute(effect) if effect else default("effect", block.span, value="Allow")
    for attr, json_key in _KEYS.items():
        if attr in block.attributes:
            body[json_key] = ev.attribute(block.attributes[attr])
    principals = _principals(block, ev, "principals", block.span)
    if principals is not None:
        body["Principal"] = principals
    return Sourced(body, Origin.EXPLICIT, "statement", block.span)


def _principals(block: HclBlock, ev: Evaluator, name: str, span: Span) -> AnySourced | None:
    found: dict[str, list[AnySourced]] = {}
    blocks = ev.blocks(block, name)
    if not blocks:
        return None
    for nested, nested_ev in blocks:
        kind = nested_ev.attribute(nested.attributes["type"]) if "type" in nested.attributes else None
        ids = nested_ev.attribute(nested.attributes["identifiers"]) if "identifiers" in nested.attributes else None
        if kind is None or ids is None or not isinstance(kind.value, str):
            continue
        found.setdefault(kind.value, []).extend(ids.items())
    return Sourced(
        {k: Sourced(tuple(v), Origin.EXPLICIT, k, span) for k, v in found.items()}, Origin.EXPLICIT, name, span
    )
