"""`describe-launch-template-versions` documents: JSON edits on the version's `LaunchTemplateData`, and a note.

A launch template version is immutable: the patch edits the document, and the user creates a new version
from the patched data.
"""

from __future__ import annotations

from ..parsers import ParseError
from ..parsers.json_spans import JsonNode, parse_json
from ..parsers.launch_template import documents
from ..source import SourceFile
from .json_writer import check, edits
from .remedies import Action
from .render import PatchContext

__all__ = ["check", "edits", "note"]


def note(action: Action, ctx: PatchContext) -> str:
    span = getattr(getattr(action, "target", None), "span", None)
    if span is None:
        return ""
    root = _parsed(span.file, ctx)
    for doc in documents(root) if root is not None else []:
        if doc.data.start <= span.start < doc.data.end:
            name = doc.name or "the template"
            version = f"version {doc.version}" if doc.version is not None else "this version"
            return (
                f"versions are immutable: create a new version of {name} from the patched LaunchTemplateData of "
                f"{version} (aws ec2 create-launch-template-version) and make it the default"
            )
    return ""


def _parsed(file: SourceFile, ctx: PatchContext) -> JsonNode | None:
    memo: dict[int, JsonNode | None] = ctx.memo.setdefault("launch-template-versions", {})
    if id(file) not in memo:
        try:
            memo[id(file)] = parse_json(file)
        except ParseError:
            memo[id(file)] = None
    return memo[id(file)]
