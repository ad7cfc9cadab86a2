"""The stable JSON output (`schema_version: 1`)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import __version__
from ..api import Report, Result
from ..exposures import Exposure
from ..results import severities
from ..suppressions import Suppressed

SCHEMA_VERSION = 1


def finding_dict(result: Result) -> dict[str, Any]:
    f, patch = result.finding, result.patch
    loc = f.location or f.resource.span
    return {
        "trait": f.trait.id,
        "category": f.trait.category.value,
        "severity": f.trait.severity.value,
        "title": f.trait.title,
        "resource": f.resource.address,
        "resource_type": f.resource.type,
        "source_resource": f.source_resource.address,
        "location": {
            "file": loc.file.display if loc else None,
            "start_line": loc.start_line if loc else None,
            "end_line": loc.end_line if loc else None,
        },
        "message": f.message,
        # only traits that list evidence (the CVEs of an image) carry the key: other findings keep their shape
        **({"evidence": list(f.evidence)} if f.evidence else {}),
        "remediation": patch.title if patch else f.trait.fix_title,
        "patch": patch.diff if patch else None,
        "applicability": patch.applicability.value if patch else None,
        "applicability_reason": patch.reason if patch else None,
    }


def exposure_dict(e: Exposure) -> dict[str, Any]:
    return {
        "resource": e.resource,
        "resource_type": e.resource_type,
        "severity": e.severity.value,
        "likelihood": e.likelihood,
        "impact": e.impact,
        "traits": list(e.traits),
        "categories": {category: list(traits) for category, traits in e.categories},
    }


def suppressed_dict(s: Suppressed) -> dict[str, Any]:
    rule = s.suppression
    return {
        **finding_dict(Result(s.finding, None)),
        "suppression": {
            "origin": rule.origin,
            "file": rule.file,
            "line": rule.line,
            "reason": rule.reason,
            "until": rule.until.isoformat() if rule.until else None,
        },
    }


def to_dict(report: Report, show_suppressed: bool = False, lazy: bool = False) -> dict[str, Any]:
    results = report.results
    by_severity: dict[str, int] = {}
    for sev in severities(results):
        by_severity[sev] = by_severity.get(sev, 0) + 1
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "iac-exposure", "version": __version__},
        "findings": _Lazy(finding_dict, results) if lazy else [finding_dict(r) for r in results],
        "exposures": _Lazy(exposure_dict, report.exposures) if lazy else list(map(exposure_dict, report.exposures)),
        "diagnostics": [
            {"file": d.file, "line": d.line, "kind": d.kind, "message": d.message, "error": d.error}
            for d in report.diagnostics
        ],
        "notices": [{"file": d.file, "line": d.line, "kind": d.kind, "message": d.message} for d in report.notices],
        "stale_baseline": [
            {
                "fingerprint": e.fingerprint,
                "trait": e.trait,
                "resource": e.resource,
                "file": e.file,
                "message": e.message,
            }
            for e in report.stale
        ],
        "summary": {
            "files_scanned": report.files_scanned,
            "findings": len(results),
            "by_severity": dict(sorted(by_severity.items())),
            "exposures": len(report.exposures),
            "diagnostics": len(report.diagnostics),
            "files_not_analysed": sum(1 for d in report.diagnostics if d.error),
            "suppressed": len(report.suppressed),
            "baselined": report.baselined,
            "stale_baseline": len(report.stale),
            "notices": len(report.notices),
        },
    }
    if show_suppressed:
        document["suppressed"] = [suppressed_dict(s) for s in report.suppressed]
    return document


def render(report: Report, show_suppressed: bool = False) -> str:
    return "".join(chunks(report, show_suppressed))


def chunks(report: Report, show_suppressed: bool = False) -> Iterator[str]:
    """The document piece by piece: a finding's dictionary exists only while it is written, so the report
    of a big scan is never held twice (its dictionaries and its text) in memory."""
    document = to_dict(report, show_suppressed, lazy=True)
    yield from iterencode(document)
    yield "\n"


# The text of `json.JSONEncoder(indent=2).iterencode(value)`, written faster. With an indent CPython's json
# module uses its pure-Python encoder, which yields every token through nested generators. Here
# dictionaries, lists and tuples of the exact built-in types are walked by one recursive function that
# appends to a list: the key lines of a dictionary shape are made once, strings are escaped by json's C
# escaper (a short repeated string once: the titles, traits and messages of findings), other scalars get
# the reprs json uses. Anything else (subclasses, other types, dictionaries with keys that are not strings,
# containers nested deeper than `_DEPTH`) is encoded by the json module itself, so every value is written
# as json writes it. That is sound because json's indented text never has a line break inside a token
# (strings escape theirs): a value encoded on its own is moved to indentation level n by indenting its line
# breaks.

_escape: Callable[[str], str] = json.encoder.encode_basestring_ascii  # the C function where there is one
_fallback = json.JSONEncoder(indent=2)
_INFINITY = float("inf")
_int_repr = int.__repr__
_float_repr = float.__repr__
_ESCAPED_CHARS = 1 << 18  # the cache of escaped strings holds about this many characters at most
_ESCAPED_LONGEST = 512  # longer strings (patches, mostly one of a kind) are escaped every time
_BATCH = 64  # a streamed list is yielded this many elements at a time (counting characters costs time)
# json itself writes containers this deep: it finds circular references (check_circular, its default) as
# it does in the whole document, only a little later; a deep acyclic value gets the same text either way
_DEPTH = 32
_INNER = [",\n" + "  " * (level + 1) for level in range(_DEPTH + 1)]
_CLOSE_DICT = ["\n" + "  " * level + "}" for level in range(_DEPTH + 1)]
_CLOSE_LIST = ["\n" + "  " * level + "]" for level in range(_DEPTH + 1)]


def iterencode(value: Any) -> Iterator[str]:
    """Exactly the text of `json.JSONEncoder(indent=2).iterencode(value)`, in fewer and bigger pieces.

    A top-level dictionary is streamed: the lists it holds are written `_BATCH` elements at a time, so the
    items of a `_Lazy` list exist only while they are written."""
    writer = _Writer()
    parts, append = writer.parts, writer.append
    if type(value) is not dict or not value or any(type(k) is not str for k in value):
        append(value, 0)
        yield "".join(parts)
        return
    separator = "{\n  "
    for key, item in value.items():
        kind = type(item)
        if (kind is list or kind is _Lazy) and item:
            parts.append(separator + _escape(key) + ": [\n    ")
            for count, element in enumerate(item, 1):
                if count > 1:
                    parts.append(",\n    ")
                writer.element(element)
                if count % _BATCH == 0:
                    yield "".join(parts)
                    parts.clear()
            parts.append("\n  ]")
        else:
            parts.append(separator + _escape(key) + ": ")
            append(item, 1)
        yield "".join(parts)
        parts.clear()
        separator = ",\n  "
    yield "\n}"


class _Writer:
    """Appends the text of values to `parts`: `append(value, level)` at indentation `level`."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        parts = self.parts
        add = parts.append
        shapes: list[dict[tuple[Any, ...], list[str] | None]] = [{} for _ in range(_DEPTH)]  # keys → lines
        escaped: dict[str, str] = {}
        cached = escaped.get
        escaped_chars = 0

        def string(text: str) -> str:
            nonlocal escaped_chars
            if len(text) > _ESCAPED_LONGEST:
                return _escape(text)
            result = escaped[text] = _escape(text)
            escaped_chars += len(result)
            if escaped_chars > _ESCAPED_CHARS:
                escaped.clear()
                escaped_chars = 0
            return result

        def key_lines(keys: tuple[Any, ...], level: int) -> list[str] | None:
            """The text before each value of a dictionary with these keys; None: json converts a key."""
            lines = None
            if all(type(k) is str for k in keys):
                lines = [_INNER[level] + _escape(k) + ": " for k in keys]
                lines[0] = "{" + lines[0][1:]
            shapes[level][keys] = lines
            return lines

        def append(value: Any, level: int) -> None:
            kind = type(value)
            if kind is str:
                add(cached(value) or string(value))
            elif value is None:
                add("null")
            elif value is True:
                add("true")
            elif value is False:
                add("false")
            elif kind is int:
                add(_int_repr(value))
            elif kind is float:
                add(_float(value))
            elif level >= _DEPTH:
                add(_encoded(value, level))
            elif kind is dict:
                if not value:
                    add("{}")
                    return
                keys = tuple(value)
                lines = shapes[level].get(keys, ())
                if lines == ():
                    lines = key_lines(keys, level)
                if lines is None:
                    add(_encoded(value, level))
                    return
                for line, item in zip(lines, value.values()):
                    add(line)
                    append(item, level + 1)
                add(_CLOSE_DICT[level])
            elif kind is list or kind is tuple or kind is _Lazy:
                if not value:
                    add("[]")
                    return
                inner = _INNER[level]
                line = "[" + inner[1:]
                for item in value:
                    add(line)
                    line = inner
                    append(item, level + 1)
                add(_CLOSE_LIST[level])
            else:
                add(_encoded(value, level))

        def element(value: Any) -> None:
            append(value, 2)

        self.append, self.element = append, element


def _float(value: float) -> str:
    """json's text of a float (`allow_nan=True`)."""
    if math.isnan(value):
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return _float_repr(value)


def _encoded(value: Any, level: int) -> str:
    """The json module's own text of `value` at indentation `level`."""
    text = _fallback.encode(value)
    return text.replace("\n", "\n" + "  " * level) if level else text


class _Lazy(list):  # type: ignore[type-arg]
    """A list the JSON encoder walks (it accepts list subclasses) whose items are made as it goes."""

    def __init__(self, make: Callable[[Any], Any], items: Sequence[Any]) -> None:
        super().__init__()
        self._make, self._items = make, items

    def __iter__(self) -> Iterator[Any]:
        return map(self._make, self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)
