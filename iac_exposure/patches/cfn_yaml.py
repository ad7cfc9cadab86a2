"""The CloudFormation YAML writer: remedies → edits in the template's own style.

Block mappings get new keys as lines at the indentation of their keys (nested mappings one indentation step
further, the step the file uses), flow mappings get `, Key: value`; a list element goes with its line (a
block sequence) or its comma (a flow sequence), an emptied list becomes `[]`; new parameters are referenced
with `!Ref`, or `{Ref: …}` in a template that writes no short-form intrinsics. Comments, key order and every
other line stay as they are.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..parsers.cloudformation import Node
from ._cfn import Located, Members, Tree, check
from ._cfn import edits as cfn_edits
from .edits import Edit
from .remedies import Action
from .render import PatchContext, Unpatchable

_SHORT_FORM = re.compile(
    r"(?:^|[\s\[,:])!(?:Ref|Sub|GetAtt|If|Join|Select|Split|FindInMap|Base64|ImportValue|GetAZs|Cidr|Equals|Not"
    r"|And|Or|Condition)\b",
    re.MULTILINE,
)
_RESERVED = {"true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ""}
_NUMBER = re.compile(r"[-+]?(\d[\d_]*)?\.?\d*([eE][-+]?\d+)?|0[xo][0-9a-fA-F_]+|[-+]?\.(inf|nan)", re.IGNORECASE)


__all__ = ["check", "edits"]


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    return cfn_edits(action, ctx, YamlStyle())


def _plain_safe(value: str) -> bool:
    """Whether a string can be written unquoted, in block and flow context alike."""
    return (
        value == value.strip()
        and value.lower() not in _RESERVED
        and not _NUMBER.fullmatch(value)
        and value[0] not in "!&*-?:,[]{}#|>@`\"'%"
        and not any(c in value for c in ",[]{}\n\t")
        and ": " not in value
        and " #" not in value
        and not value.endswith(":")
    )


class YamlStyle:
    def scalar(self, value: Any, like: str) -> str:
        quote = like[:1] if like[:1] in ("'", '"') else ""
        if isinstance(value, bool):
            word = "true" if value else "false"
            return f"{quote}{word}{quote}"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise Unpatchable(f"cannot write {value!r} as YAML")
        if quote == '"':
            return json.dumps(value)
        if quote == "'" or not _plain_safe(value):
            return "'" + value.replace("'", "''") + "'"
        return value

    def reference(self, tree: Tree, name: str) -> str:
        long_form = not _SHORT_FORM.search(tree.text) and re.search(r"\bRef\s*:", tree.text)
        return f"{{Ref: {name}}}" if long_form else f"!Ref {name}"

    def items(self, tree: Tree, element: Located, values: list[str]) -> str:
        assert element.parent is not None
        if _flow(tree, element.parent):
            return ", ".join(values)
        start = element.node.span.start
        prefix = tree.text[tree.line_start(start) : start]
        if not re.fullmatch(r"[ \t]*-[ \t]+", prefix):
            raise Unpatchable("the list element does not start its line")
        return ("\n" + prefix).join(values)

    def as_list(self, tree: Tree, values: list[str]) -> str:
        return "[" + ", ".join(values) + "]"

    def insert(self, tree: Tree, mapping: Node, members: Members, before: Node | None = None) -> Edit:
        file, text = tree.file, tree.text
        children = list(mapping.mapping.values())
        if _flow(tree, mapping):
            if before is not None:
                return Edit(file, before.entry.start, before.entry.start, _flow_members(members) + ", ")
            if children:
                at = children[-1].entry.end
                return Edit(file, at, at, ", " + _flow_members(members))
            return Edit(file, mapping.span.start + 1, mapping.span.start + 1, _flow_members(members))
        if not children:
            raise Unpatchable("the mapping is empty")
        indent = " " * tree.column(children[0].entry.start)
        lines = _block_members(members, indent, _unit(tree))
        if before is not None:
            at = _above_comments(tree, tree.line_start(before.entry.start))
            blank_above = at == 0 or text[tree.line_start(at - 1) : at].strip() == ""
            return Edit(file, at, at, "\n".join(lines) + "\n" + ("\n" if blank_above else ""))
        at = tree.line_end(children[-1].entry.end - 1)
        if at == len(text) and not text.endswith("\n"):
            return Edit(file, at, at, "\n" + "\n".join(lines))
        return Edit(file, at, at, "\n".join(lines) + "\n")

    def remove_element(self, tree: Tree, element: Located) -> Edit:
        parent = element.parent
        assert parent is not None
        node = element.node
        if _flow(tree, parent):
            return _remove_flow(tree, parent, [n.span for n in parent.value], node.span)
        start = tree.line_start(node.span.start)
        if not re.fullmatch(r"[ \t]*-[ \t]+", tree.text[start : node.span.start]):
            raise Unpatchable("the list element does not start its line")
        if len(parent.value) == 1:  # `Key: []`: an empty list, not a null
            colon = tree.text.rfind(":", parent.entry.start, parent.span.start)
            if colon == -1:
                raise Unpatchable("the list is not a mapping member")
            return Edit(tree.file, colon + 1, parent.span.end, " []")
        return Edit(tree.file, start, tree.line_end(node.span.end), "")

    def remove_member(self, tree: Tree, member: Located) -> Edit:
        parent = member.parent
        assert parent is not None
        node = member.node
        if _flow(tree, parent):
            return _remove_flow(tree, parent, [n.entry for n in parent.mapping.values()], node.entry)
        text = tree.text
        start = _above_comments(tree, tree.line_start(node.entry.start))
        end = tree.line_end(node.entry.end)
        blank_before = start == 0 or text[tree.line_start(start - 1) : start].strip() == ""
        if blank_before and end < len(text) and text[end : tree.line_end(end)].strip() == "":
            end = tree.line_end(end)  # keep one blank line between neighbours, not two
        return Edit(tree.file, start, end, "")


def _flow(tree: Tree, node: Node) -> bool:
    return tree.text[node.span.start : node.span.start + 1] in ("{", "[")


def _flow_members(members: Members) -> str:
    return ", ".join(f"{k}: {{{_flow_members(v)}}}" if isinstance(v, list) else f"{k}: {v}" for k, v in members)


def _block_members(members: Members, indent: str, unit: str) -> list[str]:
    lines: list[str] = []
    for key, value in members:
        if isinstance(value, list):
            lines.append(f"{indent}{key}:")
            lines.extend(_block_members(value, indent + unit, unit))
        else:
            lines.append(f"{indent}{key}: {value}")
    return lines


def _above_comments(tree: Tree, start: int) -> int:
    """The start of the comment lines just above `start` (they describe what follows them)."""
    while start > 0:
        previous = tree.line_start(start - 1)
        if not tree.text[previous : start - 1].strip().startswith("#"):
            break
        start = previous
    return start


def _remove_flow(tree: Tree, parent: Node, spans: list[Any], target: Any) -> Edit:
    """Remove one element or member of a flow collection with its comma; the only one leaves it empty."""
    index = spans.index(target)
    if len(spans) == 1:
        empty = "[]" if isinstance(parent.value, tuple) else "{}"
        return Edit(tree.file, parent.span.start, parent.span.end, empty)
    if index + 1 < len(spans):
        return Edit(tree.file, target.start, spans[index + 1].start, "")
    return Edit(tree.file, spans[index - 1].end, target.end, "")


def _unit(tree: Tree) -> str:
    """The file's indentation step: how much deeper a nested block mapping's keys sit than its own key."""
    stack = [tree.root]
    while stack:
        node = stack.pop(0)
        for child in node.mapping.values():
            nested = list(child.mapping.values())
            if nested and child.entry != child.span and "\n" in tree.text[child.entry.start : nested[0].entry.start]:
                step = tree.column(nested[0].entry.start) - tree.column(child.entry.start)
                if step > 0:
                    return " " * step
            stack.append(child)
    return "  "
