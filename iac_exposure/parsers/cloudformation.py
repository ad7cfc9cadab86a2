"""CloudFormation templates (YAML or JSON): cfn-lint's decoder, turned into nodes with exact spans.

The template is decoded by `cfn_decode`, which builds what cfn-lint's decoder (`cfnlint.decode.decode_str`)
would, without importing cfn-lint (slow to import); a template it is not sure about, or cannot decode, is
decoded by cfn-lint's decoder itself, whose error messages and lines a ParseError carries.

cfn-lint's decoder marks mappings, sequences, strings and keys with 0-based
line/column marks, and turns short-form intrinsics (`!Ref X`) into long forms (`{"Ref": "X"}`). Numbers,
booleans and nulls carry no marks, nor do the arguments of a short-form intrinsic. Those are found in the text:
scanning on from the end of the key or element before them, and checking that the token found reads back as
the decoded value. A value that cannot be found exactly takes the span of the node around it, with
`exact=False`, so no patch ever replaces the wrong text.

Spans of block collections end with their last element, not at the next token as the marks do, so they never
swallow the blank lines and comments that follow them.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from .._records import record
from ..source import SourceFile, Span
from . import ParseError


@record
class Node:
    """One value of the template: a dict of nodes, a tuple of nodes, or a scalar."""

    value: Any
    span: Span  # the value's own text (a short-form intrinsic includes its tag)
    entry: Span  # a mapping member: from its key to the end of the value; otherwise the same as `span`
    exact: bool = True  # False: the span is an enclosing node's, the value's own text was not found

    @property
    def mapping(self) -> dict[str, Node]:
        return self.value if isinstance(self.value, dict) else {}


def parse(file: SourceFile) -> Node:
    """The template as nodes. Raises ParseError (with a 1-based line when cfn-lint gives one)."""
    template = _fast_decode(file.text)
    if template is None:
        template = _cfn_lint_decode(file.text)
    if not isinstance(template, dict):
        raise ParseError("the template is not a mapping")
    return _Converter(file).root(template)


def _fast_decode(text: str) -> Any:
    """What cfn-lint's decoder would return, without importing cfn-lint (`cfn_decode`); None when only
    cfn-lint's decoder can tell (an invalid template, or one that decoder is not sure to build the same)."""
    from ..limits import BudgetExceeded
    from .cfn_decode import decode

    try:
        return decode(text)
    except BudgetExceeded:
        raise
    except Exception:  # noqa: BLE001 - whatever it is, cfn-lint's decoder decides, with its own messages
        return None


def _cfn_lint_decode(text: str) -> Any:
    from cfnlint.decode import decode_str  # type: ignore[import-untyped]

    try:
        template, matches = decode_str(text)
    except RecursionError:
        raise ParseError("the template is nested too deeply") from None
    if matches:
        first = matches[0]
        line = getattr(first, "linenumber", None)
        raise ParseError(str(getattr(first, "message", first)), line if isinstance(line, int) else None)
    return template


_SKIP = " \t\r\n,"
_TOKEN = re.compile(r"[^\s,\]\}#]+")
_TAG = re.compile(r"![A-Za-z:]+")
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_NULL = {"null", "~", ""}


