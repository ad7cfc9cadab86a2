"""Evaluate Terraform expressions (HCL's Lark tree, or `*.tf.json` nodes) into `Sourced` values.

Lists become tuples of `Sourced` and objects dicts of `Sourced`, so every element keeps its own span (a patch
can replace one CIDR of a list, wherever the list was written: a tfvars file, a variable default, a module
argument). References to resources become `Ref`s, resolved by the model. Whatever cannot be evaluated is
UNKNOWN, never guessed.

Two kinds of "not a value" are kept apart: UNKNOWN (we cannot know it: a resource attribute known only after
apply, a function we do not implement) and `Failed`, an expression Terraform itself would reject (a missing
map key, an index out of range). Only `try()` and `can()` tell them apart; everywhere else both are unknown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from ..._records import record
from ...model.values import Origin, Ref, Sourced, unknown
from ...parsers import ParseError
from ...parsers.terraform_hcl import HclAttribute, HclBlock, node_span, parse_expression
from ...source import SourceFile, Span

if TYPE_CHECKING:
    from .functions import Function

AnySourced = Sourced[Any]

_MAX_DEPTH = 64  # nested expressions and chains of named values
_MAX_STEPS = 500_000  # expression nodes evaluated per module tree: bounds time on pathological input
MAX_INSTANCES = 256  # count / for_each / dynamic / for expressions: elements looked at

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


@record
class Failed(Sourced[Any]):
    """An expression Terraform would reject: unknown to everyone but `try()` and `can()`."""


def failed(key: str, span: Span | None, via: str | None = None) -> AnySourced:
    return Failed(None, Origin.UNKNOWN, key, span, (), via)


class Budget:
    """Shared by every scope of one module tree: recursion depth and total work."""

    def __init__(self) -> None:
        self.depth = 0
        self.steps = _MAX_STEPS


class Scope:
    """What names mean in one module instance. The module adapter fills in inputs and the lookups it owns
    (data sources, module calls, paths, files); the evaluator asks."""

    def __init__(
        self,
        variables: dict[str, HclBlock],
        locals_: dict[str, HclAttribute],
        resource_types: set[str],
        prefix: str = "",
        budget: Budget | None = None,
    ) -> None:
        self.prefix = prefix  # "" for a root module, "module.net." inside a module
        self.variables = variables
        self.locals = locals_
        self.resource_types = resource_types
        self.budget = budget or Budget()
        self._cache: dict[str, AnySourced] = {}
        self._active: set[str] = set()

    # -- names ---------------------------------------------------------------------------------------

    def named(self, name: str, key: str, span: Span, ev: Evaluator) -> AnySourced:
        """`var.x`, `local.y`, or a lookup a subclass owns (`module.m.out`) as used at `span` under `key`:
        evaluated once; a known value keeps the span where it is written, an unknown one points at the use."""
        value = self._value(name, key, span, ev)
        if isinstance(value, Failed):
            return failed(key, span, value.via)
        if not value.known:
            return unknown(key, span, value.via)
        return Sourced(value.value, value.origin, key, value.span, value.missing, value.via)

    def _value(self, name: str, key: str, span: Span, ev: Evaluator) -> AnySourced:
        if name in self._cache:
            return self._cache[name]
        if name in self._active:  # a cycle: Terraform rejects it, we just don't know
            return unknown(key, span, name)
        self._active.add(name)
        try:
            value = self._lookup(name, key, span, ev)
        finally:
            self._active.discard(name)
        self._cache[name] = value
        return value

    def _lookup(self, name: str, key: str, span: Span, ev: Evaluator) -> AnySourced:
        kind, _, ident = name.partition(".")
        if kind == "var":
            return self.variable(ident, key, span)
        if kind == "local":
            local = self.locals.get(ident)
            if local is not None:
                return with_via(ev.root().evaluate(local.expr, local.file, key), name)
        return unknown(key, span, name)

    def variable(self, name: str, key: str, span: Span) -> AnySourced:
        """A variable's value: its default here; a module adapter overrides with inputs and tfvars."""
        block = self.variables.get(name)
        if block is not None and "default" in block.attributes:
            attr = block.attributes["default"]
            return with_via(Evaluator(self).evaluate(attr.expr, attr.file, key), f"var.{name}")
        return unknown(key, span, f"var.{name}")

    def resource(self, type_: str, name: str) -> str | None:
        """The model address of a resource of this module, or None when no such type is declared here."""
        return f"{self.prefix}{type_}.{name}" if type_ in self.resource_types else None

    def instance_keys(self, address: str) -> list[Any] | None:
        """The instance keys of a resource (`[None]`: one instance without a key; None: not known here)."""
        return None

    def data(self, type_: str, name: str, key: str, span: Span) -> AnySourced:
        return Sourced(Ref(f"{self.prefix}data.{type_}.{name}"), Origin.EXPLICIT, key, span)

    def module(self, name: str) -> list[tuple[Any, Scope]] | None:
        """The instances of a module call (key None when it has no count/for_each); None when not followed."""
        return None

    def output(self, name: str, key: str, span: Span) -> AnySourced:
        return unknown(key, span, f"output.{name}")

    @property
    def output_names(self) -> tuple[str, ...]:
        return ()

    def path(self, name: str, key: str, span: Span) -> AnySourced:
        return unknown(key, span, f"path.{name}")

    def read_file(self, path: str) -> str | None:
        """A file's text, when it lies inside the scanned modules; None otherwise (never read outside)."""
        return None


