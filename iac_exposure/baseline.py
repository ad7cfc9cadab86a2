"""Baselines: accept today's findings once, then report only new ones.

A baseline file (JSON, `"version": 1`) holds one entry per finding: a fingerprint, and for people reviewing
the file the trait, resource, file and message. The fingerprint hashes the trait, the exposed resource's
address, the source resource's address, the file (relative to the baseline file's directory) and the text
of the offending value with its whitespace collapsed. No line numbers: moving code, or adding lines above
it, does not resurface a finding; a finding on another resource has another fingerprint, so it is never
hidden. When the offending value is absent (the AWS default applies, e.g. no `http_tokens`), its text is
the missing key path rather than the text of the block that lacks it, so editing the rest of the block does
not resurface it either; changing the offending value itself does.

Several findings may share a fingerprint (two rules of one group, both open to `0.0.0.0/0`). Within one,
findings are paired with entries of the same message first (the message states the port); when more
findings remain than entries, none of the remaining is guessed to be old: all are reported. Entries that
pair with no finding are *stale* and listed, so the file can be refreshed with `--write-baseline`; only
entries for files and traits the scan covered can be stale.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

from . import __version__
from ._records import asdict, record
from .findings import Finding

VERSION = 1
_FIELDS = ("fingerprint", "trait", "resource", "file", "message")


class BaselineError(Exception):
    pass


@record
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


def _file(finding: Finding) -> Path | None:
    span = finding.location or finding.resource.span
    return span.file.path if span is not None else None


def entry(finding: Finding, base: Path) -> Entry:
    path = _file(finding)
    file = relative_file(path, base) if path is not None else ""
    parts = [finding.trait.id, finding.resource.address, finding.source_resource.address, file,
             finding.offending_text()]  # fmt: skip
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
    current: dict[str, list[tuple[Finding, Entry]]] = defaultdict(list)
    for finding in findings:
        mine = entry(finding, base)
        current[mine.fingerprint].append((finding, mine))
    recorded: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        recorded[e.fingerprint].append(e)
    new: list[Finding] = []
    stale: list[Entry] = []
    for fingerprint in current.keys() | recorded.keys():
        unpaired, left = _pair(current.get(fingerprint, []), recorded.get(fingerprint, []))
        new += unpaired
        stale += left
    # by identity, not equality: two identical entries or findings are two; kept in their original order
    new_ids, stale_ids = {id(f) for f in new}, {id(e) for e in stale}
    return (
        [f for f in findings if id(f) in new_ids],
        len(findings) - len(new),
        [e for e in entries if id(e) in stale_ids and covered(e)],
    )


def _pair(found: list[tuple[Finding, Entry]], recorded: list[Entry]) -> tuple[list[Finding], list[Entry]]:
    """Within one fingerprint: pair findings with entries of the same message first; the rest pair up only
    if no finding is left over (a reworded message), otherwise every unpaired finding is new."""
    left = list(recorded)
    unpaired = []
    for finding, mine in found:
        twin = next((e for e in left if e.message == mine.message), None)
        if twin is None:
            unpaired.append(finding)
        else:
            left.remove(twin)
    if len(unpaired) <= len(left):
        return [], left[len(unpaired) :]
    return unpaired, left
