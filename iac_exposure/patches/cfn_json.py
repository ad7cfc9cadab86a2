"""The CloudFormation JSON writer: remedies → edits that keep the template's indentation and layout.

A member or element added to a multi-line object or array goes on a line of its own at its siblings'
indentation (nested objects one indentation step deeper, the step the file uses); a single-line one stays
on its line. Removals take the separating comma with them; an emptied list becomes `[]`.
"""

from __future__ import annotations

import json
from typing import Any

from ..parsers.cloudformation import Node
from ._cfn import Located, Members, Tree, check
from ._cfn import edits as cfn_edits
from .edits import Edit
from .remedies import Action
from .render import PatchContext, Unpatchable

__all__ = ["check", "edits"]


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    return cfn_edits(action, ctx, JsonStyle())


class JsonStyle:
    def scalar(self, value: Any, like: str) -> str:
        if isinstance(value, bool) and like.startswith('"'):
            return json.dumps("true" if value else "false")  # a boolean the template writes as a string
        if isinstance(value, (bool, int, float, str)):
            return json.dumps(value)
        raise Unpatchable(f"cannot write {value!r} as JSON")

    def reference(self, tree: Tree, name: str) -> str:
        return json.dumps({"Ref": name})

    def items(self, tree: Tree, element: Located, values: list[str]) -> str:
        start = element.node.span.start
        before = tree.text[tree.line_start(start) : start]
        return (",\n" + before).join(values) if before.strip() == "" else ", ".join(values)

    def as_list(self, tree: Tree, values: list[str]) -> str:
        return "[" + ", ".join(values) + "]"

    def insert(self, tree: Tree, mapping: Node, members: Members, before: Node | None = None) -> Edit:
        file, text = tree.file, tree.text
        children = list(mapping.mapping.values())
        if not children:
            at = mapping.span.start + 1
            return Edit(file, at, at, ", ".join(_inline(k, v) for k, v in members))
        first = children[0].entry.start
        if "\n" not in text[mapping.span.start : first]:  # a single-line object
            if before is not None:
                return Edit(
                    file, before.entry.start, before.entry.start, ", ".join(_inline(k, v) for k, v in members) + ", "
                )
            at = children[-1].entry.end
            return Edit(file, at, at, "".join(", " + _inline(k, v) for k, v in members))
        indent = text[tree.line_start(first) : first]
        unit = _unit(tree, mapping, indent)
        rendered = [_multiline(k, v, indent, unit) for k, v in members]
        if before is not None:
            return Edit(file, before.entry.start, before.entry.start, (",\n" + indent).join(rendered) + ",\n" + indent)
        at = children[-1].entry.end
        return Edit(file, at, at, "".join(",\n" + indent + member for member in rendered))

    def remove_element(self, tree: Tree, element: Located) -> Edit:
        parent = element.parent
        assert parent is not None
        return _remove(tree, parent, [n.span for n in parent.value], element.node.span, "[]")

    def remove_member(self, tree: Tree, member: Located) -> Edit:
        parent = member.parent
        assert parent is not None
        return _remove(tree, parent, [n.entry for n in parent.mapping.values()], member.node.entry, "{}")


def _inline(key: str, value: Any) -> str:
    if isinstance(value, list):
        return f"{json.dumps(key)}: {{" + ", ".join(_inline(k, v) for k, v in value) + "}"
    return f"{json.dumps(key)}: {value}"


def _multiline(key: str, value: Any, indent: str, unit: str) -> str:
    if isinstance(value, list):
        inner = ",\n".join(indent + unit + _multiline(k, v, indent + unit, unit) for k, v in value)
        return f"{json.dumps(key)}: {{\n{inner}\n{indent}}}"
    return f"{json.dumps(key)}: {value}"


def _unit(tree: Tree, mapping: Node, indent: str) -> str:
    """The file's indentation step, from this object: its members' indentation past its own line's."""
    text = tree.text
    start = end = tree.line_start(mapping.span.start)
    while end < len(text) and text[end] in " \t":
        end += 1
    own = text[start:end]
    if indent.startswith(own) and len(indent) > len(own):
        return indent[len(own) :]
    return "\t" if indent.startswith("\t") else "  "


def _remove(tree: Tree, parent: Node, spans: list[Any], target: Any, empty: str) -> Edit:
    """Remove one element or member with its comma; the only one leaves the collection empty."""
    index = spans.index(target)
    if len(spans) == 1:
        return Edit(tree.file, parent.span.start, parent.span.end, empty)
    if index + 1 < len(spans):
        return Edit(tree.file, target.start, spans[index + 1].start, "")
    return Edit(tree.file, spans[index - 1].end, target.end, "")