class _Converter:
    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.text = file.text
        starts = [0]
        pos = self.text.find("\n")
        while pos != -1:
            starts.append(pos + 1)
            pos = self.text.find("\n", pos + 1)
        self.line_starts = starts

    def root(self, data: Any) -> Node:
        return self.convert(data, 0, None, self.span(0, len(self.text)))

    # -- positions -----------------------------------------------------------------------------------

    def offset(self, mark: Any) -> int:
        index = getattr(mark, "index", None)
        if isinstance(index, int) and type(mark).__module__.startswith("yaml"):
            return int(index)  # PyYAML counts characters, whatever the line breaks are
        line = min(max(int(mark.line), 0), len(self.line_starts) - 1)
        return min(self.line_starts[line] + int(mark.column), len(self.text))

    def marks(self, obj: Any) -> tuple[int, int] | None:
        start, end = getattr(obj, "start_mark", None), getattr(obj, "end_mark", None)
        if start is None or end is None:
            return None
        return self.offset(start), self.offset(end)

    def skip(self, pos: int) -> int:
        """Past separators, comments and block-sequence dashes, to where the next value starts."""
        text, n = self.text, len(self.text)
        while pos < n:
            ch = text[pos]
            if ch == "#":
                end = text.find("\n", pos)
                pos = n if end == -1 else end
            elif ch in _SKIP or (ch == "-" and (pos + 1 >= n or text[pos + 1] in " \t\r\n")):
                pos += 1
            else:
                break
        return pos

    def after_key(self, key_end: int) -> int:
        """Where a member's value starts: past the `:` that ends the key."""
        colon = self.text.find(":", key_end)
        return key_end if colon == -1 else colon + 1

    def span(self, start: int, end: int) -> Span:
        return Span(self.file, start, max(start, end))

    # -- conversion ----------------------------------------------------------------------------------

    def convert(self, obj: Any, hint: int, key_start: int | None, outer: Span) -> Node:
        """`hint`: where to look for the text of a value without marks; `outer`: the enclosing node's span."""
        marked = self.marks(obj)
        if isinstance(obj, (dict, list)):
            if marked is not None:
                return self.collection(obj, marked[0], marked[1], key_start, outer)
            # an argument of a short-form intrinsic: a block sequence's own dash starts its text
            start = self.skip(hint) if isinstance(obj, dict) else self.skip_blank(hint, ",")
            return self.collection(obj, start, None, key_start, outer)
        if marked is not None:
            start, end = marked
            span = self.span(start, self.trim(start, end))
            return Node(str(obj), span, self.entry(key_start, span))
        return self.scalar(obj, hint, key_start, outer)

    def entry(self, key_start: int | None, span: Span) -> Span:
        return span if key_start is None else self.span(key_start, span.end)

    def trim(self, start: int, end: int) -> int:
        while end > start and self.text[end - 1] in " \t\r\n":
            end -= 1
        return end

    def collection(self, obj: Any, start: int, end: int | None, key_start: int | None, outer: Span) -> Node:
        text = self.text
        content = start
        tag = _TAG.match(text, start)
        if tag is not None:
            content = self.skip_blank(tag.end())
        # a short-form intrinsic is a one-key mapping whose value (maybe a flow collection) follows the tag
        flow = tag is None and content < len(text) and text[content] in "[{"
        pos = content + 1 if flow else content
        own = self.span(start, end) if end is not None else outer
        if tag is not None and isinstance(obj, list):
            # `!GetAtt Name.Attribute`: a list decoded from one scalar, with no text of its own
            span = self.span(start, end if end is not None else start)
            return Node(_plain(obj, span), span, span, exact=False)
        value: Any
        last = pos
        lost = False  # a child was not found: the ones after it cannot be looked for from its end
        children: list[tuple[str, Node]] = []
        pairs = obj.items() if isinstance(obj, dict) else ((None, item) for item in obj)
        for key, item in pairs:
            key_marks = self.marks(key) if key is not None else None
            if lost:
                child = Node(_plain(item, own), own, own, exact=False)
            elif key_marks is not None:
                child = self.convert(item, self.after_key(key_marks[1]), key_marks[0], own)
            else:
                child = self.convert(item, pos, None, own)
            lost = lost or not child.exact
            children.append((str(key), child))
            if child.exact:
                last = max(last, child.entry.end)
                pos = child.entry.end
        value = dict(children) if isinstance(obj, dict) else tuple(child for _, child in children)
        if flow:
            close = None if lost else self.closing(last, "]" if isinstance(obj, list) else "}")
            final = close if close is not None else (end if end is not None else last)
        elif end is not None and (lost or not children):
            final = self.trim(start, end)
        else:
            final = last
        span = self.span(start, final)
        exact = end is not None or not lost
        return Node(value, span, self.entry(key_start, span), exact)

    def closing(self, pos: int, bracket: str) -> int | None:
        """The offset just past the bracket that closes a flow collection whose last element ends at `pos`."""
        pos = self.skip_blank(pos)
        if pos < len(self.text) and self.text[pos] == ",":
            pos = self.skip_blank(pos + 1)
        if pos < len(self.text) and self.text[pos] == bracket:
            return pos + 1
        return None

    def skip_blank(self, pos: int, also: str = "") -> int:
        text, n = self.text, len(self.text)
        while pos < n:
            if text[pos] == "#":
                end = text.find("\n", pos)
                pos = n if end == -1 else end
            elif text[pos] in " \t\r\n" or text[pos] in also:
                pos += 1
            else:
                break
        return pos

    def scalar(self, obj: Any, hint: int, key_start: int | None, outer: Span) -> Node:
        value = obj.isoformat() if isinstance(obj, (datetime.date, datetime.datetime)) else obj
        start = self.skip(hint)
        found = self.quoted(start, value) if isinstance(value, str) else None
        if found is None:
            match = _TOKEN.match(self.text, start)
            token = match.group(0) if match else ""
            if _reads_as(token, value):
                found = start + len(token)
            elif value is None:
                start = found = hint  # an empty value: nothing written
        if found is None:
            return Node(value, outer, outer, exact=False)
        span = self.span(start, found)
        return Node(value, span, self.entry(key_start, span))

    def quoted(self, start: int, value: str) -> int | None:
        """The end of a quoted string at `start` that reads back as `value`, or of a plain one."""
        text = self.text
        if start < len(text) and text[start] in "'\"":
            quote = text[start]
            end = start + 1
            while end < len(text):
                if text[end] == "\\" and quote == '"':
                    end += 2
                    continue
                if text[end] == quote:
                    if quote == "'" and text[end + 1 : end + 2] == "'":
                        end += 2
                        continue
                    break
                end += 1
            inner = text[start + 1 : end]
            unescaped = inner.replace("''", "'") if quote == "'" else inner.replace('\\"', '"')
            return end + 1 if unescaped == value else None
        if value and text.startswith(value, start):
            after = start + len(value)
            if after >= len(text) or text[after] in " \t\r\n,]}#":
                return after
        return None


