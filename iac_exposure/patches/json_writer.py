"""The JSON writer: set a value in place, or insert the missing members, in the file's own style.

An EXPLICIT value's span is replaced by the new literal (a boolean written as a string stays a string). A
DEFAULT value is anchored on the innermost object that exists, with the members to create under it: they are
appended after its last member, with the indentation, key/colon spacing and line style of the members already
there, and nothing else in the file moves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..model.values import Origin, Sourced
from ..parsers import ParseError
from ..source import Span
from .edits import Edit
from .remedies import Action, SetValue
from .render import PatchContext, Unpatchable

AnySourced = Sourced[Any]

_KEY = re.compile(r'"(?:[^"\\]|\\.)*"([ \t]*:[ \t]*)')


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    if not isinstance(action, SetValue):
        raise Unpatchable(f"a JSON document has no inputs or references to change for {type(action).__name__}")
    target = action.target
    if target.span is None:
        raise Unpatchable("the value has no location in a file")
    if target.origin is Origin.UNKNOWN:
        raise Unpatchable("the value is not known here")
    if target.origin is Origin.EXPLICIT:
        span = target.span
        return [Edit(span.file, span.start, span.end, render(action.value, span.text))]
    return [_insert(target.span, target.missing, action.value)]


def check(text: str) -> None:
    """Raise ParseError when patched text is no longer JSON."""
    try:
        json.loads(text)
    except ValueError as exc:
        raise ParseError(str(exc)) from None


def render(value: Any, like: str = "") -> str:
    """A JSON literal; a boolean stays a string where the original was one."""
    if isinstance(value, bool) and like.startswith('"'):
        return json.dumps("true" if value else "false")
    return json.dumps(value, ensure_ascii=False)


def _insert(obj: Span, path: tuple[str, ...], value: Any) -> Edit:
    """Append `"a": {"b": value}` (the missing path) as the last member of the object at `obj`."""
    file, text = obj.file, obj.file.text
    if not path or text[obj.start] != "{" or text[obj.end - 1] != "}":
        raise Unpatchable("the value is not anchored on a JSON object")
    body = text[obj.start + 1 : obj.end - 1]
    outer = file.indent_at(obj.start)
    if not body.strip():  # `{}`: open it in the file's style
        unit = _file_unit(text)
        multiline = "\n" in text.strip()
        inner = _member(path, value, ": ", outer + unit, unit, multiline)
        return Edit(file, obj.start + 1, obj.end - 1, f"\n{outer}{unit}{inner}\n{outer}" if multiline else inner)
    first = len(body) - len(body.lstrip())
    multiline = "\n" in body[:first]
    key = _KEY.match(body, first)
    colon = key.group(1) if key else ": "
    indent = file.indent_at(obj.start + 1 + first)
    unit = indent[len(outer) :] if indent.startswith(outer) and indent != outer else _file_unit(text)
    rendered = _member(path, value, colon, indent, unit, multiline)
    last = obj.start + 1 + len(body.rstrip())  # just after the last member
    inline = "," if colon == ":" else ", "  # compact JSON stays compact
    return Edit(file, last, last, (f",\n{indent}" if multiline else inline) + rendered)


def _member(path: tuple[str, ...], value: Any, colon: str, indent: str, unit: str, multiline: bool) -> str:
    key = json.dumps(path[0], ensure_ascii=False)
    if len(path) == 1:
        return f"{key}{colon}{render(value)}"
    inner = _member(path[1:], value, colon, indent + unit, unit, multiline)
    if multiline:
        return f"{key}{colon}{{\n{indent}{unit}{inner}\n{indent}}}"
    return f"{key}{colon}{{{inner}}}"


def _file_unit(text: str) -> str:
    """The file's indentation step, from its first indented line (two spaces when it has none)."""
    match = re.search(r"\n([ \t]+)\S", text)
    return match.group(1) if match else "  "
