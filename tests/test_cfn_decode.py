"""The fast CloudFormation decoder (`parsers/cfn_decode.py`) against cfn-lint's, differentially: for every
template, the node tree `parse()` makes from either decoder is the same (values and their types, spans,
entries, exact flags), and what the fast decoder is not sure about, or cannot decode, goes to cfn-lint's
decoder (same ParseError, same message and line)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iac_exposure.parsers import ParseError, cfn_decode
from iac_exposure.parsers import cloudformation as cfn
from iac_exposure.source import SourceFile

from .conftest import FIXTURES, ROOT

DATA = ROOT / "tests" / "data" / "cfn"
SUFFIXES = (".yaml", ".yml", ".json", ".template")
# (the big Terraform plans, never decoded as templates, would only cost seconds)
FILES = sorted(
    [p for p in FIXTURES.rglob("*") if p.suffix in SUFFIXES and p.is_file() and p.stat().st_size < 100_000]
    + list(DATA.glob("*")),
)


def _shape(node: cfn.Node) -> Any:
    """Everything about a node, its value's type included (`1 == True`, `1 == 1.0`)."""
    value = node.value
    if isinstance(value, dict):
        inner: Any = [(key, _shape(child)) for key, child in value.items()]
    elif isinstance(value, tuple):
        inner = [_shape(c) if isinstance(c, cfn.Node) else (type(c).__name__, c) for c in value]
    else:
        inner = (type(value).__name__, value)
    return (inner, node.span.start, node.span.end, node.entry.start, node.entry.end, node.exact)


def _outcome(text: str, decoder: str) -> Any:
    """The tree `parse()` makes of `text` with one decoder, or its ParseError."""
    file = SourceFile(Path("template.yaml"), text, "")
    try:
        if decoder == "fast":
            template = cfn_decode.decode(text)
        else:
            template = cfn._cfn_lint_decode(text)
        if not isinstance(template, dict):
            raise ParseError("the template is not a mapping")
        return _shape(cfn._Converter(file).root(template))
    except ParseError as exc:
        return ("ParseError", exc.message, exc.line)


def _parsed(text: str) -> Any:
    """What `parse()` itself gives (the fast decoder, or cfn-lint's when it falls back)."""
    try:
        return _shape(cfn.parse(SourceFile(Path("template.yaml"), text, "")))
    except ParseError as exc:
        return ("ParseError", exc.message, exc.line)


def assert_same(text: str) -> None:
    """The fast decoder decodes `text` itself, to the very tree cfn-lint's gives."""
    assert cfn._fast_decode(text) is not None, "fell back to cfn-lint"
    assert _outcome(text, "fast") == _outcome(text, "cfn-lint")


def assert_falls_back(text: str) -> None:
    """The fast decoder leaves `text` to cfn-lint's, and parse() gives what cfn-lint's decoder gives."""
    assert cfn._fast_decode(text) is None
    assert _parsed(text) == _outcome(text, "cfn-lint")


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_fixture_and_sample_template_decodes_the_same(path: Path) -> None:
    text = path.read_text()
    expected = _outcome(text, "cfn-lint")
    assert _parsed(text) == expected
    if cfn._fast_decode(text) is not None:
        assert _outcome(text, "fast") == expected


def test_the_sample_templates_are_decoded_without_cfn_lint() -> None:
    for path in DATA.glob("*"):
        assert cfn._fast_decode(path.read_text()) is not None, path


# -- short forms -------------------------------------------------------------------------------------------

