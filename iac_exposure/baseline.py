"""Baselines: accept today's findings once, then report only new ones.

A baseline file (JSON, `"version": 1`) holds one entry per finding: a fingerprint, and for people reviewing
the file the trait, resource, file and message. The fingerprint hashes the trait, the exposed resource's
address, the source resource's address, the file (relative to the baseline file's directory) and the text
of the offending value with its whitespace collapsed. No line numbers: moving code, or adding lines above
it, does not resurface a finding; a finding on another resource has another fingerprint, so it is never
hidden. When the offending value is absent (the AWS default applies, e.g. no `http_tokens`), its text is
the missing key path rather than the text of the block that lacks it, so editing the rest of the block does
not resurface it either; changing the offending value itself does.

Fingerprints are counted: when a scan has more findings with one fingerprint than the baseline recorded (a
second rule of the same group opened to the same `0.0.0.0/0`), all of them are reported rather than guess
which is new. Entries no finding matches anymore are *stale* and listed, so the file can be refreshed with
`--write-baseline`; only entries for files and traits the scan covered can be stale.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from . import __version__
from .findings import Finding
from .model.values import Origin, Sourced

VERSION = 1
_FIELDS = ("fingerprint", "trait", "resource", "file", "message")


class BaselineError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Entry:
    fingerprint: str
    trait: str
    resource: str
    file: str  # relative to the baseline file's directory
    message: str


def relative_file(path: Path, base: Path) -> str:
    try:
        return Path(os.path.relpath(os.path.abspath(path), os.path.abspath(base))).as_posix()
    except ValueError:  # another drive
        return Path(os.path.abspath(path)).as_posix()


def offending_text(finding: Finding) -> str:
    action = finding.remedy.action if finding.remedy is not None else None
    target = getattr(action, "target", None)
    if isinstance(target, Sourced) and target.origin is Origin.DEFAULT:
        return "unset " + ".".join(target.missing or (target.key,))
    return " ".join(finding.location.text.split()) if finding.location is not None else ""


def _file(finding: Finding) -> Path | None:
    span = finding.location or finding.resource.span
    return span.file.path if span is not None else None


def entry(finding: Finding, base: Path) -> Entry:
    path = _file(finding)
    file = relative_file(path, base) if path is not None else ""
    parts = [finding.trait.id, finding.resource.address, finding.source_resource.address, file,
             offending_text(finding)]  # fmt: skip
    digest = hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()[:32]
    return Entry(digest, finding.trait.id, finding.resource.address, file, finding.message)


def write(findings: Iterable[Finding], path: Path) -> int:
    """Record `findings` in a new baseline file at `path` (written whole, then renamed over the old one)."""
    entries = sorted(
        (entry(f, path.parent) for f in findings), key=lambda e: (e.file, e.trait, e.resource, e.fingerprint)
    )
    document = {"version": VERSION, "tool": f"iac-exposure {__version__}", "findings": [asdict(e) for e in entries]}
    partial = path.with_name(f".{path.name}.tmp")
    partial.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)
    return len(entries)


def load(path: Path) -> list[Entry]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with --write-baseline)") from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BaselineError(f"{path}: not a baseline file: {exc}") from None
    if not isinstance(document, dict) or "version" not in document:
        raise BaselineError(f"{path}: not a baseline file (no version)")
    if document["version"] != VERSION:
        raise BaselineError(f"{path}: baseline version {document['version']!r}; this iac-exposure reads {VERSION}")
    raw = document.get("findings")
    if not isinstance(raw, list) or not all(
        isinstance(e, dict) and all(isinstance(e.get(k), str) for k in _FIELDS) for e in raw
    ):
        raise BaselineError(f"{path}: findings must be a list of {{{', '.join(_FIELDS)}}} strings")
    return [Entry(**{k: e[k] for k in _FIELDS}) for e in raw]


def split(
    findings: list[Finding], entries: list[Entry], base: Path, covered: Callable[[Entry], bool]
) -> tuple[list[Finding], int, list[Entry]]:
    """The new findings, how many were in the baseline, and the stale entries among those `covered`."""
    recorded = Counter(e.fingerprint for e in entries)
    mine = [(f, entry(f, base).fingerprint) for f in findings]
    seen = Counter(fp for _, fp in mine)
    new = [f for f, fp in mine if seen[fp] > recorded[fp]]
    unmatched = Counter(seen)
    stale = []
    for e in entries:
        if unmatched[e.fingerprint] > 0:
            unmatched[e.fingerprint] -= 1
        elif covered(e):
            stale.append(e)
    return new, len(findings) - len(new), stale
