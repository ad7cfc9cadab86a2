"""Variable values: type constraints applied as Terraform applies them, and root inputs from `*.tfvars`
files and the command line.

A type constraint matters to the traits through `optional(type, default)`: a module's
`list(object({ protocol = optional(string, "tcp") }))` fills in what the caller left out, and the value then
comes from the type's default, with that span. Attributes an object type does not declare are dropped;
primitive strings/numbers/bools convert as Terraform converts them. Anything we cannot read is left as is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..._records import record
from ...model.values import Origin, Sourced
from ...parsers import ParseError
from ...parsers.terraform_hcl import HclAttribute, HclBlock, parse_expression
from ...source import SourceFile
from .evaluator import Evaluator, Scope, to_string, with_via

AnySourced = Sourced[Any]


@record
class Type:
    kind: str  # "string" | "number" | "bool" | "any" | "list" | "set" | "map" | "object" | "tuple"
    element: Type | None = None  # list/set/map
    # object: (name, type, optional, default expression, its file)
    attributes: tuple[tuple[str, Type, bool, Any, SourceFile | None], ...] = ()
    elements: tuple[Type, ...] = ()  # tuple


ANY = Type("any")
_PRIMITIVE = ("string", "number", "bool")


def parse_type(block: HclBlock) -> Type:
    """The variable's type constraint (`any` when absent or unreadable)."""
    attr = block.attributes.get("type")
    if attr is None or not hasattr(attr.expr, "children"):
        return ANY  # absent, or a `*.tf.json` type string
    return _type(attr.expr, attr.file) or ANY


def _type(node: Any, file: SourceFile) -> Type | None:
    from .evaluator import _children, _identifier

    name = _identifier(node)
    if name is not None:
        return Type(name) if name in ("string", "number", "bool", "any") else None
    while getattr(node, "data", None) == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    if getattr(node, "data", None) != "function_call":
        return None
    fname = str(node.children[0].children[0])
    args_node = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
    args = _children(args_node) if args_node is not None else []
    if fname in ("list", "set", "map") and len(args) == 1:
        inner = _type(args[0], file)
        return Type(fname, element=inner or ANY)
    if fname == "object" and len(args) == 1:
        return _object_type(args[0], file)
    if fname == "tuple" and len(args) == 1:
        elems = _unwrap(args[0], "tuple")
        if elems is None:
            return None
        return Type("tuple", elements=tuple(_type(e, file) or ANY for e in _children(elems)))
    return None


def _unwrap(node: Any, kind: str) -> Any:
    from .evaluator import _children

    while getattr(node, "data", None) == "expr_term" and len(_children(node)) == 1:
        node = _children(node)[0]
    return node if getattr(node, "data", None) == kind else None


def _object_type(node: Any, file: SourceFile) -> Type | None:
    from .evaluator import _children, _identifier

    obj = _unwrap(node, "object")
    if obj is None:
        return None
    attrs: list[tuple[str, Type, bool, Any, SourceFile | None]] = []
    for elem in obj.children:
        if getattr(elem, "data", None) != "object_elem":
            continue
        name = _identifier(elem.children[0].children[0])
        value = elem.children[-1]
        if name is None:
            return None
        call = _unwrap(value, "function_call")
        if call is not None and str(call.children[0].children[0]) == "optional":
            args_node = next((c for c in call.children if getattr(c, "data", None) == "arguments"), None)
            args = _children(args_node) if args_node is not None else []
            inner = _type(args[0], file) if args else None
            attrs.append((name, inner or ANY, True, args[1] if len(args) > 1 else None, file))
        else:
            attrs.append((name, _type(value, file) or ANY, False, None, None))
    return Type("object", attributes=tuple(attrs))


def convert(value: AnySourced, type_: Type, scope: Scope, via: str) -> AnySourced:
    """`value` as the type constraint makes it (optional attributes filled in, primitives converted)."""
    if not value.known or value.value is None or type_.kind == "any":
        return value
    inner = value.value
    if type_.kind == "string" and isinstance(inner, (int, float, bool)):
        return _replace(value, to_string(inner))
    if type_.kind == "number" and isinstance(inner, str):
        try:
            return _replace(value, int(inner) if inner.lstrip("-").isdigit() else float(inner))
        except ValueError:
            return value
    if type_.kind == "bool" and inner in ("true", "false"):
        return _replace(value, inner == "true")
    if type_.kind in ("list", "set") and isinstance(inner, tuple) and type_.element is not None:
        return _replace(value, tuple(convert(v, type_.element, scope, via) for v in inner))
    if type_.kind == "map" and isinstance(inner, dict) and type_.element is not None:
        return _replace(value, {k: convert(v, type_.element, scope, via) for k, v in inner.items()})
    if type_.kind == "tuple" and isinstance(inner, tuple) and len(inner) == len(type_.elements):
        return _replace(value, tuple(convert(v, t, scope, via) for v, t in zip(inner, type_.elements)))
    if type_.kind == "object" and isinstance(inner, dict):
        out: dict[str, AnySourced] = {}
        for name, attr_type, optional, default_node, file in type_.attributes:
            if name in inner and inner[name].value is not None:
                out[name] = convert(inner[name], attr_type, scope, via)
            elif optional and default_node is not None and file is not None:
                filled = with_via(Evaluator(scope).evaluate(default_node, file, name), via)
                out[name] = convert(filled, attr_type, scope, via)
            elif optional or name in inner:
                out[name] = Sourced(None, Origin.EXPLICIT, name, value.span, (), value.via)
        return _replace(value, out)
    return value


def _replace(value: AnySourced, inner: Any) -> AnySourced:
    return Sourced(inner, value.origin, value.key, value.span, value.missing, value.via)


# -- root inputs ---------------------------------------------------------------------------------------


def tfvars_values(attributes: dict[str, HclAttribute], scope: Scope) -> dict[str, AnySourced]:
    """The values a variables file assigns (literal values only: references are unknown there)."""
    ev = Evaluator(scope)
    return {name: with_via(ev.attribute(attr), f"var.{name}") for name, attr in attributes.items()}


def cli_value(name: str, raw: str, declared: HclBlock | None, scope: Scope) -> AnySourced:
    """`--var NAME=VALUE`: a string for a primitive (or untyped) variable, else an HCL expression, as
    Terraform reads it. It is written nowhere in the files: no span."""
    if declared is None or "type" not in declared.attributes or parse_type(declared).kind in _PRIMITIVE:
        return Sourced(raw, Origin.EXPLICIT, name, None, (), f"var.{name}")
    text = SourceFile(Path(f"--var {name}"), f"x={raw}\n")
    try:
        node = parse_expression(text, 2, raw)
    except ParseError:
        return Sourced(None, Origin.UNKNOWN, name, None, (), f"var.{name}")
    return _without_spans(with_via(Evaluator(scope).evaluate(node, text, name), f"var.{name}"))


def _without_spans(value: AnySourced) -> AnySourced:
    inner = value.value
    if isinstance(inner, tuple):
        inner = tuple(_without_spans(v) for v in inner)
    elif isinstance(inner, dict):
        inner = {k: _without_spans(v) for k, v in inner.items()}
    return Sourced(inner, value.origin, value.key, None, (), value.via)