SHORT_FORMS = {
    "Ref": "!Ref Name",
    "Ref-empty": "!Ref",
    "Ref-quoted": "!Ref 'Name'",
    "Ref-number": "!Ref 123",
    "Condition": "!Condition IsProd",
    "Sub": "!Sub '${AWS::StackName}-x'",
    "Sub-list": "!Sub ['${A}-${B}', {A: !Ref X, B: b}]",
    "Sub-block": "!Sub\n      - '${A}'\n      - A: !GetAtt R.Arn\n",
    "GetAtt-dotted": "!GetAtt Resource.Attribute",
    "GetAtt-nested-dots": "!GetAtt Resource.Outputs.Name",
    "GetAtt-no-dot": "!GetAtt Resource",
    "GetAtt-list": "!GetAtt [Resource, Attribute]",
    "GetAtt-block": "!GetAtt\n      - Resource\n      - Attribute\n",
    "GetAtt-ref": "!GetAtt [Resource, !Ref Attr]",
    "If": "!If [IsProd, !Ref A, !Ref 'AWS::NoValue']",
    "Join": "!Join ['-', [!Ref Env, web, 1]]",
    "Join-block": "!Join\n      - ''\n      - - a\n        - !Ref B\n",
    "Select": "!Select [0, !GetAZs '']",
    "Split": "!Split [',', !ImportValue Shared]",
    "FindInMap": "!FindInMap [Map, !Ref 'AWS::Region', Ami]",
    "Base64": "!Base64 |\n      #!/bin/bash\n      echo hi\n",
    "Base64-sub": "!Base64\n      Fn::Sub: echo ${X}\n",
    "Cidr": "!Cidr [!GetAtt Vpc.CidrBlock, 6, 5]",
    "ImportValue": "!ImportValue {'Fn::Sub': '${Net}-vpc'}",
    "GetAZs": "!GetAZs",
    "Equals": "!Equals [!Ref Env, prod]",
    "And": "!And [!Condition A, !Not [!Equals [a, b]]]",
    "Or": "!Or\n      - !Condition A\n      - !Condition B\n",
    "Not": "!Not [!Condition A]",
    "Transform": "!Transform {Name: 'AWS::Include', Parameters: {Location: s3://b/k}}",
    "ToJsonString": "!ToJsonString {a: [1, 2], b: !Ref X}",
    "Length": "!Length [1, 2, 3]",
    "unknown": "!Whatever {a: 1}",
    "mapping-argument-duplicate-key": "!Transform {a: 1, a: 2}",
    "nested-in-flow": "{a: !Ref X, b: [!Sub y, !GetAtt R.A]}",
}


@pytest.mark.parametrize("value", SHORT_FORMS.values(), ids=SHORT_FORMS.keys())
def test_every_short_form_decodes_the_same(value: str) -> None:
    assert_same(f"Resources:\n  R:\n    Type: AWS::EC2::Instance\n    Value: {value}\n    After: 1\n")
    if "\n" not in value:  # and in flow collections (`[!Ref]` is not YAML: the tag takes the bracket)
        text = f"Resources: {{R: {{Value: [{value}], Other: {{K: {value}}}}}}}\n"
        assert _parsed(text) == _outcome(text, "cfn-lint")


# -- YAML as written ------------------------------------------------------------------------------------

