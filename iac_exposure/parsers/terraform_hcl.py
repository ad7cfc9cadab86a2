"""Terraform HCL: python-hcl2's Lark parse tree, walked into blocks and attributes with spans.

We use `hcl2.parses_to_tree` (the raw Lark tree, positions on every node) rather than `hcl2.parses`
(the same tree transformed into LarkElement objects): the transform costs about as much again as the
parse and adds nothing we read. The Lark tree is copied into compact nodes of our own (the same `data`,
`children`, `meta.start_pos/end_pos/empty` and token `type`/`start_pos`/`end_pos` the evaluator reads, one
object per node where Lark has two), so a parsed file can be cached and loaded back without importing Lark
or python-hcl2 at all (`parse_cache` stores and rebuilds these classes: change them together).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..limits import gc_paused
from ..source import SourceFile, Span
from . import ParseError


@dataclass(slots=True)
class HclAttribute:
    name: str
    expr: Any  # the expression node: a Lark tree, or a JsonNode in `*.tf.json`
    span: Span  # `name = expr`
    file: SourceFile


@dataclass(slots=True)
class HclBlock:
    type: str
    labels: tuple[str, ...]
    attributes: dict[str, HclAttribute]
    blocks: list[HclBlock]
    span: Span
    file: SourceFile

    def nested(self, type_: str) -> list[HclBlock]:
        return [b for b in self.blocks if b.type == type_]


class Node:
    """A rule of the parse tree. Its character offsets are its own (`meta` is the node itself, so
    `node.meta.start_pos` reads as on a Lark tree without a second object per node)."""

    __slots__ = ("children", "data", "end_pos", "start_pos")
    empty = False  # Lark's `meta.empty`: see EmptyNode

    def __init__(self, data: str, children: list[Any], start_pos: int, end_pos: int) -> None:
        self.data = data
        self.children = children
        self.start_pos = start_pos
        self.end_pos = end_pos

    @property
    def meta(self) -> Node:
        return self


class EmptyNode(Node):
    """A rule that matched no characters (Lark's `meta.empty`): offsets 0, 0."""

    __slots__ = ()
    empty = True


class Tok(str):
    """A token: its text, its terminal's name and its offsets. `Tok(text)` alone is a str's constructor (C
    speed, for the parse cache), so the other three are set after it: see `token`."""

    __slots__ = ("end_pos", "start_pos", "type")
    type: str
    start_pos: int
    end_pos: int


def token(value: str, type_: str, start_pos: int, end_pos: int) -> Tok:
    """A whole Tok (the hot loops in `_compact` and `parse_cache` inline this)."""
    tok = Tok(value)
    tok.type = type_
    tok.start_pos = start_pos
    tok.end_pos = end_pos
    return tok


def _compact(tree: Any) -> tuple[Node, int]:
    """Copy a Lark tree into Nodes and Toks, without recursion; also its depth."""
    root = _node(tree)
    stack = [(tree, root, 1)]
    deepest = 1
    while stack:
        source, target, level = stack.pop()
        deepest = max(deepest, level)
        append = target.children.append
        for child in source.children:
            if child is None:
                continue
            if hasattr(child, "children"):
                node = _node(child)
                append(node)
                stack.append((child, node, level + 1))
            else:
                tok = Tok(child)
                tok.type = child.type
                tok.start_pos = child.start_pos or 0
                tok.end_pos = child.end_pos or 0
                append(tok)
    return root, deepest


def _node(tree: Any) -> Node:
    meta = tree.meta
    if meta.empty:
        return EmptyNode(str(tree.data), [], 0, 0)
    return Node(str(tree.data), [], meta.start_pos, meta.end_pos)


def node_span(file: SourceFile, node: Any) -> Span:
    """The span of a Lark node or token, without the trailing newline some rules swallow."""
    if hasattr(node, "meta"):
        start, end = node.meta.start_pos, node.meta.end_pos
    else:
        start, end = node.start_pos, node.end_pos
    text = file.text
    end = min(end, len(text))
    while end > start and text[end - 1] in " \t\r\n":
        end -= 1
    return Span(file, start, end)


@functools.cache
def grammar_cache() -> None:
    """python-hcl2 caches its compiled grammar next to its sources; where site-packages is read-only every
    run would pay ~2 s to rebuild it, so point the cache at our cache directory instead."""
    import hcl2.parser

    target = Path(hcl2.parser.PARSER_FILE)
    if target.exists() or os.access(target.parent, os.W_OK):
        return
    from hcl2.version import version

    from .. import cache

    directory = cache.cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # no writable cache anywhere: lark rebuilds the grammar in memory
    hcl2.parser.PARSER_FILE = directory / f"hcl2-{version}.lark_cache.bin"


def parse(file: SourceFile) -> list[HclBlock]:
    """Parse one `.tf` file into its top-level blocks. Raises ParseError."""
    return parse_body(file)[1]


def parse_body(file: SourceFile) -> tuple[dict[str, HclAttribute], list[HclBlock]]:
    """Parse one file into its top-level attributes (a `.tfvars` file) and blocks. Raises ParseError."""
    return _body(file, _tree(file.text))


def parse_expression(file: SourceFile, start: int, text: str) -> Node:
    """Parse `text`, an expression found at offset `start` of `file` (inside a template or a JSON string),
    into a node whose positions are offsets in `file`. Raises ParseError."""
    body = _tree(f"x={text}\n")
    parts = [c for c in body.children if getattr(c, "data", None) != "new_line_or_comment"]
    if len(parts) != 1 or parts[0].data != "attribute":
        raise ParseError("not a single expression")
    expr: Node = parts[0].children[-1]
    _shift(expr, start - 2)
    return expr


def _fast_node(data: str, children: list[Any], start: int, end: int, empty: bool) -> Node:
    if None in children:  # Lark's placeholders for absent optional items, which `_compact` drops too
        children = [c for c in children if c is not None]
    return EmptyNode(data, children, 0, 0) if empty else Node(data, children, start, end)


def _tree(text: str) -> Node:
    """The parse tree's body. `hcl_fast` (hand-written, ~6x faster, no Lark import or grammar load) gives
    the very tree python-hcl2 gives, or gives up; then, and for every error message, python-hcl2 parses."""
    from . import hcl_fast

    with gc_paused():
        fast = hcl_fast.parse(text, _fast_node, token, MAX_TREE_DEPTH)
    if fast is not None:
        first: Node = fast.children[0]
        return first
    import hcl2
    from lark.exceptions import LarkError, UnexpectedInput

    grammar_cache()

    try:
        with gc_paused():
            tree, depth = _compact(hcl2.parses_to_tree(text))
    except UnexpectedInput as exc:
        raise ParseError(_first_line(str(exc)), getattr(exc, "line", None)) from None
    except (LarkError, RecursionError, ValueError) as exc:
        raise ParseError(f"{type(exc).__name__}: {_first_line(str(exc))}") from None
    if depth > MAX_TREE_DEPTH:
        raise ParseError(f"nested deeper than any configuration needs ({depth} levels): not analysed")
    body: Node = tree.children[0]
    return body


def _shift(node: Any, delta: int) -> None:
    """Move a snippet's positions to where the snippet sits in its file."""
    stack = [node]
    while stack:
        item = stack.pop()
        if hasattr(item, "meta"):
            meta = item.meta
            if not meta.empty:
                meta.start_pos += delta
                meta.end_pos += delta
            stack.extend(item.children)
        elif hasattr(item, "start_pos") and item.start_pos is not None:
            item.start_pos += delta
            item.end_pos += delta


MAX_TREE_DEPTH = 600  # parse-tree levels; a real configuration stays well under 100


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "syntax error"


def _body(file: SourceFile, body: Node) -> tuple[dict[str, HclAttribute], list[HclBlock]]:
    attributes: dict[str, HclAttribute] = {}
    blocks: list[HclBlock] = []
    for child in body.children:
        kind = getattr(child, "data", None)
        if kind == "attribute":
            name = _name(child.children[0])
            attributes[name] = HclAttribute(name, child.children[-1], node_span(file, child), file)
        elif kind == "block":
            blocks.append(_block(file, child))
    return attributes, blocks


def _block(file: SourceFile, node: Node) -> HclBlock:
    labels: list[str] = []
    inner: Node | None = None
    for child in node.children:
        kind = getattr(child, "data", None)
        if kind == "body":
            inner = child
        elif kind in ("identifier", "keyword", "literal_value"):
            labels.append(_name(child))
        elif kind == "string":
            labels.append(
                "".join(str(p.children[0]) for p in child.children if getattr(p, "data", None) == "string_part")
            )
    attributes, blocks = _body(file, inner) if inner is not None else ({}, [])
    return HclBlock(labels[0], tuple(labels[1:]), attributes, blocks, node_span(file, node), file)


def _name(node: Any) -> str:
    while hasattr(node, "children"):
        node = node.children[0]
    return str(node)
