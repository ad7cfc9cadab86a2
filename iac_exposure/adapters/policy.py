"""IAM policy documents from an evaluated value (an object, or a JSON string), in any format."""

from __future__ import annotations

import json
from typing import Any

from ..model.aws import PolicyDocument, PolicyStatement
from ..model.values import Origin, Sourced

AnySourced = Sourced[Any]


def policy_document(value: AnySourced) -> PolicyDocument | None:
    """None when the attribute is absent; a document with `known=False` when it cannot be read."""
    if value.origin is Origin.DEFAULT:
        return None
    doc = value
    if isinstance(value.value, str):
        try:
            doc = from_json(json.loads(value.value), value)
        except (ValueError, RecursionError):  # not JSON, or nested deeper than anything IAM accepts
            return PolicyDocument((), value, False, known=False)
    if not doc.known or not isinstance(doc.value, dict):
        return PolicyDocument((), value, False, known=False)
    raw = doc.value.get("Statement")
    if raw is None or not raw.known:
        return PolicyDocument((), value, False, known=raw is None)
    is_list = isinstance(raw.value, tuple)
    statements = tuple(_statement(st) for st in raw.items() if isinstance(st.value, dict))
    return PolicyDocument(statements, value, is_list, known=True)


def from_json(data: Any, at: AnySourced) -> AnySourced:
    """Plain JSON data as Sourced values, each carrying the span of the text it was decoded from."""
    if isinstance(data, list):
        inner: Any = tuple(from_json(v, at) for v in data)
    elif isinstance(data, dict):
        inner = {str(k): from_json(v, at) for k, v in data.items()}
    else:
        inner = data
    return Sourced(inner, at.origin, at.key, at.span, (), at.via)


def _statement(node: AnySourced) -> PolicyStatement:
    body: dict[str, AnySourced] = node.value or {}
    effect = body.get("Effect") or Sourced(None, Origin.UNKNOWN, "Effect", node.span)
    principal = body.get("Principal")
    principals: tuple[AnySourced, ...] = ()
    if principal is not None and isinstance(principal.value, dict):
        service = principal.value.get("Service")
        principals = service.items() if service is not None else ()
    return PolicyStatement(
        effect=effect,
        actions=_items(body, "Action"),
        not_actions=_items(body, "NotAction"),
        resources=_items(body, "Resource"),
        not_resources=_items(body, "NotResource"),
        principals=principals,
        node=node,
    )


def _items(body: dict[str, AnySourced], key: str) -> tuple[AnySourced, ...]:
    value = body.get(key)
    return value.items() if value is not None else ()
