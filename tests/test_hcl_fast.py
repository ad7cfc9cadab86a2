"""The fast HCL parser against the parser it stands in for: python-hcl2's Lark parse tree.

Whenever `hcl_fast.parse` returns a tree it must be Lark's tree exactly (rule names, children, token types
and texts, offsets, empty metas); it may give up (None) on anything, and must give up when Lark fails.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lark import Tree

from iac_exposure.parsers import hcl_fast

from .conftest import FIXTURES

DATA = Path(__file__).resolve().parent / "data" / "hcl_fast"
FILES = sorted(
    [p for p in FIXTURES.rglob("*") if p.suffix in (".tf", ".tfvars")] + sorted(DATA.glob("*.tf")),
    key=str,
)


def _canon(tree: Any) -> Any:
    """A Lark tree as the nested tuples hcl_fast builds with its default factories."""
    if isinstance(tree, Tree):
        children = [_canon(c) for c in tree.children]
        if tree.meta.empty:
            return (str(tree.data), children, 0, 0, True)
        return (str(tree.data), children, tree.meta.start_pos, tree.meta.end_pos, False)
    return (tree.type, str(tree), tree.start_pos, tree.end_pos)


def _lark(text: str) -> Any:
    try:
        return _canon(hcl2.parses_to_tree(text))
    except Exception:  # noqa: BLE001 - any failure of Lark's is "Lark rejects it"
        return None


def _first_difference(got: Any, want: Any, path: str = "") -> str | None:
    if len(got) == 5 and len(want) == 5 and isinstance(got[1], list) and isinstance(want[1], list):
        if got[0] != want[0] or got[2:] != want[2:] or len(got[1]) != len(want[1]):
            names = ([c[0] for c in got[1]], [c[0] for c in want[1]])
            return f"{path}/{got[0]}: {got[0]}{got[2:]}{names[0]} != {want[0]}{want[2:]}{names[1]}"
        for i, (a, b) in enumerate(zip(got[1], want[1], strict=True)):
            found = _first_difference(a, b, f"{path}/{got[0]}[{i}]")
            if found:
                return found
        return None
    return None if got == want else f"{path}: {got!r} != {want!r}"


def check(text: str, must_accept: bool = False) -> Any:
    """Fast tree == Lark tree, or a give-up (never when `must_accept`); a give-up whenever Lark fails."""
    got = hcl_fast.parse(text)
    want = _lark(text)
    if got is None:
        assert not (must_accept and want is not None), f"gave up on valid input {text!r}"
        return None
    assert want is not None, f"returned a tree for input Lark rejects: {text!r}"
    difference = _first_difference(got, want)
    assert difference is None, f"{text!r}: {difference}"
    return got


def test_terminal_patterns_are_larks() -> None:
    """The lexer's regular expressions are the ones Lark compiles from hcl2.lark."""
    from hcl2.parser import parser

    lark_patterns = {t.name: t.pattern.to_regexp() for t in parser().terminals}
    ours = {
        name: getattr(hcl_fast, name)
        for name in (
            "NL_OR_COMMENT",
            "NAME",
            "INT_LITERAL",
            "FLOAT_LITERAL",
            "EQ",
            "COLON",
            "ESCAPED_INTERPOLATION",
            "ESCAPED_DIRECTIVE",
            "STRING_CHARS",
            "TEMPLATE_STRING",
            "HEREDOC_TEMPLATE",
            "HEREDOC_TEMPLATE_TRIM",
        )
    }
    for name, pattern in ours.items():
        assert pattern == lark_patterns[name], name
    assert hcl_fast.IGNORE in lark_patterns.values()
    keywords = {name: lark_patterns[name] for name in hcl_fast.KEYWORDS.values()}
    assert keywords == {t: k for k, t in hcl_fast.KEYWORDS.items()}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parent.parent.parent)))
