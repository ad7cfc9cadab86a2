"""Terraform's JSON syntax (`*.tf.json`, `*.tfvars.json`): JSON with offsets, read into the same blocks and
attributes as HCL.

The stdlib decoder keeps no positions, so this is a small recursive-descent JSON reader whose nodes carry
character offsets (`start_pos`/`end_pos`, as Lark tokens do, so `node_span` works on them). Terraform decides
whether a property is an argument or a nested block from the provider schema, which we do not have: a
property holding an object (or a list of objects) is read as both, and the adapters ask for the one they
expect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..source import SourceFile, Span
from . import ParseError
from .terraform_hcl import HclAttribute, HclBlock

_MAX_DEPTH = 200
_WS = " \t\r\n"
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
# how many labels each top-level block type takes (Terraform's JSON syntax spec)
_LABELS = {"resource": 2, "data": 2, "variable": 1, "output": 1, "module": 1, "locals": 0}


@dataclass(slots=True)
class JsonNode:
    data: str  # "json_string" | "json_number" | "json_literal" | "json_array" | "json_object"
    value: Any  # the decoded scalar (a string without its quotes); None for arrays and objects
    start_pos: int
    end_pos: int
    items: list[JsonNode] = field(default_factory=list)  # array elements
    members: list[tuple[JsonNode, JsonNode]] = field(default_factory=list)  # object (key, value) pairs
    literal: bool = False  # a literal value (variable default, tfvars): strings are not templates


def parse_value(file: SourceFile) -> JsonNode:
    """The whole file as one JSON value. Raises ParseError."""
    reader = _Reader(file.text)
    reader.skip()
    node = reader.value(0)
    reader.skip()
    if reader.pos != len(file.text):
        raise ParseError("extra data after the JSON value", reader.line())
    return node


def parse_tf_json(file: SourceFile) -> list[HclBlock]:
    """A `*.tf.json` file into top-level blocks. Raises ParseError."""
    root = parse_value(file)
    if root.data != "json_object":
        raise ParseError("a Terraform JSON file holds an object", 1)
    blocks: list[HclBlock] = []
    for key, value in root.members:
        kind = key.value
        if kind not in _LABELS:
            continue
        for labels, body_key, body in _labelled(value, key, _LABELS[kind]):
            if kind == "locals":
                blocks.append(_locals_block(file, key, body))
            else:
                blocks.append(_block(file, kind, labels, body_key, body, literal_default=kind == "variable"))
    return blocks


def parse_tfvars_json(file: SourceFile) -> dict[str, HclAttribute]:
    """A `*.tfvars.json` file: variable name → literal value. Raises ParseError."""
    root = parse_value(file)
    if root.data != "json_object":
        raise ParseError("a variables file holds an object", 1)
    out: dict[str, HclAttribute] = {}
    for key, value in root.members:
        _mark_literal(value)
        out[key.value] = HclAttribute(key.value, value, Span(file, key.start_pos, value.end_pos), file)
    return out


def _labelled(value: JsonNode, key: JsonNode, depth: int) -> list[tuple[tuple[str, ...], JsonNode, JsonNode]]:
    """Walk `depth` levels of label objects (each level may also be a list of objects) down to bodies."""
    if value.data == "json_array":
        return [found for item in value.items for found in _labelled(item, key, depth)]
    if value.data != "json_object":
        return []
    if depth == 0:
        return [((), key, value)]
    found: list[tuple[tuple[str, ...], JsonNode, JsonNode]] = []
    for label, inner in value.members:
        for labels, body_key, body in _labelled(inner, label, depth - 1):
            found.append(((label.value, *labels), body_key, body))
    return found


def _block(
    file: SourceFile, kind: str, labels: tuple[str, ...], key: JsonNode, body: JsonNode, literal_default: bool
) -> HclBlock:
    attributes: dict[str, HclAttribute] = {}
    blocks: list[HclBlock] = []
    for name_node, value in body.members:
        name = name_node.value
        if name == "//":
            continue  # a comment
        if literal_default and name == "default":
            _mark_literal(value)
        span = Span(file, name_node.start_pos, value.end_pos)
        attributes[name] = HclAttribute(name, value, span, file)
        if name == "dynamic":
            for dyn_labels, dyn_key, dyn_body in _labelled(value, name_node, 1):
                blocks.append(_block(file, "dynamic", dyn_labels, dyn_key, dyn_body, False))
        elif value.data == "json_object" or (value.items and all(i.data == "json_object" for i in value.items)):
            for _, nested_key, nested in _labelled(value, name_node, 0):
                blocks.append(_block(file, name, (), nested_key, nested, False))
    return HclBlock(kind, labels, attributes, blocks, Span(file, key.start_pos, body.end_pos), file)


def _locals_block(file: SourceFile, key: JsonNode, body: JsonNode) -> HclBlock:
    attributes = {
        name.value: HclAttribute(name.value, value, Span(file, name.start_pos, value.end_pos), file)
        for name, value in body.members
        if name.value != "//"
    }
    return HclBlock("locals", (), attributes, [], Span(file, key.start_pos, body.end_pos), file)


def _mark_literal(node: JsonNode) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        item.literal = True
        stack.extend(item.items)
        stack.extend(v for _, v in item.members)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def line(self) -> int:
        return self.text.count("\n", 0, self.pos) + 1

    def fail(self, message: str) -> ParseError:
        return ParseError(message, self.line())

    def skip(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WS:
            pos += 1
        self.pos = pos

    def value(self, depth: int) -> JsonNode:
        if depth > _MAX_DEPTH:
            raise self.fail("JSON nested too deeply")
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of JSON")
        ch = self.text[self.pos]
        if ch == "{":
            return self.object(depth)
        if ch == "[":
            return self.array(depth)
        if ch == '"':
            return self.string()
        for word, val in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, self.pos):
                start = self.pos
                self.pos += len(word)
                return JsonNode("json_literal", val, start, self.pos)
        return self.number()

    def object(self, depth: int) -> JsonNode:
        start = self.pos
        self.pos += 1
        node = JsonNode("json_object", None, start, start)
        self.skip()
        if self.text.startswith("}", self.pos):
            self.pos += 1
            node.end_pos = self.pos
            return node
        while True:
            self.skip()
            if not self.text.startswith('"', self.pos):
                raise self.fail("expected a property name")
            key = self.string()
            self.skip()
            if not self.text.startswith(":", self.pos):
                raise self.fail("expected ':'")
            self.pos += 1
            self.skip()
            node.members.append((key, self.value(depth + 1)))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("}", self.pos):
                self.pos += 1
                node.end_pos = self.pos
                return node
            raise self.fail("expected ',' or '}'")

    def array(self, depth: int) -> JsonNode:
        start = self.pos
        self.pos += 1
        node = JsonNode("json_array", None, start, start)
        self.skip()
        if self.text.startswith("]", self.pos):
            self.pos += 1
            node.end_pos = self.pos
            return node
        while True:
            self.skip()
            node.items.append(self.value(depth + 1))
            self.skip()
            if self.text.startswith(",", self.pos):
                self.pos += 1
                continue
            if self.text.startswith("]", self.pos):
                self.pos += 1
                node.end_pos = self.pos
                return node
            raise self.fail("expected ',' or ']'")

    def string(self) -> JsonNode:
        text, start = self.text, self.pos
        pos = start + 1
        out: list[str] = []
        while True:
            end = pos
            while end < len(text) and text[end] not in '"\\\n':
                end += 1
            out.append(text[pos:end])
            if end >= len(text) or text[end] == "\n":
                self.pos = end
                raise self.fail("unterminated string")
            if text[end] == '"':
                self.pos = end + 1
                return JsonNode("json_string", "".join(out), start, self.pos)
            esc = text[end + 1 : end + 2]
            if esc == "u":
                digits = text[end + 2 : end + 6]
                if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
                    self.pos = end
                    raise self.fail("bad \\u escape")
                out.append(chr(int(digits, 16)))
                pos = end + 6
            elif esc in _ESCAPES:
                out.append(_ESCAPES[esc])
                pos = end + 2
            else:
                self.pos = end
                raise self.fail("bad escape")

    def number(self) -> JsonNode:
        text, start = self.text, self.pos
        end = start
        while end < len(text) and text[end] in "+-0123456789.eE":
            end += 1
        raw = text[start:end]
        try:
            value: Any = int(raw) if raw.lstrip("-").isdigit() else float(raw)
        except ValueError:
            raise self.fail(f"unexpected {text[start : start + 1]!r}") from None
        self.pos = end
        return JsonNode("json_number", value, start, end)
