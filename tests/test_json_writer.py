"""The JSON parser with spans, and the JSON writer: (input, value path, new value) → expected text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iac_exposure.model.values import Origin, Sourced, default
from iac_exposure.parsers import ParseError
from iac_exposure.parsers.json_spans import MAX_DEPTH, JsonNode, parse_json
from iac_exposure.patches.edits import apply_edits
from iac_exposure.patches.json_writer import edits
from iac_exposure.patches.remedies import SetValue
from iac_exposure.patches.render import PatchContext
from iac_exposure.source import SourceFile, Span


def _file(text: str) -> SourceFile:
    return SourceFile(Path("t.json"), text, "json")


def test_every_value_has_its_span() -> None:
    text = '{"a": [1, -2.5e3, "x\\n\\u00e9"], "b": {"c": true, "d": null}, "a2": {}}'
    root = parse_json(_file(text))
    assert root.plain() == json.loads(text)
    a = root.get("a")
    assert a is not None and text[a.start : a.end] == '[1, -2.5e3, "x\\n\\u00e9"]'
    assert [text[n.start : n.end] for n in a.value] == ["1", "-2.5e3", '"x\\n\\u00e9"']
    c = root.value["b"].get("c")
    assert c is not None and text[c.start : c.end] == "true"


@pytest.mark.parametrize(
    ("text", "line"),
    [('{\n  "a": 1,\n}', 3), ('{"a" 1}', 1), ("[1, 2", 1), ('{"a": tru}', 1), ("{} {}", 1), ('"\x01"', 1)],
)
def test_invalid_json_is_a_parse_error_with_its_line(text: str, line: int) -> None:
    with pytest.raises(ParseError) as err:
        parse_json(_file(text))
    assert err.value.line == line


def test_deep_nesting_is_a_parse_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match="nested deeper"):
        parse_json(_file("[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)))


def _at(root: JsonNode, *path: str) -> JsonNode:
    node = root
    for key in path:
        found = node.get(key)
        assert found is not None
        node = found
    return node


def _set(text: str, path: tuple[str, ...], value: object) -> str:
    """Set `path` to `value`: replace it when present, else insert the missing keys under the deepest object."""
    file = _file(text)
    root = parse_json(file)
    node, i = root, 0
    while i < len(path) and node.get(path[i]) is not None:
        node = _at(node, path[i])
        i += 1
    span = Span(file, node.start, node.end)
    target = Sourced(node.value, Origin.EXPLICIT, path[-1], span) if i == len(path) else default(
        path[-1], span, *path[i:]
    )  # fmt: skip
    new, skipped = apply_edits(text, edits(SetValue(target, value), PatchContext([], {})))
    assert not skipped
    json.loads(new)
    return new


CASES = [
    # replace a value in place
    ('{"MetadataOptions": {"HttpTokens": "optional"}}', ("MetadataOptions", "HttpTokens"), "required",
     '{"MetadataOptions": {"HttpTokens": "required"}}'),
    ('{"A": true}', ("A",), False, '{"A": false}'),
    ('{"A": "true"}', ("A",), False, '{"A": "false"}'),  # a boolean written as a string stays a string
    # insert into an object written on one line
    ('{"ImageId": "ami-1"}', ("MetadataOptions", "HttpTokens"), "required",
     '{"ImageId": "ami-1", "MetadataOptions": {"HttpTokens": "required"}}'),
    ('{"ImageId":"ami-1"}', ("HttpTokens",), "required", '{"ImageId":"ami-1","HttpTokens":"required"}'),
    # insert into multi-line objects: indentation, tabs, key order kept
    ('{\n    "ImageId": "ami-1",\n    "InstanceType": "t3.micro"\n}\n', ("MetadataOptions", "HttpTokens"), "required",
     ('{\n    "ImageId": "ami-1",\n    "InstanceType": "t3.micro",\n    "MetadataOptions": {\n'
      '        "HttpTokens": "required"\n    }\n}\n')),
    ('{\n\t"M": {\n\t\t"HttpEndpoint": "enabled"\n\t}\n}\n', ("M", "HttpTokens"), "required",
     '{\n\t"M": {\n\t\t"HttpEndpoint": "enabled",\n\t\t"HttpTokens": "required"\n\t}\n}\n'),
    # an empty object is opened in the file's style
    ('{\n  "ImageId": "ami-1",\n  "MetadataOptions": {}\n}\n', ("MetadataOptions", "HttpTokens"), "required",
     '{\n  "ImageId": "ami-1",\n  "MetadataOptions": {\n    "HttpTokens": "required"\n  }\n}\n'),
    ('{"M": {}}', ("M", "HttpTokens"), "required", '{"M": {"HttpTokens": "required"}}'),
]  # fmt: skip


@pytest.mark.parametrize(("text", "path", "value", "expected"), CASES)
def test_set_value(text: str, path: tuple[str, ...], value: object, expected: str) -> None:
    assert _set(text, path, value) == expected


def test_members_not_asked_for_are_skipped_but_still_checked() -> None:
    text = '{"big": {"a": [1, 2, {"b": null}]}, "keep": [true], "other": "x"}'
    root = parse_json(_file(text), frozenset({"keep"}))
    assert (root.start, root.end) == (0, len(text))
    assert list(root.value) == ["keep"] and root.value["keep"].plain() == [True]
    with pytest.raises(ParseError):
        parse_json(_file('{"big": {"a": [1, 2,]}, "keep": 1}'), frozenset({"keep"}))