def with_via(value: AnySourced, via: str) -> AnySourced:
    """The value as seen through a named value (`var.x`): written elsewhere, it must be changed there. A value
    that already came through one keeps it: the innermost name is where it is written."""
    inner = value.value
    if isinstance(inner, tuple):
        inner = tuple(with_via(v, via) for v in inner)
    elif isinstance(inner, dict):
        inner = {k: with_via(v, via) for k, v in inner.items()}
    cls = Failed if isinstance(value, Failed) else Sourced
    return cls(inner, value.origin, value.key, value.span, value.missing, value.via or via)


class Evaluator:
    """Evaluates expressions in a scope, with names bound by `count`, `for_each`, `dynamic` and `for`."""

    def __init__(self, scope: Scope, bindings: dict[str, AnySourced] | None = None) -> None:
        self.scope = scope
        self.bindings = bindings or {}

    def bind(self, names: dict[str, AnySourced]) -> Evaluator:
        return Evaluator(self.scope, {**self.bindings, **names})

    def root(self) -> Evaluator:
        """An evaluator without bindings: locals and variables never see `count`/`each`."""
        return self if not self.bindings else Evaluator(self.scope)

    def attribute(self, attr: HclAttribute) -> AnySourced:
        return self.evaluate(attr.expr, attr.file, attr.name)

    def evaluate(self, node: Any, file: SourceFile, key: str) -> AnySourced:
        budget = self.scope.budget
        budget.depth += 1
        budget.steps -= 1
        try:
            if budget.depth > _MAX_DEPTH or budget.steps < 0:
                return unknown(key, node_span(file, node))
            return self._eval(node, file, key)
        finally:
            budget.depth -= 1

    # -- blocks ----------------------------------------------------------------------------------------

    def blocks(self, block: HclBlock, name: str) -> list[tuple[HclBlock, Evaluator]]:
        """The nested blocks of a type, in source order, `dynamic` ones expanded over their collection with
        the iterator bound; an unknown collection gives one block whose iterator is unknown."""
        out: list[tuple[HclBlock, Evaluator]] = []
        for nested in block.blocks:
            if nested.type == name:
                out.append((nested, self))
            elif nested.type == "dynamic" and nested.labels == (name,):
                out.extend(self._dynamic(nested, name))
        return out

    def _dynamic(self, block: HclBlock, name: str) -> Iterator[tuple[HclBlock, Evaluator]]:
        content = next((b for b in block.blocks if b.type == "content"), None)
        for_each = block.attributes.get("for_each")
        if content is None or for_each is None:
            return
        iterator = name
        if "iterator" in block.attributes:
            iterator = _identifier(block.attributes["iterator"].expr) or name
        for key, value in self.each(self.attribute(for_each)):
            pair = {"key": key, "value": value}
            yield content, self.bind({iterator: Sourced(pair, Origin.EXPLICIT, iterator, block.span)})

    def each(self, collection: AnySourced) -> list[tuple[AnySourced, AnySourced]]:
        """(key, value) of each element of a for_each collection: map keys, set elements; one unknown pair
        when the collection is unknown."""
        span = collection.span
        if not collection.known or not isinstance(collection.value, (tuple, dict)):
            missing = unknown("each", span, collection.via)
            return [(missing, missing)]
        if isinstance(collection.value, dict):
            items = sorted(collection.value.items())[:MAX_INSTANCES]
            return [(Sourced(k, Origin.EXPLICIT, "key", v.span, (), "each.key"), v) for k, v in items]
        return [(v, v) for v in collection.value[:MAX_INSTANCES]]

    # -- dispatch --------------------------------------------------------------------------------------

    def _eval(self, node: Any, file: SourceFile, key: str) -> AnySourced:
        span = node_span(file, node)
        handler = _HANDLERS.get(node.data)
        if handler is None:
            return unknown(key, span)
        return handler(self, node, file, key, span)

    def _known(self, value: Any, key: str, span: Span | None) -> AnySourced:
        return Sourced(value, Origin.EXPLICIT, key, span)

    def _expr_term(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        inner = _children(node)
        if len(inner) != 1:
            return unknown(key, span)
        value = self.evaluate(inner[0], file, key)
        if value.span is not None and value.span.file is file and value.span.start == inner[0].meta.start_pos:
            # a parenthesised expression spans its parentheses
            return _respan(value, key, span)
        return value

    def _int(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        return self._known(int(str(node.children[0])), key, span)

    def _float(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        return self._known(float(str(node.children[0])), key, span)

    def _literal(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        word = str(node.children[0])
        return self._known({"true": True, "false": False}.get(word), key, span)

    # -- strings and templates -------------------------------------------------------------------------

    def _string(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        parts: list[_Part] = []
        for part in node.children:
            if getattr(part, "data", None) != "string_part":
                continue
            piece = part.children[0]
            if not hasattr(piece, "data"):
                parts.append(_Part("text", _unescape(piece)))
            elif piece.data == "interpolation":
                parts.append(_Part("interp", node=_children(piece)[0]))
            else:
                parts.append(_directive(piece))
        return self._template(parts, file, key, span)

    def _heredoc(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        token = node.children[0]
        raw = str(token)
        first_nl = raw.index("\n")
        body = raw[first_nl + 1 :].rstrip("\r\n")
        body = body[: body.rfind("\n") + 1] if "\n" in body else ""
        base = token.start_pos + first_nl + 1
        if node.data == "heredoc_template_trim":
            widths = [len(ln) - len(ln.lstrip(" \t")) for ln in body.split("\n") if ln.strip()]
            cut = min(widths, default=0)
        else:
            cut = 0
        parts = _heredoc_parts(body, base, cut)
        if parts is None:
            return unknown(key, span)  # template directives in a heredoc
        resolved: list[_Part] = []
        for part in parts:
            if part.kind == "expr":
                try:
                    resolved.append(_Part("interp", node=parse_expression(file, part.start, part.text)))
                except ParseError:
                    return unknown(key, span)
            else:
                resolved.append(part)
        return self._template(resolved, file, key, span)

    def _template(self, parts: list[_Part], file: SourceFile, key: str, span: Span) -> AnySourced:
        """A string template. A template that is one interpolation is the value itself, not its text."""
        if len(parts) == 1 and parts[0].kind == "interp":
            return self.evaluate(parts[0].node, file, key)
        _strip(parts)
        out: list[str] = []
        problem = self._render(parts, 0, len(parts), file, key, out)
        if problem is not None:
            return problem if isinstance(problem, Failed) else unknown(key, span, problem.via)
        return self._known("".join(out), key, span)

    def _render(
        self, parts: list[_Part], start: int, end: int, file: SourceFile, key: str, out: list[str]
    ) -> AnySourced | None:
        """Render parts[start:end] into `out`; the first value that stops it, if any."""
        i = start
        while i < end:
            part = parts[i]
            if part.kind == "text":
                out.append(part.text)
            elif part.kind == "interp":
                value = self.evaluate(part.node, file, key)
                if isinstance(value, Failed):
                    return value
                if not value.known or isinstance(value.value, Ref):
                    return unknown(key, None, value.via)
                if not _scalar(value):
                    return failed(key, value.span)  # null, a list or an object in a template
                out.append(to_string(value.value))
            elif part.kind == "if":
                mid, close = _matching(parts, i, "if", "endif")
                if close is None:
                    return unknown(key, None)
                cond = self.evaluate(part.node, file, key)
                if not cond.known or not isinstance(cond.value, bool):
                    return cond if not cond.known else failed(key, cond.span)
                lo, hi = (i + 1, mid if mid is not None else close) if cond.value else (
                    (mid + 1, close) if mid is not None else (close, close)
                )  # fmt: skip
                problem = self._render(parts, lo, hi, file, key, out)
                if problem is not None:
                    return problem
                i = close
            elif part.kind == "for":
                _, close = _matching(parts, i, "for", "endfor")
                if close is None:
                    return unknown(key, None)
                collection = self.evaluate(part.node, file, key)
                pairs = self._pairs(collection)
                if pairs is None:
                    return collection if not collection.known else failed(key, collection.span)
                for k, v in pairs:
                    names = dict(zip(part.names[::-1], (v, k)))
                    problem = self.bind(names)._render(parts, i + 1, close, file, key, out)
                    if problem is not None:
                        return problem
                i = close
            else:
                return unknown(key, None)  # an else/endif/endfor out of place
            i += 1
        return None

    # -- JSON syntax ---------------------------------------------------------------------------------

    def _json_string(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        if node.literal or "${" not in node.value and "%{" not in node.value:
            return self._known(node.value.replace("$${", "${").replace("%%{", "%{"), key, span)
        raw = file.text[node.start_pos + 1 : node.end_pos - 1]
        parts = _json_template_parts(raw, node.start_pos + 1)
        if parts is None:
            return unknown(key, span)
        resolved: list[_Part] = []
        for part in parts:
            if part.kind == "expr":
                try:
                    resolved.append(_Part("interp", node=parse_expression(file, part.start, part.text)))
                except ParseError:
                    return unknown(key, span)
            else:
                resolved.append(part)
        return self._template(resolved, file, key, span)

    def _json_scalar(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        return self._known(node.value, key, span)

    def _json_array(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        items = tuple(self.evaluate(item, file, key) for item in node.items)
        bad = next((i for i in items if isinstance(i, Failed)), None)
        return bad if bad is not None else self._known(items, key, span)

    def _json_object(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        result: dict[str, AnySourced] = {}
        for name_node, value_node in node.members:
            name = self.evaluate(name_node, file, "") if not node.literal else self._known(name_node.value, "", span)
            if not _scalar(name):
                return unknown(key, span, name.via)
            text = to_string(name.value)
            if text == "//":
                continue
            value = self.evaluate(value_node, file, text)
            if isinstance(value, Failed):
                return value
            result[text] = value
        return self._known(result, key, span)

    # -- collections -----------------------------------------------------------------------------------

    def _tuple(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        items = tuple(self.evaluate(c, file, key) for c in _children(node))
        bad = next((i for i in items if isinstance(i, Failed)), None)
        return bad if bad is not None else self._known(items, key, span)

    def _object(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        result: dict[str, AnySourced] = {}
        for elem in node.children:
            if getattr(elem, "data", None) != "object_elem":
                continue
            key_node, value_node = elem.children[0], elem.children[-1]
            name = self._object_key(key_node, file)
            if not _scalar(name):
                return name if isinstance(name, Failed) else unknown(key, span, name.via)
            text = to_string(name.value)
            value = self.evaluate(value_node, file, text)
            if isinstance(value, Failed):
                return value
            result[text] = value
        return self._known(result, key, span)

    def _object_key(self, node: Any, file: SourceFile) -> AnySourced:
        expr = node.children[0]
        span = node_span(file, node)
        if not hasattr(expr, "data"):
            return self._known(str(expr), "", span)  # a keyword used as a key
        name = _identifier(expr)
        if name is not None:
            return self._known(name, "", span)  # bare identifiers are literal keys
        return self.evaluate(expr, file, "")

    def _for_tuple(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        intro, value_node, cond = _for_parts(node)
        names, collection = self._for_intro(intro, file, key)
        pairs = self._pairs(collection)
        if pairs is None:
            return collection if not collection.known else failed(key, span)
        items: list[AnySourced] = []
        for k, v in pairs:
            ev = self.bind(dict(zip(names[::-1], (v, k))))
            keep = ev._condition(cond, file, key)
            if keep is not True:
                if keep is None:
                    return unknown(key, span)
                continue
            value = ev.evaluate(value_node, file, key)
            if isinstance(value, Failed):
                return value
            items.append(value)
        return self._known(tuple(items), key, span)

    def _for_object(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        exprs = _children(node)
        intro = exprs[0]
        cond = exprs[-1] if exprs[-1].data == "for_cond" else None
        key_node, value_node = exprs[1], exprs[2]
        grouping = any(not hasattr(c, "data") and str(c) == "..." for c in node.children)
        names, collection = self._for_intro(intro, file, key)
        pairs = self._pairs(collection)
        if pairs is None:
            return collection if not collection.known else failed(key, span)
        result: dict[str, Any] = {}
        for k, v in pairs:
            ev = self.bind(dict(zip(names[::-1], (v, k))))
            keep = ev._condition(cond, file, key)
            if keep is not True:
                if keep is None:
                    return unknown(key, span)
                continue
            out_key = ev.evaluate(key_node, file, key)
            if not _scalar(out_key):
                return out_key if isinstance(out_key, Failed) else unknown(key, span, out_key.via)
            name = to_string(out_key.value)
            value = ev.evaluate(value_node, file, name)
            if isinstance(value, Failed):
                return value
            if grouping:
                result.setdefault(name, []).append(value)
            elif name in result:
                return failed(key, span)  # duplicate keys need the `...` grouping mode
            else:
                result[name] = value
        if grouping:
            result = {k: self._known(tuple(v), k, span) for k, v in result.items()}
        return self._known(result, key, span)

    def _for_intro(self, intro: Any, file: SourceFile, key: str) -> tuple[list[str], AnySourced]:
        parts = _children(intro)
        names = [str(p.children[0]) for p in parts[:-1] if p.data == "identifier"]
        return names, self.evaluate(parts[-1], file, key)

    def _condition(self, cond: Any, file: SourceFile, key: str) -> bool | None:
        if cond is None:
            return True
        value = self.evaluate(_children(cond)[0], file, key)
        return value.value if value.known and isinstance(value.value, bool) else None

    def _pairs(self, collection: AnySourced) -> list[tuple[AnySourced, AnySourced]] | None:
        """(key or index, value) of a list or map, maps in key order; None when not iterable."""
        if not collection.known:
            return None
        inner = collection.value
        if isinstance(inner, tuple):
            return [(self._known(i, "index", v.span or collection.span), v) for i, v in enumerate(inner)]
        if isinstance(inner, dict):  # a key is written with its value, but cannot be replaced by one
            return [(Sourced(k, Origin.EXPLICIT, "key", v.span or collection.span, (), v.via or "a map key"), v)
                    for k, v in sorted(inner.items())]  # fmt: skip
        return None

    # -- operators -------------------------------------------------------------------------------------

    def _conditional(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        exprs = _children(node)
        cond = self.evaluate(exprs[0], file, key)
        if not cond.known:
            return cond if isinstance(cond, Failed) else unknown(key, span, cond.via)
        if not isinstance(cond.value, bool):
            return failed(key, span)
        return self.evaluate(exprs[1] if cond.value else exprs[2], file, key)

    def _unary(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        op = str(node.children[0])
        value = self.evaluate(node.children[1], file, key)
        if not value.known:
            return value if isinstance(value, Failed) else unknown(key, span, value.via)
        if op == "-" and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            return self._known(-value.value, key, span)
        if op == "!" and isinstance(value.value, bool):
            return self._known(not value.value, key, span)
        return failed(key, span)

    def _binary(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        left = self.evaluate(node.children[0], file, key)
        parts = _children(node.children[1])
        op = str(parts[0].children[0]).strip()
        right = self.evaluate(parts[1], file, key)
        for side in (left, right):
            if isinstance(side, Failed):
                return side
        if op in ("&&", "||") and (left.known or right.known):
            # false && unknown is false; true || unknown is true
            for side in (left, right):
                if side.known and isinstance(side.value, bool) and side.value is (op == "||"):
                    return self._known(side.value, key, span)
        if not (left.known and right.known):
            return unknown(key, span, left.via or right.via)
        fn = _BINARY.get(op)
        if fn is None:
            return unknown(key, span)
        try:
            return self._known(fn(left.plain(), right.plain()), key, span)
        except (TypeError, ValueError, ZeroDivisionError):
            return failed(key, span)

    # -- references ------------------------------------------------------------------------------------

    def _traversal(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        root, steps = _chain(node)
        name = _identifier(root) if getattr(root, "data", None) in ("identifier", "expr_term") else None
        if name is None:
            value = self.evaluate(root, file, key)
        else:
            value, steps = self._head(name, steps, file, key, span)
        return self._walk(value, steps, file, key, span)

    def _head(
        self, head: str, steps: list[Any], file: SourceFile, key: str, span: Span
    ) -> tuple[AnySourced, list[Any]]:
        """The value a traversal starts from, and the steps left to apply to it."""
        if head in self.bindings:
            return self.bindings[head], steps
        attr = steps[0][1] if steps and steps[0][0] == "attr" else None
        scope = self.scope
        if head in ("var", "local") and attr is not None:
            return scope.named(f"{head}.{attr}", key, span, self), steps[1:]
        if head == "path" and attr is not None:
            return scope.path(attr, key, span), steps[1:]
        if head == "module" and attr is not None:
            return self._module(attr, steps[1:], file, key, span)
        if head == "data" and attr is not None and len(steps) > 1 and steps[1][0] == "attr":
            return scope.data(attr, steps[1][1], key, span), _instance_steps(steps[2:])
        address = scope.resource(head, attr) if attr is not None else None
        if address is not None:  # an index right after it picks an instance: see _walk
            return self._known(Ref(address), key, span), steps[1:]
        return unknown(key, span, head), []

    def _module(
        self, name: str, steps: list[Any], file: SourceFile, key: str, span: Span
    ) -> tuple[AnySourced, list[Any]]:
        instances = self.scope.module(name)
        if instances is None:
            return unknown(key, span, f"module.{name}"), []
        keyed = len(instances) != 1 or instances[0][0] is not None
        if keyed and steps and steps[0][0] == "index":
            index = self._index_value(steps[0][1], file, key)
            if not index.known:
                return index, []
            chosen = [s for k, s in instances if k == index.value or str(k) == str(index.value)]
            if not chosen:
                return failed(key, span), []
            instances, steps, keyed = [(None, chosen[0])], steps[1:], False
        if keyed and steps and steps[0][0] == "splat":
            sub = steps[0][1]
            items = []
            for _, scope in instances:
                value, rest = self._module_instance(scope, sub, key, span)
                items.append(self._walk(value, rest, file, key, span))
            return self._known(tuple(items), key, span), steps[1:]
        if keyed:
            objects = {str(k): self._module_object(s, key, span) for k, s in instances}
            return self._known(objects, key, span), steps
        return self._module_instance(instances[0][1], steps, key, span)

    def _module_instance(self, scope: Scope, steps: list[Any], key: str, span: Span) -> tuple[AnySourced, list[Any]]:
        if steps and steps[0][0] == "attr":
            return scope.output(steps[0][1], key, span), steps[1:]
        return self._module_object(scope, key, span), steps

    def _module_object(self, scope: Scope, key: str, span: Span) -> AnySourced:
        return self._known({n: scope.output(n, n, span) for n in scope.output_names}, key, span)

    def _walk(self, value: AnySourced, steps: list[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        for kind, arg in steps:
            if isinstance(value, Failed):
                return value
            if not value.known:
                return unknown(key, span, value.via)
            inner = value.value
            if kind == "splat":
                if isinstance(inner, Ref) and not inner.attribute and not inner.address.endswith("]"):
                    value = self._resource_splat(inner, arg, file, key, span)
                else:
                    value = self._splat(value, arg, file, key, span)
                continue
            if isinstance(inner, Ref):
                if not inner.attribute:
                    value = self._ref_step(inner, kind, arg, file, key, span)
                continue  # an attribute of an attribute: still that resource
            if kind == "attr":
                if isinstance(inner, dict) and arg in inner:
                    value = inner[arg]
                    continue
                return failed(key, span, value.via)
            index = self._index_value(arg, file, key)
            if not index.known:
                return index if isinstance(index, Failed) else unknown(key, span, index.via or value.via)
            found = _index(inner, index.value)
            if found is None:
                return failed(key, span, value.via)
            value = found
        return value

    def _ref_step(self, ref: Ref, kind: str, arg: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        """`aws_x.y.id`, or `aws_x.y[0]`/`aws_x.y["k"]`: the instance, by its address when the key is known."""
        if kind == "attr":
            return self._known(Ref(ref.address, arg), key, span)
        index = self._index_value(arg, file, key)
        if not (index.known and isinstance(index.value, (str, int)) and not isinstance(index.value, bool)):
            return self._known(ref, key, span)  # some instance: the model links to all of them
        keys = self.scope.instance_keys(ref.address)
        if keys is not None and index.value not in keys:
            return failed(key, span)  # no such instance (`count = 0`): an error `try()` may catch
        return self._known(Ref(ref.address + key_suffix(index.value)), key, span)

    def _resource_splat(self, ref: Ref, steps: list[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        """`aws_x.y[*].id`: one element per instance (none for `count = 0`); unknown when the count is."""
        keys = self.scope.instance_keys(ref.address)
        if keys is None or any(isinstance(k, str) for k in keys):  # a for_each resource is a map, not a list
            return unknown(key, span, ref.address)
        items = tuple(
            self._walk(self._known(Ref(ref.address + key_suffix(k)), key, span), steps, file, key, span) for k in keys
        )
        bad = next((i for i in items if isinstance(i, Failed)), None)
        return bad if bad is not None else self._known(items, key, span)

    def _splat(self, value: AnySourced, steps: list[Any], file: SourceFile, key: str, span: Span) -> AnySourced:
        inner = value.value
        if inner is None:
            return self._known((), key, span)
        elements = inner if isinstance(inner, tuple) else (value,)
        items = tuple(self._walk(e, steps, file, key, span) for e in elements)
        bad = next((i for i in items if isinstance(i, Failed)), None)
        return bad if bad is not None else self._known(items, key, span)

    def _index_value(self, arg: Any, file: SourceFile, key: str) -> AnySourced:
        if isinstance(arg, int):  # `.0`, the legacy index syntax
            return self._known(arg, key, None)
        return self.evaluate(arg, file, key)

    # -- functions -------------------------------------------------------------------------------------

    def _call(self, node: Any, file: SourceFile, key: str, span: Span) -> AnySourced:
        from .functions import FUNCTIONS, LAZY, Call

        names = [c for c in node.children if getattr(c, "data", None) == "identifier"]
        name = str(names[0].children[0])
        args_node = next((c for c in node.children if getattr(c, "data", None) == "arguments"), None)
        arg_nodes = _children(args_node) if args_node is not None else []
        call = Call(self, file, key, span)
        if len(names) > 1:
            return unknown(key, span)  # a provider-defined function
        if args_node is not None and any(not hasattr(c, "data") and str(c) == "..." for c in args_node.children):
            return unknown(key, span)  # argument expansion
        if name in LAZY:
            return LAZY[name](arg_nodes, call)
        fn: Function | None = FUNCTIONS.get(name)
        if fn is None:
            return unknown(key, span)
        args = [self.evaluate(c, file, key) for c in arg_nodes]
        return call.apply(fn, args)


def _respan(value: AnySourced, key: str, span: Span) -> AnySourced:
    cls = Failed if isinstance(value, Failed) else Sourced
    return cls(value.value, value.origin, key, span, value.missing, value.via)


def _children(node: Any) -> list[Any]:
    return [c for c in node.children if hasattr(c, "data") and c.data != "new_line_or_comment"]


def _identifier(node: Any) -> str | None:
    """The name when the expression is a bare identifier (`rule`, an object key, a for variable)."""
    while getattr(node, "data", None) == "expr_term":
        inner = _children(node)
        if len(inner) != 1 or len(node.children) != 1:
            return None
        node = inner[0]
    if getattr(node, "data", None) == "identifier":
        return str(node.children[0])
    return None


def _scalar(value: AnySourced) -> bool:
    return value.known and value.value is not None and isinstance(value.value, (str, int, float, bool))


def _index(inner: Any, index: Any) -> AnySourced | None:
    if isinstance(inner, tuple):
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(inner):
            found: AnySourced = inner[index]
            return found
        return None
    if isinstance(inner, dict):
        name = to_string(index) if isinstance(index, (str, int, float)) else None
        return inner.get(name) if name is not None else None
    return None


def _instance_steps(steps: list[Any]) -> list[Any]:
    """After a data source's `type.name`, an index picks an instance (count/for_each): all are read alike."""
    return steps[1:] if steps and steps[0][0] == "index" else steps


def key_suffix(key: Any) -> str:
    """An instance key as Terraform writes it in addresses: `[0]`, `["web"]`."""
    if key is None:
        return ""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    return f"[{json.dumps(str(key))}]"


def _chain(node: Any) -> tuple[Any, list[tuple[str, Any]]]:
    """`a.b[0][*].c` → (identifier a, [("attr", "b"), ("index", 0), ("splat", [("attr", "c")])])."""
    steps: list[tuple[str, Any]] = []
    while True:
        kind = getattr(node, "data", None)
        if kind == "expr_term":
            inner = _children(node)
            if len(inner) != 1 or len(node.children) != 1:
                return node, steps[::-1]
            node = inner[0]
        elif kind in ("get_attr_expr_term", "index_expr_term"):
            steps.append(_step(node.children[1]))
            node = node.children[0]
        elif kind in ("attr_splat_expr_term", "full_splat_expr_term"):
            splat = node.children[1]
            steps.append(("splat", [_step(c) for c in splat.children if hasattr(c, "data")]))
            node = node.children[0]
        else:
            return node, steps[::-1]


def _step(node: Any) -> tuple[str, Any]:
    if node.data == "get_attr":
        name = node.children[1]
        while hasattr(name, "children"):
            name = name.children[0]
        return ("attr", str(name))
    if node.data == "short_index":
        return ("index", int(str(node.children[1])))
    return ("index", _children(node)[0])


def _for_parts(node: Any) -> tuple[Any, Any, Any]:
    exprs = _children(node)
    cond = exprs[-1] if exprs[-1].data == "for_cond" else None
    return exprs[0], exprs[1], cond


# -- templates ---------------------------------------------------------------------------------------


@record(frozen=False)
class _Part:
    """A piece of a template: text, an interpolation, a directive, or (before parsing) raw expression text."""

    kind: str  # "text" | "interp" | "expr" | "if" | "else" | "endif" | "for" | "endfor"
    text: str = ""
    node: Any = None
    start: int = 0  # offset of raw expression text in its file ("expr")
    names: tuple[str, ...] = ()  # for-directive variables
    strip_before: bool = False
    strip_after: bool = False


def _directive(piece: Any) -> _Part:
    kind = {
        "template_if_start": "if",
        "template_else": "else",
        "template_endif": "endif",
        "template_for_start": "for",
        "template_endfor": "endfor",
    }[piece.data]
    tokens = [str(c) for c in piece.children if not hasattr(c, "data")]
    exprs = [c for c in piece.children if hasattr(c, "data") and c.data != "identifier"]
    names = tuple(str(c.children[0]) for c in piece.children if getattr(c, "data", None) == "identifier")
    return _Part(
        kind,
        node=exprs[0] if exprs else None,
        names=names,
        strip_before=len(tokens) > 1 and tokens[1] == "~",
        strip_after=len(tokens) > 1 and tokens[-2] == "~",
    )


def _strip(parts: list[_Part]) -> None:
    """Apply `~` strip markers to the text around directives."""
    for i, part in enumerate(parts):
        if part.strip_before and i > 0 and parts[i - 1].kind == "text":
            parts[i - 1].text = parts[i - 1].text.rstrip()
        if part.strip_after and i + 1 < len(parts) and parts[i + 1].kind == "text":
            parts[i + 1].text = parts[i + 1].text.lstrip()


def _matching(parts: list[_Part], at: int, open_: str, close: str) -> tuple[int | None, int | None]:
    """The `else` (for ifs) and closing directive matching the directive at `at`."""
    depth, middle = 0, None
    for i in range(at + 1, len(parts)):
        kind = parts[i].kind
        if kind == open_:
            depth += 1
        elif kind == close:
            if depth == 0:
                return middle, i
            depth -= 1
        elif kind == "else" and depth == 0 and open_ == "if":
            middle = i
    return middle, None


def _heredoc_parts(body: str, base: int, cut: int) -> list[_Part] | None:
    """Split a heredoc body into text and raw interpolations; None when it holds template directives."""
    parts: list[_Part] = []
    text: list[str] = []
    i, at_line_start = 0, True
    while i < len(body):
        if at_line_start and cut:
            j = i
            while j < len(body) and j - i < cut and body[j] in " \t":
                j += 1
            i, at_line_start = j, False
            continue
        ch = body[i]
        if body.startswith("$${", i) or body.startswith("%%{", i):
            text.append(body[i + 1 : i + 3])
            i += 3
            continue
        if body.startswith("%{", i):
            return None
        if body.startswith("${", i):
            end = _closing_brace(body, i + 2)
            if end is None:
                return None
            if text:
                parts.append(_Part("text", "".join(text)))
                text = []
            parts.append(_Part("expr", body[i + 2 : end], start=base + i + 2))
            i = end + 1
            continue
        text.append(ch)
        at_line_start = ch == "\n"
        i += 1
    if text or not parts:
        parts.append(_Part("text", "".join(text)))
    return parts


def _json_template_parts(raw: str, base: int) -> list[_Part] | None:
    """A JSON string's raw text (escapes undecoded) as template parts; None for directives or bad escapes."""
    import json

    parts: list[_Part] = []
    i, text_start = 0, 0

    def flush(upto: int) -> bool:
        if upto > text_start:
            try:
                decoded = json.loads(f'"{raw[text_start:upto]}"')
            except ValueError:
                return False
            parts.append(_Part("text", decoded.replace("$${", "${").replace("%%{", "%{")))
        return True

    while i < len(raw):
        if raw.startswith("$${", i) or raw.startswith("%%{", i):
            i += 3
            continue
        if raw.startswith("%{", i):
            return None
        if raw.startswith("${", i):
            end = _closing_brace(raw, i + 2, json_escaped=True)
            if end is None or not flush(i):
                return None
            expr = raw[i + 2 : end]
            if "\\" in expr:
                try:
                    expr = json.loads(f'"{expr}"')
                except ValueError:
                    return None
            parts.append(_Part("expr", expr, start=base + i + 2))
            i = text_start = end + 1
            continue
        i += 2 if raw[i] == "\\" else 1
    if not flush(len(raw)):
        return None
    return parts or [_Part("text", "")]


def _closing_brace(text: str, start: int, json_escaped: bool = False) -> int | None:
    """The `}` closing an interpolation opened just before `start`, skipping strings inside it."""
    depth, i, quote = 1, start, '\\"' if json_escaped else '"'
    while i < len(text):
        if text.startswith(quote, i):
            i += len(quote)
            while i < len(text) and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" and not json_escaped else 1
            i += len(quote)
            continue
        ch = text[i]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


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


def to_string(value: Any) -> str:
    """A primitive as Terraform converts it to a string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "&&": lambda a, b: a and b if _bools(a, b) else _fail(),
    "||": lambda a, b: a or b if _bools(a, b) else _fail(),
    "+": lambda a, b: _number(a) + _number(b),
    "-": lambda a, b: _number(a) - _number(b),
    "*": lambda a, b: _number(a) * _number(b),
    "/": lambda a, b: _number(a) / _number(b),
    "%": lambda a, b: _number(a) % _number(b),
    "<": lambda a, b: _number(a) < _number(b),
    ">": lambda a, b: _number(a) > _number(b),
    "<=": lambda a, b: _number(a) <= _number(b),
    ">=": lambda a, b: _number(a) >= _number(b),
}


def _bools(a: Any, b: Any) -> bool:
    return isinstance(a, bool) and isinstance(b, bool)


def _number(value: Any) -> int | float:
    """Arithmetic converts numeric strings, as Terraform does; anything else is an error."""
    if isinstance(value, bool):
        raise TypeError("a bool is not a number")
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return float(value)
    raise TypeError("not a number")


def _fail() -> Any:
    raise TypeError("operands are not bools")


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
    "for_tuple_expr": Evaluator._for_tuple,
    "for_object_expr": Evaluator._for_object,
    "conditional": Evaluator._conditional,
    "unary_op": Evaluator._unary,
    "binary_op": Evaluator._binary,
    "get_attr_expr_term": Evaluator._traversal,
    "index_expr_term": Evaluator._traversal,
    "attr_splat_expr_term": Evaluator._traversal,
    "full_splat_expr_term": Evaluator._traversal,
    "identifier": Evaluator._traversal,
    "function_call": Evaluator._call,
    "json_string": Evaluator._json_string,
    "json_number": Evaluator._json_scalar,
    "json_literal": Evaluator._json_scalar,
    "json_array": Evaluator._json_array,
    "json_object": Evaluator._json_object,
}