def test_files_parse_identically(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    check(text, must_accept=True)
    check(text.replace("\n", "\r\n"), must_accept=True)


# Each construct of the grammar; all valid unless listed in INVALID or GIVE_UP.
SNIPPETS = [
    # numbers: Lark's INT/FLOAT patterns take a leading minus only before two digits or a fraction/exponent
    "a = 1",
    "a = -1",
    "a = -12",
    "a = - 12",
    "a = 1.5",
    "a = -1.5e+3",
    "a = 1e5",
    "a = 0.5E-2",
    "a = -1-2.5",
    # operators, precedence, newline merging into operators (the postlexer)
    "a = b + c",
    "a = b + c\nd = 1",
    "a = b\n  + c",
    "a = b # c\n + d",
    "a = b /* c */ + d",
    "a = b // c\n * d",
    "a = b * c + d",
    "a = b + c * d",
    "a = b + c * d\n\n# tail\n",
    "a = b || c && d == e != f < g > h <= i >= j + k - l * m / n % o",
    "a = (b || c) && !d",
    "a = !b",
    "a = -b.c",
    "a = b - c",
    "a = b -c",
    "a = b-c",
    "a = f(b) -1",
    "a = b == c",
    "a = b\n== c",
    "a = b\n!= c",
    "a = b * c # c\n\n+ d",
    "a = b || c * d\n\n+ e",
    "a = b + c\n\n? d : e",
    "a = b < <<EOF\nx\nEOF\n",
    # conditionals
    "a = b ? c : d",
    "a = b ? c : d ? e : f",
    "a = b ? c ? d : e : f",
    "a = b\n ? c\n : d",
    "a = b ?\n c :\n d",
    "a = b ? c + d\n : e",
    # parentheses and calls, `...`, provider functions
    "a = (b)",
    "a = (\n b\n )",
    "a = (b + c)\n",
    "a = f()",
    "a = f(\n)",
    "a = f(b)",
    "a = f (b)",
    "a = f(b, c)",
    "a = f(b,)",
    "a = f(b,\n)",
    "a = f(b...)",
    "a = f(b, c...)",
    "a = f(\n b,\n c\n)",
    "a = f(b\n, c)",
    "a = f(g(h(1)))",
    "a = provider::aws::arn_parse(x)",
    "a = provider :: aws :: f()",
    # attribute access, indexes, splats
    "a = b.c",
    "a = b.c.d",
    "a = b[0]",
    "a = b.0",
    "a = b . c",
    "a = b.-12",
    "a = b.1.2",
    "a = b.true",
    "a = b.for_each",
    "a = b[\n0\n]",
    "a = b.*.c",
    "a = b.*",
    "a = b.* .c",
    "a = b.*[0]",
    "a = b[*]",
    "a = b[*].c[0].d",
    "a = b[*].*.c",
    "a = x[1][2].y",
    # tuples
    "a = [1, 2]",
    "a = []",
    "a = [\n]",
    "a = [1,]",
    "a = [\n1,\n2,\n]",
    "a = [1\n,2]",
    "a = [[1],[2]]",
    "a = [\n<<EOF\nx\nEOF\n]",
    # objects
    "a = {}",
    "a = {\n}",
    "a = {b = 1}",
    "a = {b: 1}",
    "a = {b = 1, c = 2}",
    "a = {\n b = 1\n c = 2\n}",
    "a = {b = 1 c = 2}",
    'a = {"b" = 1}',
    "a = {(b) = 1}",
    "a = {b.c = 1}",
    "a = {in = 1}",
    "a = {for = 1}",
    "a = {for_each = 1, if = 2}",
    "a = {\n for = 1 }",
    "a = {true = 1}",
    "a = {b = 1,\n}",
    "a = {b = 1\n,\n c = 2}",
    "a = {b + c = 1}",
    "a = {b = c !d = 1}",
    # for expressions
    "a = [for x in y : x]",
    "a = [for x in y : x if x]",
    "a = [\n for x in y :\n x\n if x\n]",
    "a = [for k, v in y : v]",
    "a = [for x in y : x + 1\n]",
    "a = [for\n x in y : x]",
    "a = {for k, v in y : k => v}",
    "a = {for k, v in y : k => v...}",
    "a = {for k, v in y : k => v... if v}",
    "a = {\n for k, v in y :\n k => v\n ...\n if v\n }",
    # strings and templates
    'a = "b"',
    'a = ""',
    'a = "b${c}d"',
    'a = "${b}"',
    'a = "$${b}"',
    'a = "%%{b}"',
    'a = "a$b%c"',
    'a = "\\"q\\""',
    'a = "%{ if b }c%{ else }d%{ endif }"',
    'a = "%{~ if b ~}c%{~ endif ~}"',
    'a = "%{ for x in y }${x}%{ endfor }"',
    'a = "%{ for k, v in y }${k}%{ endfor }"',
    'a = "${b + c}"',
    'a = "${b ? c : d}"',
    'a = "${ "x" }"',
    'a = "${"${b}"}"',
    'a = "multi\nline"',
    'a = "${f(\\"x\\")}"',
    'a = \\"x\\"',
    'a = "${b + c\n}"',
    # heredocs
    "a = <<EOF\nhello\nEOF\n",
    "a = <<-EOF\n  hello\n  EOF\nb = 1",
    "a = <<EOF\nEOF\n",
    "a = <<EOF\n${x}\nEOF",
    # blocks, bodies, comments
    "b {}",
    'b "c" {}',
    'b "c" "d" {\n e = 1\n}',
    "b c d {}",
    "b in {}",
    "b\n{}",
    'b "c"\n{\n}',
    "b {\n c {\n }\n}",
    "b { c = 1 }",
    "in = 1",
    "for_each = 1",
    "true = 1",
    "a = 1 b = 2",
    "# c\na = 1",
    "// c\na = 1",
    "/* c */ a = 1",
    "/* c\n d */\na = 1",
    "a = 1 # c",
    "a = 1\t# c\n",
    "a = 1\n\n\nb = 2\n",
    "",
    "\n",
    "#",
    "a = 1 ",
    "a = true",
    "a = null",
    "a = false",
    "a \r= 1",
    "a =\t1",
]

INVALID = [
    "a = f(b) -12",
    "a = f(b\n,)",
    "a = f(b\n...)",
    "a = b\n-c",
    "a = b\n\n+ c",
    "a = b || c\n-1",  # found by the property test: an add operator after an or-level binary_op
    "a = b + c\n\n* d",
    "a = b ? c : d + e\n\n* f",
    "a\n= 1",
    "a = \n1",
    'a = "${b\n}"',
    "a = [\n\n if]",
    "a = b\n! c",
    "a = {",
    'a = "b',
    "a = <<EOF\nb\n",
    "b {",
    "}",
    "a = 1 }",
    "a = b..c",
]

# Valid, but lexed by Lark in a way that depends on the LALR state: hcl_fast declines.
GIVE_UP = [
    "a = if",
    "a = for",
    "a = [\n if]",
    'a = "%{ iffy }"',
    "a = b %{c = 1}",
]


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("snippet", SNIPPETS)
def test_snippets(snippet: str, newline: str) -> None:
    check(snippet.replace("\n", newline), must_accept=True)


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
@pytest.mark.parametrize("snippet", INVALID)
def test_invalid_snippets(snippet: str, newline: str) -> None:
    text = snippet.replace("\n", newline)
    assert _lark(text) is None
    assert hcl_fast.parse(text) is None


@pytest.mark.parametrize("snippet", GIVE_UP)
def test_give_ups(snippet: str) -> None:
    assert _lark(snippet) is not None
    assert hcl_fast.parse(snippet) is None


def test_factories() -> None:
    """Trees come out through the caller's factories; an empty rule has `empty` set and offsets 0, 0."""
    nodes: list[tuple[str, int, int, bool]] = []
    tokens: list[tuple[str, str, int, int]] = []

    def node(data: str, children: list[Any], start: int, end: int, empty: bool) -> Any:
        nodes.append((data, start, end, empty))
        return data

    def token(text: str, type_: str, start: int, end: int) -> Any:
        tokens.append((text, type_, start, end))
        return text

    assert hcl_fast.parse("b {}", node=node, token=token) == "start"
    assert ("body", 0, 0, True) in nodes
    assert ("block", 0, 4, False) in nodes
    assert tokens == [("b", "NAME", 0, 1), ("{", "LBRACE", 2, 3), ("}", "RBRACE", 3, 4), ("\n", "NL_OR_COMMENT", 4, 5)]


def _lark_depth(tree: Any) -> int:
    """Rules on the longest root-to-leaf path, tokens not counted (as terraform_hcl._compact measures)."""
    return 1 + max((_lark_depth(c) for c in tree[1] if len(c) == 5), default=0)


@pytest.mark.parametrize(
    "text",
    [
        "a = 1",
        "b {}",
        "a = b" + ".c" * 150,  # attribute chains and operator chains are built without recursion
        "a = " + " + ".join(["b"] * 150),
        "a = " + "[" * 40 + "]" * 40,
        (FIXTURES / "terraform" / "internet_reachable" / "bad.tf").read_text(encoding="utf-8"),
    ],
    ids=["attribute", "empty-block", "attribute-chain", "operator-chain", "nested-tuples", "fixture"],
)
def test_max_depth(text: str) -> None:
    """`max_depth` refuses exactly the trees deeper than it, by the depth terraform_hcl checks."""
    want = _lark(text)
    depth = _lark_depth(want)
    assert hcl_fast.parse(text, max_depth=depth) == want
    assert hcl_fast.parse(text, max_depth=depth - 1) is None


# --- damaged files: truncated, a character deleted, a character or token inserted ------------------------

INSERTS = list('\n "{}[]()=:,.*-#/<$%~!?\\a1\r>&|+e') + ["${", "%{", "<<EOF\n", "//", "/*", "*/", "if", " in ", "..."]
MUTANTS = int(os.environ.get("HCL_FAST_MUTANTS", "3"))  # of each kind per file


def _mutants(text: str, seed: str) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(MUTANTS):
        out.append(text[: rng.randrange(len(text) + 1)])
        i = rng.randrange(max(len(text), 1))
        out.append(text[:i] + text[i + 1 :])
        i = rng.randrange(len(text) + 1)
        out.append(text[:i] + rng.choice(INSERTS) + text[i:])
    return out


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(p.parent.parent.parent)))
def test_damaged_files(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for mutant in _mutants(text, path.name):
        check(mutant)


# --- generated HCL -------------------------------------------------------------------------------------------

_SPACE = st.sampled_from([" "] * 8 + [""] * 4 + ["\t", "\n", "\n  ", " # c\n", "\r\n", " /* c */ ", "\n\n"])
_NAMES = st.sampled_from(
    ["a", "b", "var", "x-y", "_z", "count", "each"] * 2 + ["for_each", "in", "if", "true", "null", "for"]
)
_NUMBERS = st.sampled_from(["0", "1", "12", "-1", "-12", "1.5", "-0.5", "1e3", "2E-2", "-1.5e+3"])
_BINARY = st.sampled_from(["||", "&&", "==", "!=", "<", ">", "<=", ">=", "+", "-", "*", "/", "%"])
_CHARS = st.sampled_from(["x", " ", "$", "%", "\\n", '\\"', "$${x}", "%%{x}", "~", "{", "}", "\n"])


def _spaced(draw: Any, *parts: str) -> str:
    return "".join(part + draw(_SPACE) for part in parts)


@st.composite
def _string(draw: Any, depth: int) -> str:
    out = ['"']
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.integers(0, 5 if depth > 0 else 0))
        if kind == 0:
            out.append(draw(_CHARS))
        elif kind <= 2:
            out.append("${" + draw(_expression(depth - 1)) + "}")
        elif kind == 3:
            out.append("%{ if " + draw(_expression(depth - 1)) + " }a%{ else }b%{ endif }")
        elif kind == 4:
            out.append("%{~ for x in " + draw(_expression(depth - 1)) + " ~}${x}%{ endfor }")
        else:
            out.append(draw(st.sampled_from(["%{ if a }", "%{endif}", "%{ iffy }", "${", "%{"])))
    out.append('"')
    return "".join(out)


