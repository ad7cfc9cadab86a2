"""Terraform's built-in functions that configurations use to build what the traits read.

A function gets its evaluated arguments (all known at the top level: the caller makes the result unknown
otherwise) and returns a plain value (wrapped with the call's span), a `Sourced` it picked from its
arguments (which keeps the span where that element is written), or None for unknown. An exception means
Terraform would reject the call: the result is `Failed`. Functions not listed here, `templatefile` among
them, are unknown.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...model.values import Origin, Ref, Sourced, unknown
from ...source import SourceFile, Span
from ..policy import from_json
from .evaluator import Failed, failed, to_string

if TYPE_CHECKING:
    from .evaluator import Evaluator

AnySourced = Sourced[Any]
Function = Callable[[list[AnySourced], "Call"], Any]


class Unknowable(Exception):
    """The result depends on something we cannot know (an unknown element, an unsupported format verb)."""


class Call:
    """One function call: where it is, and the evaluator it runs in."""

    def __init__(self, ev: Evaluator, file: SourceFile, key: str, span: Span) -> None:
        self.ev = ev
        self.file = file
        self.key = key
        self.span = span

    def known(self, value: Any) -> AnySourced:
        return Sourced(value, Origin.EXPLICIT, self.key, self.span)

    def part_of(self, value: Any, whole: AnySourced, via: str) -> AnySourced:
        """A value cut out of an argument (`split`, `keys`): written inside that argument, where it cannot be
        replaced alone (and the call, a list, cannot be replaced by one value)."""
        return Sourced(value, Origin.EXPLICIT, self.key, whole.span or self.span, (), whole.via or via)

    def apply(self, fn: Function, args: list[AnySourced]) -> AnySourced:
        for arg in args:
            if isinstance(arg, Failed):
                return arg
        missing = next((a for a in args if not a.known), None)
        if missing is not None:
            return unknown(self.key, self.span, missing.via)
        try:
            result = fn(args, self)
        except Unknowable:
            return unknown(self.key, self.span)
        except (TypeError, ValueError, IndexError, KeyError, ArithmeticError):
            return failed(self.key, self.span)
        except RecursionError:  # a document nested deeper than we follow
            return unknown(self.key, self.span)
        if result is None:
            return unknown(self.key, self.span)
        if isinstance(result, Sourced):
            return result
        return self.known(result)


# -- helpers -------------------------------------------------------------------------------------------


def _list(arg: AnySourced) -> tuple[AnySourced, ...]:
    if not isinstance(arg.value, tuple):
        raise TypeError("not a list")
    return arg.value


def _map(arg: AnySourced) -> dict[str, AnySourced]:
    if not isinstance(arg.value, dict):
        raise TypeError("not a map")
    return arg.value


def _str(arg: AnySourced) -> str:
    value = arg.value
    if isinstance(value, Ref):
        raise Unknowable
    if isinstance(value, (str, int, float, bool)):
        return to_string(value)
    raise TypeError("not a string")


def _int(arg: AnySourced) -> int:
    value = arg.value
    if isinstance(value, str):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise TypeError("not a whole number")
    return int(value)


def _plain_known(items: tuple[AnySourced, ...]) -> list[Any]:
    """Elements compared by value: every one must be known (and not a resource attribute)."""
    out = []
    for item in items:
        if not item.known or _has_ref(item.value):
            raise Unknowable
        out.append(_freeze(item.plain()))
    return out


def _has_ref(value: Any) -> bool:
    if isinstance(value, Ref):
        return True
    if isinstance(value, tuple):
        return any(_has_ref(v.value) for v in value)
    if isinstance(value, dict):
        return any(_has_ref(v.value) for v in value.values())
    return False


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


# -- the functions -------------------------------------------------------------------------------------


def _jsonencode(args: list[AnySourced], call: Call) -> Any:
    # keep the structure (not a JSON string): policy documents keep the span of every element
    (arg,) = args
    return arg


def _jsondecode(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    if isinstance(arg.value, (dict, tuple)):  # jsondecode(jsonencode(x)): we kept x
        return arg
    return from_json(json.loads(_str(arg)), arg)


def _concat(args: list[AnySourced], call: Call) -> Any:
    return tuple(item for a in args for item in _list(a))


def _merge(args: list[AnySourced], call: Call) -> Any:
    out: dict[str, AnySourced] = {}
    for arg in args:
        if arg.value is not None:
            out.update(_map(arg))
    return out


def _lookup(args: list[AnySourced], call: Call) -> Any:
    mapping, name = _map(args[0]), _str(args[1])
    if name in mapping:
        return mapping[name]
    if len(args) == 3:
        return args[2]
    raise KeyError(name)


def _element(args: list[AnySourced], call: Call) -> Any:
    items, index = _list(args[0]), _int(args[1])
    if not items or index < 0:
        raise IndexError("element of an empty list or at a negative index")
    return items[index % len(items)]


def _flatten(args: list[AnySourced], call: Call) -> Any:
    def walk(items: tuple[AnySourced, ...]) -> list[AnySourced]:
        out: list[AnySourced] = []
        for item in items:
            if not item.known:
                raise Unknowable  # an unknown element may itself be a list
            if isinstance(item.value, tuple):
                out.extend(walk(item.value))
            else:
                out.append(item)
        return out

    return tuple(walk(_list(args[0])))


def _distinct(args: list[AnySourced], call: Call) -> Any:
    items = _list(args[0])
    seen: list[Any] = []
    out: list[AnySourced] = []
    for item, value in zip(items, _plain_known(items)):
        if value not in seen:
            seen.append(value)
            out.append(item)
    return tuple(out)


def _tolist(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    return _list(arg)


def _toset(args: list[AnySourced], call: Call) -> Any:
    unique = _distinct(args, call)
    values = _plain_known(unique)
    if all(isinstance(v, str) for v in values):  # Terraform orders a set of strings lexically
        return tuple(item for _, item in sorted(zip(values, unique), key=lambda p: p[0]))
    return unique


def _tomap(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    return _map(arg)


def _length(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    if isinstance(arg.value, (tuple, dict)):
        return len(arg.value)
    return len(_str(arg))


def _join(args: list[AnySourced], call: Call) -> Any:
    sep = _str(args[0])
    items = [item for a in args[1:] for item in _list(a)]
    if any(not item.known for item in items):
        raise Unknowable
    return sep.join(_str(item) for item in items)


def _split(args: list[AnySourced], call: Call) -> Any:
    sep, text = _str(args[0]), _str(args[1])
    if not sep:
        raise ValueError("empty separator")
    return tuple(call.part_of(part, args[1], "split()") for part in text.split(sep))


_VERB = re.compile(r"%(?:(%)|([-+# 0]*)(\d*)(?:\.(\d+))?([a-zA-Z]))")


def _format(args: list[AnySourced], call: Call) -> Any:
    spec = _str(args[0])
    values = iter(args[1:])

    def verb(match: re.Match[str]) -> str:
        if match.group(1):
            return "%"
        flags, width, precision, letter = match.group(2), match.group(3), match.group(4), match.group(5)
        arg = next(values)  # StopIteration is not caught: too few arguments is an error below
        if not arg.known or isinstance(arg.value, Ref):
            raise Unknowable
        value = arg.value
        head = f"%{flags}{width}" + (f".{precision}" if precision else "")
        if letter in ("s", "v") and not isinstance(value, (tuple, dict)):
            return (head + "s") % to_string(value)
        if letter == "d":
            return (head + "d") % _int(arg)
        if letter == "f":
            return (head + "f") % float(_str(arg))
        if letter == "q":
            return json.dumps(_str(arg))
        if letter == "t" and isinstance(value, bool):
            return to_string(value)
        raise Unknowable

    try:
        return _VERB.sub(verb, spec)
    except StopIteration:
        raise ValueError("too few arguments for the format") from None


def _coalesce(args: list[AnySourced], call: Call) -> Any:
    for arg in args:
        if arg.value is not None and arg.value != "":
            return arg
    raise ValueError("no non-null argument")


def _contains(args: list[AnySourced], call: Call) -> Any:
    items, wanted = _list(args[0]), args[1]
    if not wanted.known or _has_ref(wanted.value):
        raise Unknowable
    target = _freeze(wanted.plain())
    undecided = False
    for item in items:
        if not item.known or _has_ref(item.value):
            undecided = True
        elif _freeze(item.plain()) == target:
            return True
    if undecided:
        raise Unknowable
    return False


def _keys(args: list[AnySourced], call: Call) -> Any:
    return tuple(call.part_of(k, args[0], "keys()") for k in sorted(_map(args[0])))


def _values(args: list[AnySourced], call: Call) -> Any:
    mapping = _map(args[0])
    return tuple(mapping[k] for k in sorted(mapping))


def _cidrsubnet(args: list[AnySourced], call: Call) -> Any:
    net = ipaddress.ip_network(_str(args[0]), strict=False)
    newbits, netnum = _int(args[1]), _int(args[2])
    prefix = net.prefixlen + newbits
    if newbits < 0 or prefix > net.max_prefixlen or not 0 <= netnum < 2**newbits:
        raise ValueError("no such subnet")
    start = int(net.network_address) + (netnum << (net.max_prefixlen - prefix))
    return str(ipaddress.ip_network((start, prefix)))


def _cidrhost(args: list[AnySourced], call: Call) -> Any:
    net = ipaddress.ip_network(_str(args[0]), strict=False)
    hostnum = _int(args[1])
    if not -net.num_addresses <= hostnum < net.num_addresses:
        raise ValueError("no such host")
    base = int(net.network_address) if hostnum >= 0 else int(net.broadcast_address) + 1
    return str(ipaddress.ip_address(base + hostnum))


def _file(args: list[AnySourced], call: Call) -> Any:
    return call.ev.scope.read_file(_str(args[0]))


def _scalar_fn(fn: Callable[[str], Any]) -> Function:
    def call_(args: list[AnySourced], call: Call) -> Any:
        (arg,) = args
        return fn(_str(arg))

    return call_


def _tostring(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    return None if arg.value is None else _str(arg)


def _tonumber(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    value = arg.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = _str(arg)
    return int(text) if text.lstrip("-").isdigit() else float(text)


def _tobool(args: list[AnySourced], call: Call) -> Any:
    (arg,) = args
    if isinstance(arg.value, bool):
        return arg.value
    return {"true": True, "false": False}[_str(arg)]


def _compact(args: list[AnySourced], call: Call) -> Any:
    items = _list(args[0])
    if any(not i.known for i in items):
        raise Unknowable
    return tuple(i for i in items if i.value not in (None, ""))


FUNCTIONS: dict[str, Function] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "concat": _concat,
    "merge": _merge,
    "lookup": _lookup,
    "element": _element,
    "flatten": _flatten,
    "distinct": _distinct,
    "tolist": _tolist,
    "toset": _toset,
    "tomap": _tomap,
    "length": _length,
    "join": _join,
    "split": _split,
    "format": _format,
    "coalesce": _coalesce,
    "contains": _contains,
    "keys": _keys,
    "values": _values,
    "cidrsubnet": _cidrsubnet,
    "cidrhost": _cidrhost,
    "file": _file,
    "tostring": _tostring,
    "tonumber": _tonumber,
    "tobool": _tobool,
    "compact": _compact,
    "lower": _scalar_fn(str.lower),
    "upper": _scalar_fn(str.upper),
    "trimspace": _scalar_fn(str.strip),
}


# -- try() and can(): their arguments are evaluated one by one, errors caught ---------------------------


def _try(nodes: list[Any], call: Call) -> AnySourced:
    for node in nodes:
        value = call.ev.evaluate(node, call.file, call.key)
        if not isinstance(value, Failed):
            return value  # known, or unknown: Terraform cannot decide either
    return failed(call.key, call.span)


def _can(nodes: list[Any], call: Call) -> AnySourced:
    if len(nodes) != 1:
        return failed(call.key, call.span)
    value = call.ev.evaluate(nodes[0], call.file, call.key)
    if isinstance(value, Failed):
        return call.known(False)
    return call.known(True) if value.known else unknown(call.key, call.span, value.via)


LAZY: dict[str, Callable[[list[Any], Call], AnySourced]] = {"try": _try, "can": _can}
