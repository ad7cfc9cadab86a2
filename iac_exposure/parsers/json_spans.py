"""JSON with the character span of every value, so a patch can replace or insert text in place.

The stdlib decoder gives no positions, so this is a small recursive-descent parser over a regular-expression
tokenizer (strings and numbers are matched in C). Detection uses `json.loads` first; only documents we
analyse are parsed here. Nesting is bounded so hostile input becomes a ParseError, never a RecursionError.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .._records import record
from ..source import SourceFile
from . import ParseError

MAX_DEPTH = 200

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_LITERALS = {"true": True, "false": False, "null": None}


@record(frozen=False)
class JsonNode:
    """One JSON value: a scalar, a `dict[str, JsonNode]` (object) or a `list[JsonNode]` (array).

    `start`/`end` cover the value's text.
    """

    value: Any
    start: int
    end: int

    @property
    def is_object(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_array(self) -> bool:
        return isinstance(self.value, list)

    def get(self, key: str) -> JsonNode | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    def plain(self) -> Any:
        """The value as plain Python data."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


def parse_json(file: SourceFile, members: frozenset[str] | None = None) -> JsonNode:
    """Parse a whole file. Raises ParseError (with the line) on invalid JSON or nesting deeper than MAX_DEPTH.

    `members`: of a top-level object, keep only these members; the others are checked and skipped by the C
    decoder (a plan's `configuration` and `prior_state` need no spans).
    """
    parser = _Parser(file.text, members)
    try:
        node = parser.value(parser.skip(0), 0)
        end = parser.skip(node.end)
        if end != len(file.text):
            raise _Error("extra data after the JSON value", end)
    except _Error as exc:
        raise ParseError(exc.message, file.line_of(exc.pos)) from None
    return node


class _Error(Exception):
    def __init__(self, message: str, pos: int) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


class _Parser:
    def __init__(self, text: str, members: frozenset[str] | None = None) -> None:
        self.text = text
        self.members = members
        self._decoder = json.JSONDecoder()

    def skip(self, pos: int) -> int:
        match = _WS.match(self.text, pos)
        return match.end() if match else pos

    def value(self, pos: int, depth: int) -> JsonNode:
        if depth > MAX_DEPTH:
            raise _Error(f"JSON nested deeper than {MAX_DEPTH} levels", pos)
        text = self.text
        if pos >= len(text):
            raise _Error("unexpected end of file", pos)
        ch = text[pos]
        if ch == "{":
            return self._object(pos, depth)
        if ch == "[":
            return self._array(pos, depth)
        if ch == '"':
            end = self._string_end(pos)
            return JsonNode(_decode_string(text[pos:end]), pos, end)
        number = _NUMBER.match(text, pos)
        if number:
            raw = number.group()
            parsed: Any = float(raw) if any(c in raw for c in ".eE") else int(raw)
            return JsonNode(parsed, pos, number.end())
        for word, literal in _LITERALS.items():
            if text.startswith(word, pos):
                return JsonNode(literal, pos, pos + len(word))
        raise _Error(f"unexpected character {ch!r}", pos)

    def _skip_value(self, pos: int) -> int:
        try:
            return int(self._decoder.raw_decode(self.text, pos)[1])
        except json.JSONDecodeError as exc:
            raise _Error(exc.msg, exc.pos) from None
        except RecursionError:
            raise _Error("JSON nested too deeply", pos) from None

    def _string_end(self, pos: int) -> int:
        match = _STRING.match(self.text, pos)
        if match is None:
            raise _Error("invalid string", pos)
        return match.end()

    def _object(self, start: int, depth: int) -> JsonNode:
        text = self.text
        members: dict[str, JsonNode] = {}
        pos = self.skip(start + 1)
        if text.startswith("}", pos):
            return JsonNode(members, start, pos + 1)
        while True:
            if not text.startswith('"', pos):
                raise _Error("expected a member name in double quotes", pos)
            key_end = self._string_end(pos)
            key = _decode_string(text[pos:key_end])
            colon = self.skip(key_end)
            if not text.startswith(":", colon):
                raise _Error("expected ':' after a member name", colon)
            at = self.skip(colon + 1)
            if depth == 0 and self.members is not None and key not in self.members:
                pos = self.skip(self._skip_value(at))
            else:
                node = self.value(at, depth + 1)
                members[key] = node  # a repeated key: the last one wins, as json.loads does
                pos = self.skip(node.end)
            if text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if text.startswith("}", pos):
                return JsonNode(members, start, pos + 1)
            raise _Error("expected ',' or '}' in an object", pos)

    def _array(self, start: int, depth: int) -> JsonNode:
        text = self.text
        items: list[JsonNode] = []
        pos = self.skip(start + 1)
        if text.startswith("]", pos):
            return JsonNode(items, start, pos + 1)
        while True:
            node = self.value(pos, depth + 1)
            items.append(node)
            pos = self.skip(node.end)
            if text.startswith(",", pos):
                pos = self.skip(pos + 1)
                continue
            if text.startswith("]", pos):
                return JsonNode(items, start, pos + 1)
            raise _Error("expected ',' or ']' in an array", pos)


def _decode_string(raw: str) -> str:
    if "\\" not in raw:
        return raw[1:-1]
    decoded: str = json.loads(raw)
    return decoded
