"""Evaluate template values and intrinsic functions into `Sourced` values.

Mappings become dicts of `Sourced`, sequences tuples, so every element keeps its own span. What the template
itself decides is evaluated: `Ref` to a resource (a `Ref` to its logical id), to a parameter (its `--parameter`
value, else its `Default`), `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::FindInMap`,
`Fn::If` over `Conditions`, `Fn::Base64`. What only the deployment decides (`Fn::ImportValue`, `AWS::Region`,
`AWS::AccountId`, a parameter without a default) is UNKNOWN, never guessed; a parameter read from SSM
Parameter Store (`AWS::SSM::Parameter::Value<…>`) is a `Ref` to its declaration, an `SsmParameter`.

Two pseudo parameters are given a value: `AWS::Partition` is "aws" and `AWS::URLSuffix` is "amazonaws.com".
This is no guess about the deployment: the value only ever reaches checks that give the same verdict in every
partition (managed policy ARNs are matched in any partition, `ec2.amazonaws.com` and `ec2.amazonaws.com.cn`
are both EC2; `tests/test_cfn_evaluator.py` checks it), and a patch never writes the evaluated text back, only
edits the literal part it changes.

A value taken from elsewhere carries `via` (`parameter X`: its default, located there; `--parameter X`: the
command line, located where the template uses it; `Fn::FindInMap M.K.L`: the mapping), so a patch rewrites it
where it is written, or not at all. A value an intrinsic leaves out (`AWS::NoValue`) is dropped from sequences; in a mapping it
is DEFAULT with no `missing` path: absent, but not something a patch can insert beside the intrinsic.

Conditions are evaluated from parameter values. A condition that cannot be (it depends on an unknown value)
is decided by `assumptions` when given there, and is unknown otherwise: `Fn::If` on it is UNKNOWN.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...model.values import Origin, Ref, Sourced, unknown
from ...parsers.cloudformation import Node
from ...source import Span

AnySourced = Sourced[Any]

NO_VALUE = "AWS::NoValue"
SSM_VALUE = "AWS::SSM::Parameter::Value<"
PSEUDO = {"AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
_LIST_TYPES = ("CommaDelimitedList", "List<")
_MAX_DEPTH = 64
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def section(root: Node, name: str) -> dict[str, Node]:
    node = root.mapping.get(name)
    return node.mapping if node is not None else {}


def intrinsic(node: Node) -> tuple[str, Node] | None:
    """(`Ref`/`Fn::X`/`Condition`, argument) when the node is a one-key intrinsic mapping."""
    mapping = node.mapping
    if len(mapping) == 1:
        ((name, arg),) = mapping.items()
        if name == "Ref" or name.startswith("Fn::") or name == "Condition":
            return name, arg
    return None


class Evaluator:
    """Values of one template under one set of assumptions about its undecidable conditions."""

    def __init__(self, root: Node, parameters: dict[str, str], assumptions: dict[str, bool]) -> None:
        self.parameters = section(root, "Parameters")
        self.mappings = section(root, "Mappings")
        self.conditions = section(root, "Conditions")
        self.resources = section(root, "Resources")
        self.overrides = parameters
        self.assumptions = assumptions
        self._decided: dict[str, bool | None] = {}
        self._deciding: set[str] = set()
        self._depth = 0

    # -- values --------------------------------------------------------------------------------------

    def value(self, node: Node, key: str) -> AnySourced:
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                return unknown(key, node.span, "a value nested too deeply")
            return self._value(node, key)
        finally:
            self._depth -= 1

    def _value(self, node: Node, key: str) -> AnySourced:
        call = intrinsic(node)
        if call is not None and call[0] != "Condition":
            return self._call(call[0], call[1], node, key)
        if isinstance(node.value, dict):
            members = {name: self.value(child, name) for name, child in node.value.items()}
            return Sourced(members, Origin.EXPLICIT, key, node.entry)
        if isinstance(node.value, tuple):
            items = tuple(v for v in (self.value(child, key) for child in node.value) if not is_no_value(v))
            return Sourced(items, Origin.EXPLICIT, key, node.entry)
        return Sourced(node.value, Origin.EXPLICIT, key, node.span)

    def _call(self, name: str, arg: Node, node: Node, key: str) -> AnySourced:
        if name == "Ref":
            return self.ref(arg.value, node, key)
        if name == "Fn::GetAtt":
            return self._get_att(arg, node, key)
        if name == "Fn::Sub":
            return self._sub(arg, node, key)
        if name == "Fn::Join":
            return self._join(arg, node, key)
        if name == "Fn::Select":
            return self._select(arg, node, key)
        if name == "Fn::Split":
            return self._split(arg, node, key)
        if name == "Fn::FindInMap":
            return self._find_in_map(arg, node, key)
        if name == "Fn::If":
            return self._if(arg, node, key)
        if name == "Fn::Base64":
            inner = self.value(arg, key)
            return Sourced(inner.value, inner.origin, key, node.span, (), inner.via)
        return unknown(key, node.span, name)

    def ref(self, target: Any, node: Node, key: str) -> AnySourced:
        if not isinstance(target, str):
            return unknown(key, node.span, "Ref")
        if target == NO_VALUE:
            return no_value(key, node.span)
        if target in PSEUDO:
            return Sourced(PSEUDO[target], Origin.EXPLICIT, key, node.span, (), target)
        if target in self.resources:
            return Sourced(Ref(target), Origin.EXPLICIT, key, node.span)
        if target in self.parameters:
            return self.parameter(target, node, key)
        return unknown(key, node.span, target)

    def parameter(self, name: str, node: Node, key: str) -> AnySourced:
        """A parameter's value: `--parameter NAME=VALUE` (located where the parameter is used), else its
        default (located there). A parameter read from SSM Parameter Store is a `Ref` to its declaration."""
        if parameter_type(self.parameters[name]).startswith(SSM_VALUE):
            return Sourced(Ref(name), Origin.EXPLICIT, key, node.span)
        value = self.declared_value(name, key)
        if value is None:
            return unknown(key, node.span, f"parameter {name}")
        if value.span is None:  # given on the command line: where the template uses it
            value = _located(value, node.span)
        return value

    def declared_value(self, name: str, key: str) -> AnySourced | None:
        """The value a parameter is given, as written: `--parameter` (no location), else its `Default`."""
        declared = self.parameters[name]
        span: Span | None
        if name in self.overrides:
            raw: Any = self.overrides[name]
            span, via = None, f"--parameter {name}"
        else:
            default = declared.mapping.get("Default")
            if default is None or isinstance(default.value, (dict, tuple)):
                return None
            raw, span, via = default.value, default.span, f"parameter {name}"
        if parameter_type(declared).startswith(_LIST_TYPES):
            items = tuple(Sourced(part.strip(), Origin.EXPLICIT, key, span, (), via) for part in str(raw).split(","))
            return Sourced(items, Origin.EXPLICIT, key, span, (), via)
        return Sourced(raw, Origin.EXPLICIT, key, span, (), via)

    def _get_att(self, arg: Node, node: Node, key: str) -> AnySourced:
        parts: list[Any] = []
        if isinstance(arg.value, str):
            parts = arg.value.split(".", 1)
        elif isinstance(arg.value, tuple):
            parts = [self.value(item, key).value for item in arg.value]
        if len(parts) == 2 and all(isinstance(p, str) for p in parts) and parts[0] in self.resources:
            return Sourced(Ref(parts[0], parts[1]), Origin.EXPLICIT, key, node.span)
        return unknown(key, node.span, "Fn::GetAtt")

    def _sub(self, arg: Node, node: Node, key: str) -> AnySourced:
        template, variables = arg, {}
        if isinstance(arg.value, tuple) and arg.value:
            template = arg.value[0]
            if len(arg.value) > 1:
                variables = arg.value[1].mapping
        if not isinstance(template.value, str):
            return unknown(key, node.span, "Fn::Sub")
        out: list[str] = []
        pos = 0
        text = template.value
        for match in _SUB_VAR.finditer(text):
            out.append(text[pos : match.start()])
            pos = match.end()
            name = match.group(1)
            if name.startswith("!"):
                out.append("${" + name[1:] + "}")
                continue
            part = self._sub_variable(name.strip(), variables, node, key)
            if not part.known or isinstance(part.value, (Ref, tuple, dict)) or part.value is None:
                return unknown(key, node.span, part.via or f"${{{name}}} in Fn::Sub")
            out.append(_text(part.value))
        out.append(text[pos:])
        return Sourced("".join(out), Origin.EXPLICIT, key, node.span)

    def _sub_variable(self, name: str, variables: dict[str, Node], node: Node, key: str) -> AnySourced:
        if name in variables:
            return self.value(variables[name], key)
        if "." in name:
            return unknown(key, node.span, f"${{{name}}}")  # an attribute: known only once deployed
        if name in PSEUDO or name in self.parameters or name in self.resources:
            ref = self.ref(name, node, key)
            if isinstance(ref.value, Ref):
                return unknown(key, node.span, f"${{{name}}}")  # a resource's physical id
            return ref
        return unknown(key, node.span, f"${{{name}}}")

    def _join(self, arg: Node, node: Node, key: str) -> AnySourced:
        if not (isinstance(arg.value, tuple) and len(arg.value) == 2):
            return unknown(key, node.span, "Fn::Join")
        delimiter = self.value(arg.value[0], key)
        parts = self.value(arg.value[1], key)
        if not (isinstance(delimiter.value, str) and parts.known and isinstance(parts.value, tuple)):
            return unknown(key, node.span, parts.via or "Fn::Join")
        texts: list[str] = []
        for part in parts.value:
            if not part.known or part.value is None or isinstance(part.value, (Ref, tuple, dict)):
                return unknown(key, node.span, part.via or "Fn::Join")
            texts.append(_text(part.value))
        return Sourced(delimiter.value.join(texts), Origin.EXPLICIT, key, node.span)

    def _select(self, arg: Node, node: Node, key: str) -> AnySourced:
        if not (isinstance(arg.value, tuple) and len(arg.value) == 2):
            return unknown(key, node.span, "Fn::Select")
        index = self.value(arg.value[0], key).value
        options = self.value(arg.value[1], key)
        if isinstance(index, str) and index.isdigit():
            index = int(index)
        if not (isinstance(index, int) and not isinstance(index, bool) and isinstance(options.value, tuple)):
            return unknown(key, node.span, options.via or "Fn::Select")
        if not 0 <= index < len(options.value):
            return unknown(key, node.span, "Fn::Select")
        chosen: AnySourced = options.value[index]
        return _rekey(chosen, key)

    def _split(self, arg: Node, node: Node, key: str) -> AnySourced:
        if not (isinstance(arg.value, tuple) and len(arg.value) == 2):
            return unknown(key, node.span, "Fn::Split")
        delimiter = self.value(arg.value[0], key).value
        source = self.value(arg.value[1], key)
        if not (isinstance(delimiter, str) and delimiter and isinstance(source.value, str)):
            return unknown(key, node.span, source.via or "Fn::Split")
        # the parts share the whole expression's text: none of them can be edited alone
        via = source.via or "Fn::Split"
        parts = tuple(Sourced(p, Origin.EXPLICIT, key, node.span, (), via) for p in source.value.split(delimiter))
        return Sourced(parts, Origin.EXPLICIT, key, node.span, (), source.via)

    def _find_in_map(self, arg: Node, node: Node, key: str) -> AnySourced:
        if not (isinstance(arg.value, tuple) and len(arg.value) in (3, 4)):
            return unknown(key, node.span, "Fn::FindInMap")
        names = [self.value(item, key) for item in arg.value[:3]]
        if not all(isinstance(n.value, (str, int)) and not isinstance(n.value, bool) for n in names):
            return unknown(key, node.span, next((n.via for n in names if n.via), "Fn::FindInMap"))
        path = [_text(n.value) for n in names]
        found = self.mappings.get(path[0])
        for part in path[1:]:
            found = found.mapping.get(part) if found is not None else None
        via = "Fn::FindInMap " + ".".join(path)
        if found is None:
            fallback = arg.value[3].mapping.get("DefaultValue") if len(arg.value) == 4 else None
            if fallback is not None:  # AWS::LanguageExtensions
                default = self.value(fallback, key)
                return _with_via(default, default.via or via)
            return unknown(key, node.span, via)
        return _with_via(self.value(found, key), via)

    def _if(self, arg: Node, node: Node, key: str) -> AnySourced:
        if not (isinstance(arg.value, tuple) and len(arg.value) == 3 and isinstance(arg.value[0].value, str)):
            return unknown(key, node.span, "Fn::If")
        name = arg.value[0].value
        decided = self.condition(name)
        if decided is None:
            return unknown(key, node.span, f"Fn::If {name}")
        return self.value(arg.value[1] if decided else arg.value[2], key)

    # -- conditions ----------------------------------------------------------------------------------

    def condition(self, name: str) -> bool | None:
        """True/False, or None when it depends on something unknown and no assumption decides it."""
        if name in self.assumptions:
            return self.assumptions[name]
        if name in self._decided:
            return self._decided[name]
        definition = self.conditions.get(name)
        if definition is None or name in self._deciding:
            return None
        self._deciding.add(name)
        try:
            decided = self._truth(definition)
        finally:
            self._deciding.discard(name)
        self._decided[name] = decided
        return decided

    def _truth(self, node: Node) -> bool | None:
        call = intrinsic(node)
        if call is None:
            return node.value if isinstance(node.value, bool) else None
        name, arg = call
        args = arg.value if isinstance(arg.value, tuple) else (arg,)
        if name == "Condition":
            return self.condition(arg.value) if isinstance(arg.value, str) else None
        if name == "Fn::Equals" and len(args) == 2:
            left, right = (self.value(a, "Fn::Equals") for a in args)
            if not (left.known and right.known) or _opaque(left.value) or _opaque(right.value):
                return None
            return _text(left.value) == _text(right.value)
        if name == "Fn::Not" and len(args) == 1:
            inner = self._truth(args[0])
            return None if inner is None else not inner
        if name in ("Fn::And", "Fn::Or"):
            values = [self._truth(a) for a in args]
            decisive = name == "Fn::Or"  # the value that decides the whole at once
            if decisive in values:
                return decisive
            return None if None in values else not decisive
        return None

    def unknown_conditions(self) -> Iterator[str]:
        """The conditions resources depend on that cannot be decided, in the order they are first used."""
        seen: set[str] = set()
        for node in self.resources.values():
            for name in _used_conditions(node):
                if name not in seen:
                    seen.add(name)
                    if self.condition(name) is None:
                        yield name


def _used_conditions(node: Node) -> Iterator[str]:
    """Conditions a resource uses: its own `Condition`, and those of every `Fn::If` in it."""
    own = node.mapping.get("Condition")
    if own is not None and isinstance(own.value, str):
        yield own.value
    stack = [node]
    while stack:
        current = stack.pop()
        call = intrinsic(current)
        if call is not None and call[0] == "Fn::If" and isinstance(call[1].value, tuple) and call[1].value:
            first = call[1].value[0].value
            if isinstance(first, str):
                yield first
        if isinstance(current.value, dict):
            stack.extend(reversed(list(current.value.values())))
        elif isinstance(current.value, tuple):
            stack.extend(reversed(current.value))


def parameter_type(declared: Node) -> str:
    kind = declared.mapping.get("Type")
    return str(kind.value) if kind is not None else "String"


def _located(value: AnySourced, span: Span) -> AnySourced:
    inner = value.value
    if isinstance(inner, tuple):
        inner = tuple(_located(v, span) for v in inner)
    return Sourced(inner, value.origin, value.key, span, value.missing, value.via)


def no_value(key: str, span: Span) -> AnySourced:
    """What `AWS::NoValue` leaves: an absent value that cannot be inserted where the intrinsic stands."""
    return Sourced(None, Origin.DEFAULT, key, span, (), NO_VALUE)


def is_no_value(value: AnySourced) -> bool:
    return value.origin is Origin.DEFAULT and value.via == NO_VALUE


def _opaque(value: Any) -> bool:
    return value is None or isinstance(value, (Ref, tuple, dict))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _rekey(value: AnySourced, key: str) -> AnySourced:
    return Sourced(value.value, value.origin, key, value.span, value.missing, value.via)


def _with_via(value: AnySourced, via: str) -> AnySourced:
    inner = value.value
    if isinstance(inner, tuple):
        inner = tuple(_with_via(v, via) for v in inner)
    elif isinstance(inner, dict):
        inner = {k: _with_via(v, via) for k, v in inner.items()}
    return Sourced(inner, value.origin, value.key, value.span, value.missing, via)