SNIPPETS = {
    "block": "A:\n  B:\n    - 1\n    - x: y\n      z: [1, 2]\n  C: {d: e}\n",
    "flow": "{A: {B: [1, {x: y, z: [1, 2]}], C: {d: e}}}\n",
    "anchors-aliases": "Base: &base {Type: AWS::EC2::Instance, P: &p [1, 2]}\nCopy: *base\nList: [*p, *p]\n",
    "anchored-scalar": "A: &name hello\nB: *name\nC: [*name]\n",
    "anchored-short-form": "A: &r !Ref X\nB: *r\n",
    "ampersand-in-text": "Url: 'https://x/?a=1&b=2'\n",
    "literal": "A: |\n  line 1\n  line 2\nB: |-\n  kept\nC: |+\n  keep\n\nD: 1\n",
    "folded": "A: >\n  folded\n  text\n\n  para\nB: >-\n  x\n",
    "multi-line-quoted": "A: \"first\n  second\\tthird\"\nB: 'it''s\n\n  here'\nC: plain\n  continued\n",
    "comments": "# head\nA: 1 # one\n# between\nB:  # empty\n  - x # y\n  # inside\n  - z\n",
    "crlf": "A: 1\r\nB:\r\n  - x\r\n  - !Ref Y\r\nC: {d: e}\r\n",
    "bom": "\ufeffA: 1\nB: !Ref X\n",
    "booleans": "A: [yes, no, on, off, Yes, NO, On, OFF, true, False, y, n, 'yes']\n",
    "numbers": "A: [0777, 0o17, 1e3, 1.0e3, 1.5e+3, .5, -.5, 0x1F, 0b101, 1_000, 1:20, 1:20.5, +12, -0, 08, 09.5]\n",
    "specials": "A: [.inf, -.Inf, .NaN, ~, null, Null, '', \"\"]\n",
    "timestamps": "A: 2024-01-02\nB: 2024-01-02T03:04:05Z\nC: 2024-01-02 03:04:05.5 +01:00\nD: '2024-01-02'\n",
    "empty-values": "A:\nB: ~\nC: []\nD: {}\nE: ''\nF:\n  -\n  - x\n",
    "explicit-tags": "A: !!str 123\nB: !!int '7'\nC: !!float '1'\nD: !!bool 'yes'\nE: !!null ''\n",
    "keys": "1: a\n2.5: b\nfalse: c\n2024-01-02: d\n'quoted key': e\n\"dq\": f\n? complex\n: g\n",
    "unicode": 'Description: "caf\u00e9 \u2013 \u65e5\u672c"\nB: !Ref X\nC: \U0001f600\n',
    "escapes": 'A: "tab\\tnew\\nline\\u00e9\\x41\\/"\n',
    "document-markers": "---\nA: 1\n...\n",
    "directive": "%YAML 1.1\n---\nA: !Ref X\n",
    "empty": "",
    "only-comments": "# nothing\n",
    "null-document": "null\n",
    "json": '{\n  "A": {"B": [1, 2.5, true, null, "x"]},\n  "C": {"Fn::GetAtt": ["R", "A"]}\n}\n',
    "json-minified": '{"A":{"B":[1,2.5,true,null,"x"]},"C":{"Ref":"X"}}',
    "json-tabs": '{\n\t"A": {\n\t\t"B": [1, 2]\n\t}\n}\n',
    "json-numbers": '{"A": [1e3, -0.5, 10, 1E-2, 0]}\n',
    "deep": "A: " + "[" * 60 + "1" + "]" * 60 + "\n",
    "indentless-sequence": "A:\n- x\n- y: 1\n  z: 2\n",
    "explicit-flow-commas": "A: [1, 2, ]\nB: {a: 1, }\n",
    "non-specific-tag": "A: ! 12\nB: ! yes\n",
    "verbatim-tags": "A: !<tag:yaml.org,2002:str> 5\nB: !<!Ref> X\n",
    "escaped-tag": "A: !Re%66 X\n",
}


@pytest.mark.parametrize("text", SNIPPETS.values(), ids=SNIPPETS.keys())
def test_yaml_as_written_decodes_the_same(text: str) -> None:
    assert_same(text)


def test_aliases_are_the_anchored_value_itself() -> None:
    template = cfn_decode.decode("A: &a {x: 1}\nB: *a\n")
    assert template["A"] is template["B"]


# -- what the fast decoder leaves to cfn-lint's -------------------------------------------------------------

FALLBACKS = {
    "duplicate-key": "A: 1\nB: 2\nA: 3\n",
    "duplicate-nested-key": "A:\n  x: 1\n  x: 2\n",
    "duplicate-key-by-value": "1: a\ntrue: b\n",
    "null-key": "~: 1\nA: 2\n",
    "empty-key": ": 1\n",
    "merge-key": "Base: &b {x: 1}\nA:\n  <<: *b\n  y: 2\n",
    "merge-key-in-short-form": "B: &b {x: 1}\nA: !Transform {<<: *b}\n",
    "set": "A: !!set {a, b}\n",
    "omap": "A: !!omap [a: 1]\n",
    "binary": "A: !!binary aGk=\n",
    "value-tag": "A: =\n",
    "merge-as-value": "A: <<\n",
    "unhashable-key": "? [a, b]\n: c\n",
    "short-form-key": "!Ref X: 1\n",
    "getatt-mapping": "A: !GetAtt {a: b}\n",
    "recursive-alias": "A: &a [*a]\n",
    "bad-date": "A: 2024-13-45\n",
    "bad-explicit-int": "A: !!int x\n",
    "python-tag": "A: !!python/name:os.system ''\n",
    "two-documents": "A: 1\n---\nB: 2\n",
    "json-unknown-yaml-escape": '{"A": "\\q"}\n',
    "unclosed": "A: [1, 2\n",
    "bad-indent": "A:\n  b: 1\n c: 2\n",
    "tab-indent": "A:\n\tb: 1\n",
    "undefined-alias": "A: *nope\n",
    "json-trailing-garbage": '{"A": 1} x\n',
    "json-tab-escape-error": '{\n\t"A": "\\q"\n}\n',
    "tag-directive": "%TAG ! tag:yaml.org,2002:\n---\nA: !str 5\nB: !Ref x\n",
    "double-bang-short-form": "A: !!Ref X\n",
    "surrogate-escape": 'A: "\\ud83d\\ude00"\n',
}