@st.composite
def _expression(draw: Any, depth: int = 3) -> str:
    kind = draw(st.integers(0, 14 if depth > 0 else 3))
    sub = _expression(depth - 1)
    if kind == 0:
        return draw(_NAMES)
    if kind == 1:
        return draw(_NUMBERS)
    if kind == 2:
        return draw(_string(depth))
    if kind == 3:
        return draw(st.sampled_from(["<<EOF\nx ${a}\nEOF\n", "<<-T\n  y\n  T\n", "<<EOF\nEOF"]))
    if kind == 4:
        return _spaced(draw, draw(sub), draw(_BINARY), draw(sub))
    if kind == 5:
        return draw(st.sampled_from(["-", "!"])) + draw(sub)
    if kind == 6:
        return _spaced(draw, draw(sub), "?", draw(sub), ":", draw(sub))
    if kind == 7:
        args = [draw(sub) for _ in range(draw(st.integers(0, 3)))]
        tail = draw(st.sampled_from(["", "", ",", "...", "\n"])) if args else ""
        name = draw(st.sampled_from(["f", "lookup", "provider::aws::g"]))
        return _spaced(draw, name + "(", ",".join(args) + tail, ")")
    if kind == 8:
        items = [draw(sub) for _ in range(draw(st.integers(0, 3)))]
        return _spaced(draw, "[", draw(st.sampled_from([",", ",\n", " ,"])).join(items), "]")
    if kind == 9:
        elems = [
            _spaced(draw, draw(st.one_of(_NAMES, sub)), draw(st.sampled_from(["=", ":", " = "])), draw(sub))
            for _ in range(draw(st.integers(0, 3)))
        ]
        return _spaced(draw, "{", draw(st.sampled_from([",", "\n", ", ", " "])).join(elems), "}")
    if kind == 10:
        cond = draw(st.sampled_from(["", " if " + draw(sub)]))
        return _spaced(draw, "[", "for x in", draw(sub), ":", draw(sub) + cond, "]")
    if kind == 11:
        group = draw(st.sampled_from(["", "..."]))
        return _spaced(draw, "{", "for k, v in", draw(sub), ":", draw(sub), "=>", draw(sub) + group, "}")
    if kind == 12:
        suffix = draw(st.sampled_from([".b", "[0]", ".0", ".*", "[*]", ".*.c", "[*][1]", ". b", "...", ".true"]))
        return draw(sub) + suffix
    if kind == 13:
        return _spaced(draw, "(", draw(sub), ")")
    return draw(sub) + draw(_SPACE) + draw(sub)  # usually invalid