def _plain(obj: Any, span: Span) -> Any:
    """A decoded value as nodes that all carry `span` (their own text could not be found)."""
    if isinstance(obj, dict):
        return {str(k): Node(_plain(v, span), span, span, exact=False) for k, v in obj.items()}
    if isinstance(obj, list):
        return tuple(Node(_plain(v, span), span, span, exact=False) for v in obj)
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    if isinstance(obj, str):
        return str(obj)  # a plain string: not the decoder's, with its marks
    return obj


def _reads_as(token: str, value: Any) -> bool:
    """Whether a plain YAML/JSON token decodes to `value` (YAML 1.1 booleans, octal and hex ints)."""
    lowered = token.lower()
    if isinstance(value, bool):
        return lowered in (_TRUE if value else _FALSE)
    if value is None:
        return lowered in _NULL
    if isinstance(value, int):
        digits = token.replace("_", "")
        for base in (10, 0, 8):
            try:
                if int(digits, base) == value:
                    return True
            except ValueError:
                continue
        return False
    if isinstance(value, float):
        try:
            return float(token) == value
        except ValueError:
            return lowered in (".inf", "+.inf", "-.inf", ".nan")
    if isinstance(value, str):
        return token == value
    return False


def to_data(node: Node, depth: int = -1) -> Any:
    """The node as plain data, down to `depth` levels (negative: all)."""
    if depth == 0:
        return None
    if isinstance(node.value, dict):
        return {k: to_data(v, depth - 1) for k, v in node.value.items()}
    if isinstance(node.value, tuple):
        return [to_data(v, depth - 1) for v in node.value]
    return node.value