@pytest.mark.parametrize("text", FALLBACKS.values(), ids=FALLBACKS.keys())
def test_what_it_is_not_sure_of_goes_to_cfn_lint(text: str) -> None:
    assert_falls_back(text)


def test_invalid_templates_keep_cfn_lint_messages_and_lines() -> None:
    text = "AWSTemplateFormatVersion: '2010-09-09'\nResources:\n  A:\n    Type: x\n  A:\n    Type: y\n"
    with pytest.raises(ParseError) as raised:
        cfn.parse(SourceFile(Path("t.yaml"), text, ""))
    assert (raised.value.message, raised.value.line) == ("Duplicate found 'A' (line 3)", 3)
    with pytest.raises(ParseError) as raised:
        cfn.parse(SourceFile(Path("t.yaml"), "Resources:\n  A: [1, 2\n", ""))
    assert raised.value.line == 3


def test_alias_expansion_is_bounded_as_cfn_lint_bounds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from cfnlint.decode import cfn_yaml  # type: ignore[import-untyped]

    monkeypatch.setattr(cfn_yaml, "_MAX_EXPANDED_NODES", 40)
    monkeypatch.setattr(cfn_decode, "MAX_EXPANDED_NODES", 40)
    laughs = "a: &a [x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a]\nc: [*b, *b]\n"
    assert_falls_back(laughs)
    assert _parsed(laughs)[0] == "ParseError"
    # without any alias, cfn-lint bounds every text with an `&`, and only those
    big = "A: [" + ", ".join(["x"] * 50) + "]\n"
    assert_falls_back(big + "B: 'a&b'\n")
    assert_same(big)
    assert_same("a: &a [x]\nb: *a\n")


def test_a_time_budget_is_not_swallowed_by_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    from iac_exposure.limits import BudgetExceeded

    def expire(text: str) -> Any:
        raise BudgetExceeded("took longer than 1 s")

    monkeypatch.setattr(cfn_decode, "decode", expire)
    with pytest.raises(BudgetExceeded):
        cfn.parse(SourceFile(Path("t.yaml"), "A: 1\n", ""))


def test_a_cached_template_is_the_tree_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iac_exposure.config import Config
    from iac_exposure.readers import cloudformation as reader

    config = Config(cache_dir=tmp_path)
    paths = sorted(DATA.glob("*"))
    parsed = [reader._parse(SourceFile(path, path.read_text(), ""), config) for path in paths]

    def not_parsed(file: SourceFile) -> cfn.Node:
        raise AssertionError(f"{file.path} parsed again")

    monkeypatch.setattr(cfn, "parse", not_parsed)
    for path, tree in zip(paths, parsed):
        cached = reader._parse(SourceFile(path, path.read_text(), ""), config)
        assert _shape(cached) == _shape(tree)
        assert all(node.span.file is cached.span.file for node in _nodes(cached))


def _nodes(node: cfn.Node) -> list[cfn.Node]:
    children = (
        node.value.values() if isinstance(node.value, dict) else node.value if isinstance(node.value, tuple) else ()
    )
    return [node, *(n for child in children for n in _nodes(child))]