@st.composite
def _body(draw: Any, depth: int = 2) -> str:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        if depth > 0 and draw(st.integers(0, 2)) == 0:
            labels = " ".join(draw(st.lists(st.sampled_from(['"x"', "y", "in", '"${a}"']), max_size=2)))
            items.append(f"{draw(_NAMES)} {labels} {{{draw(_SPACE)}{draw(_body(depth - 1))}}}")
        else:
            items.append(draw(_NAMES) + draw(st.sampled_from([" = ", "=", " =", " :"])) + draw(_expression()))
    return draw(st.sampled_from(["\n", "\n\n", " ", "\r\n", "\n# c\n"])).join(items) + draw(_SPACE)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_body())
def test_generated_hcl(text: str) -> None:
    check(text)


def test_pattern_constants_compile() -> None:
    for name in ("NL_OR_COMMENT", "STRING_CHARS", "HEREDOC_TEMPLATE", "FLOAT_LITERAL"):
        re.compile(getattr(hcl_fast, name))


def _ours(node: Any) -> Any:
    """Our Node/Tok tree as comparable tuples (types included: an EmptyNode is not a Node)."""
    if hasattr(node, "children"):
        return (type(node).__name__, node.data, [_ours(c) for c in node.children], node.start_pos, node.end_pos)
    return (type(node).__name__, node.type, str(node), node.start_pos, node.end_pos)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_the_wired_fast_path_builds_what_the_lark_path_builds(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`terraform_hcl._tree` as scans use it (fast path, None placeholders dropped, EmptyNodes) against the
    same function with the fast path switched off."""
    from iac_exposure.parsers import terraform_hcl

    text = path.read_text(encoding="utf-8")
    assert hcl_fast.parse(text) is not None, "the fast path must take every fixture"
    fast = _ours(terraform_hcl._tree(text))
    monkeypatch.setattr(hcl_fast, "parse", lambda *a, **k: None)
    assert fast == _ours(terraform_hcl._tree(text))
