"""Evaluate HCL expressions from the Lark tree into `Sourced` values.

Lists become tuples of `Sourced` and objects dicts of `Sourced`, so every element keeps its own span
(a patch can replace one CIDR of a list). References to resources become `Ref`s, resolved by the model.
Whatever cannot be evaluated is UNKNOWN, never guessed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...model.values import Origin, Ref, Sourced, unknown
from ...parsers.terraform_hcl import HclAttribute, HclBlock, node_span
from ...source import SourceFile, Span
from ..policy import from_json

if TYPE_CHECKING:
    from lark import Tree

AnySourced = Sourced[Any]
_MAX_DEPTH = 64

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


class Scope:
    """What names mean in one module: its variables, locals and resources."""

    def __init__(
        self, variables: dict[str, HclBlock], locals_: dict[str, HclAttribute], resource_types: set[str]
    ) -> None:
        self.variables = variables
        self.locals = locals_
        self.resource_types = resource_types
        self._cache: dict[str, AnySourced] = {}
        self._active: set[str] = set()

    def named(self, name: str, key: str, span: Span, evaluator: Evaluator) -> AnySourced:
        """The value of `var.x`/`local.y` as used at `span` under `key` (known values keep the span where
        they are written; unknown ones point at the use)."""
        value = self._value(name, key, span, evaluator)
        if not value.known:
            return unknown(key, span, value.via)
        return Sourced(value.value, value.origin, key, value.span, value.missing, value.via)

    def _value(self, name: str, key: str, span: Span, evaluator: Evaluator) -> AnySourced:
        if name in self._cache:
            return self._cache[name]
        if name in self._active:  # a cycle: Terraform rejects it, we just don't know
            return unknown(key, span, name)
        self._active.add(name)
        try:
            value = self._lookup(name, key, span, evaluator)
        finally:
            self._active.discard(name)
        value = _with_via(value, name)
        self._cache[name] = value
        return value

    def _lookup(self, name: str, key: str, span: Span, evaluator: Evaluator) -> AnySourced:
        kind, _, ident = name.partition(".")
        if kind == "var":
            block = self.variables.get(ident)
            if block is not None and "default" in block.attributes:
                attr = block.attributes["default"]
                return evaluator.evaluate(attr.expr, attr.file, key)
        elif kind == "local":
            local = self.locals.get(ident)
            if local is not None:
                return evaluator.evaluate(local.expr, local.file, key)
        return unknown(key, span, name)


def _with_via(value: AnySourced, via: str) -> AnySourced:
    inner = value.value
    if isinstance(inner, tuple):
        inner = tuple(_with_via(v, via) for v in inner)
    elif isinstance(inner, dict):
        inner = {k: _with_via(v, via) for k, v in inner.items()}
    return Sourced(inner, value.origin, value.key, value.span, value.missing, via)


class Evaluator:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._depth = 0

    def attribute(self, attr: HclAttribute) -> AnySourced:
        return self.evaluate(attr.expr, attr.file, attr.name)

    def evaluate(self, node: Tree[Any], file: SourceFile, key: str) -> AnySourced:
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                return unknown(key, node_span(file, node))
            return self._eval(node, file, key)
        finally:
            self._depth -= 1

    # -- dispatch -------------------------------------------------------------------------------------

    def _eval(self, node: Tree[Any], file: SourceFile, key: str) -> AnySourced:
        kind = node.data
        span = node_span(file, node)
        handler = _HANDLERS.get(kind)
        if handler is None:
            return unknown(key, span)
        return handler(self, node, file, key, span)

    def _known(self, value: Any, key: str, span: Span) -> AnySourced:
        return Sourced(value, Origin.EXPLICIT, key, span)

    def _expr_term(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        inner = [c for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"]
        if len(inner) != 1:
            return unknown(key, span)
        value = self.evaluate(inner[0], file, key)
        if value.span is not None and value.span.file is file and value.span.start == inner[0].meta.start_pos:
            # a parenthesised expression spans its parentheses
            return Sourced(value.value, value.origin, key, span, value.missing, value.via)
        return value

    def _int(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        return self._known(int(str(node.children[0])), key, span)

    def _float(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        return self._known(float(str(node.children[0])), key, span)

    def _literal(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        word = str(node.children[0])
        return self._known({"true": True, "false": False}.get(word), key, span)

    def _string(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        parts: list[str] = []
        for part in node.children:
            if getattr(part, "data", None) != "string_part":
                continue
            piece = part.children[0]
            if hasattr(piece, "data"):
                if piece.data != "interpolation":
                    return unknown(key, span)  # template directives
                value = self.evaluate(piece.children[1], file, key)
                if not value.known or isinstance(value.value, (tuple, dict, Ref)) or value.value is None:
                    return unknown(key, span, value.via)
                parts.append(_to_string(value.value))
            else:
                parts.append(_unescape(piece))  # a Token
        return self._known("".join(parts), key, span)

    def _heredoc(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        raw = str(node.children[0])
        first_nl = raw.index("\n")
        body = raw[first_nl + 1 :].rstrip("\r\n")
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""
        if "${" in body.replace("$${", "") or "%{" in body.replace("%%{", ""):
            return unknown(key, span)  # templates in heredocs: the evaluation issue
        if node.data == "heredoc_template_trim":
            lines = body.split("\n")
            widths = [len(ln) - len(ln.lstrip(" \t")) for ln in lines if ln.strip()]
            cut = min(widths, default=0)
            body = "\n".join(ln[cut:] for ln in lines)
        return self._known(body.replace("$${", "${").replace("%%{", "%{"), key, span)

    def _tuple(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        items = tuple(
            self.evaluate(c, file, key) for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"
        )
        return self._known(items, key, span)

    def _object(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        result: dict[str, AnySourced] = {}
        for elem in node.children:
            if getattr(elem, "data", None) != "object_elem":
                continue
            key_node, value_node = elem.children[0], elem.children[-1]
            name = self._object_key(key_node, file)
            if name is None:
                return unknown(key, span)
            result[name] = self.evaluate(value_node, file, name)
        return self._known(result, key, span)

    def _object_key(self, node: Tree[Any], file: SourceFile) -> str | None:
        expr = node.children[0]
        if not hasattr(expr, "data"):
            return str(expr)  # a keyword used as a key
        if (
            expr.data == "expr_term"
            and len(expr.children) == 1
            and getattr(expr.children[0], "data", None) == "identifier"
        ):
            return str(expr.children[0].children[0])  # bare identifiers are literal keys
        value = self.evaluate(expr, file, "")
        return _to_string(value.value) if value.known and isinstance(value.value, (str, int, float, bool)) else None

    def _conditional(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        exprs = [c for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"]
        cond = self.evaluate(exprs[0], file, key)
        if not cond.known or not isinstance(cond.value, bool):
            return unknown(key, span, cond.via)
        return self.evaluate(exprs[1] if cond.value else exprs[2], file, key)

    def _unary(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        op = str(node.children[0])
        value = self.evaluate(node.children[1], file, key)
        if op == "-" and value.known and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            return self._known(-value.value, key, span)
        if op == "!" and value.known and isinstance(value.value, bool):
            return self._known(not value.value, key, span)
        return unknown(key, span, value.via)

    def _binary(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        left = self.evaluate(node.children[0], file, key)
        term = node.children[1]
        parts = [c for c in term.children if hasattr(c, "data") and c.data != "new_line_or_comment"]
        op = str(parts[0].children[0]).strip()
        right = self.evaluate(parts[1], file, key)
        if not (left.known and right.known):
            return unknown(key, span, left.via or right.via)
        fn = _BINARY.get(op)
        try:
            return self._known(fn(left.value, right.value), key, span) if fn else unknown(key, span)
        except (TypeError, ZeroDivisionError):
            return unknown(key, span)

    def _traversal(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        root, steps = _flatten(node)
        if root is None:
            return unknown(key, span)
        if getattr(root, "data", None) != "identifier":
            value = self.evaluate(root, file, key)
            return self._walk(value, steps, file, key, span)
        head = str(root.children[0])
        names = [s for s in steps if isinstance(s, str)]
        if head in ("var", "local") and steps and isinstance(steps[0], str):
            value = self.scope.named(f"{head}.{steps[0]}", key, span, self)
            return self._walk(value, steps[1:], file, key, span)
        if head in self.scope.resource_types and names:
            attr = next((s for s in steps[1:] if isinstance(s, str)), "")
            return self._known(Ref(f"{head}.{names[0]}", attr), key, span)
        if head == "data" and len(names) >= 2:
            attr = names[2] if len(names) > 2 else ""
            return self._known(Ref(f"data.{names[0]}.{names[1]}", attr), key, span)
        return unknown(key, span, head)

    def _walk(self, value: AnySourced, steps: list[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        for step in steps:
            if not value.known:
                return unknown(key, span, value.via)
            if isinstance(step, str):  # an attribute
                inner = value.value
                if isinstance(inner, dict) and step in inner:
                    value = inner[step]
                    continue
                return unknown(key, span, value.via)
            index = step if isinstance(step, int) else self.evaluate(step, file, key).value
            inner = value.value
            if isinstance(inner, tuple) and type(index) is int and 0 <= index < len(inner):  # noqa: SIM114 (mypy narrows each branch separately)
                value = inner[index]
            elif isinstance(inner, dict) and isinstance(index, str) and index in inner:
                value = inner[index]
            else:
                return unknown(key, span, value.via)
        return value

    def _call(self, node: Tree[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        name = str(node.children[0].children[0])
        args_node = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
        if args_node is not None and any(not hasattr(c, "data") and str(c) == "..." for c in args_node.children):
            return unknown(key, span)
        args = (
            [
                self.evaluate(c, file, key)
                for c in args_node.children
                if hasattr(c, "data") and c.data != "new_line_or_comment"
            ]
            if args_node is not None
            else []
        )
        fn = _FUNCTIONS.get(name)
        if fn is None:
            return unknown(key, span)
        try:
            result = fn(args)
        except (TypeError, ValueError, IndexError, KeyError):
            return unknown(key, span)
        if result is None:
            return unknown(key, span, next((a.via for a in args if a.via), None))
        if isinstance(result, Sourced):
            return result if result.span is not None else Sourced(result.value, result.origin, key, span)
        return self._known(result, key, span)


def _flatten(node: Tree[Any]) -> tuple[Any, list[Any]]:
    """`a.b[0].c` → (identifier a, ["b", <index expr>, "c"]); None root for splats."""
    steps: list[Any] = []
    while True:
        kind = getattr(node, "data", None)
        if kind == "expr_term":
            inner = [c for c in node.children if hasattr(c, "data")]
            if len(inner) != 1:
                return node, list(reversed(steps))
            node = inner[0]
        elif kind == "get_attr_expr_term":
            steps.append(str(node.children[1].children[1].children[0]))
            node = node.children[0]
        elif kind == "index_expr_term":
            index = node.children[1]
            if index.data == "short_index":
                steps.append(int(str(index.children[1])))
            else:
                steps.append(next(c for c in index.children if hasattr(c, "data") and c.data != "new_line_or_comment"))
            node = node.children[0]
        elif kind in ("attr_splat_expr_term", "full_splat_expr_term"):
            return None, []
        else:
            return node, list(reversed(steps))


def _unescape(token: Any) -> str:
    text = str(token)
    if token.type in ("ESCAPED_INTERPOLATION", "ESCAPED_DIRECTIVE"):
        return text[1:]
    if "\\" not in text:
        return text
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 6 <= len(text):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def _to_string(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "&&": lambda a, b: bool(a) and bool(b),
    "||": lambda a, b: bool(a) or bool(b),
    "+": lambda a, b: a + b if _numbers(a, b) else _fail(),
    "-": lambda a, b: a - b if _numbers(a, b) else _fail(),
    "*": lambda a, b: a * b if _numbers(a, b) else _fail(),
    "/": lambda a, b: a / b if _numbers(a, b) else _fail(),
    "%": lambda a, b: a % b if _numbers(a, b) else _fail(),
    "<": lambda a, b: a < b if _numbers(a, b) else _fail(),
    ">": lambda a, b: a > b if _numbers(a, b) else _fail(),
    "<=": lambda a, b: a <= b if _numbers(a, b) else _fail(),
    ">=": lambda a, b: a >= b if _numbers(a, b) else _fail(),
}


def _numbers(a: Any, b: Any) -> bool:
    return all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))


def _fail() -> Any:
    raise TypeError("operands are not numbers")


def _jsonencode(args: list[AnySourced]) -> Any:
    # keep the structure (not a JSON string): policy documents keep the span of every element
    (arg,) = args
    return arg if arg.known else None


def _jsondecode(args: list[AnySourced]) -> Any:
    (arg,) = args
    if not isinstance(arg.value, str):
        return None
    return from_json(json.loads(arg.value), arg)


def _list_of(args: list[AnySourced]) -> Any:
    (arg,) = args
    return arg.value if arg.known and isinstance(arg.value, tuple) else None


def _concat(args: list[AnySourced]) -> Any:
    if not all(a.known and isinstance(a.value, tuple) for a in args):
        return None
    return tuple(item for a in args for item in a.value)  # type: ignore[union-attr]


def _case(fn: Callable[[str], str]) -> Callable[[list[AnySourced]], Any]:
    def call(args: list[AnySourced]) -> Any:
        (arg,) = args
        return fn(arg.value) if isinstance(arg.value, str) else None

    return call


_FUNCTIONS: dict[str, Callable[[list[AnySourced]], Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "tolist": _list_of,
    "toset": _list_of,
    "concat": _concat,
    "lower": _case(str.lower),
    "upper": _case(str.upper),
}

_HANDLERS: dict[str, Callable[..., AnySourced]] = {
    "expr_term": Evaluator._expr_term,
    "int_lit": Evaluator._int,
    "float_lit": Evaluator._float,
    "literal_value": Evaluator._literal,
    "string": Evaluator._string,
    "heredoc_template": Evaluator._heredoc,
    "heredoc_template_trim": Evaluator._heredoc,
    "tuple": Evaluator._tuple,
    "object": Evaluator._object,
    "conditional": Evaluator._conditional,
    "unary_op": Evaluator._unary,
    "binary_op": Evaluator._binary,
    "get_attr_expr_term": Evaluator._traversal,
    "index_expr_term": Evaluator._traversal,
    "identifier": Evaluator._traversal,
    "function_call": Evaluator._call,
}
