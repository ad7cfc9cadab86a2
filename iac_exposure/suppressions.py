"""Suppressions: a finding the author accepts, with a reason, optionally until a date.

Three sources, one type:
- comments in the source text, `# iac-exposure:ignore[trait,…] [until=YYYY-MM-DD] reason` (`#` or `//`),
  read from the text itself so they work in every format with comments (HCL, YAML);
- `Unit.suppressions`, filled by readers from a format's own metadata (CloudFormation resource
  `Metadata: {iac-exposure: {ignore: [{trait, reason, until}]}}`, see `from_metadata`), keyed by address;
- `per-resource-ignores` in the config file.

Where a comment counts. A finding has a few places a reader of the code would look for it, its *anchors*:
the line of the offending value (`location`); the first line of every resource block holding that value
(an inline `ingress {` block, a standalone rule, a policy attachment); the first line of `source_resource`
(the security group, network ACL, subnet, attachment…); the first line of the role whose grant that source
is; and the first line of the exposed `resource`. A comment suppresses the finding when it sits on an
anchor line (trailing) or in the run of comment-only lines directly above one — not after a blank line.
So a comment on a security group, a rule or a role silences that configuration for every instance using
it, while a comment on an instance silences it for that instance only. Metadata and config ignores match
the same resources by address.

A suppression that does not hold — expired, naming an unknown trait, malformed, or without a reason while
`suppression-reason = "required"` — does not suppress: the finding is reported and a notice says why. A
well-formed comment that silences nothing is reported too (`unused-suppression`), so a misplaced one shows.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._records import field, record
from .diagnostics import Diagnostic

if TYPE_CHECKING:
    from .findings import Finding
    from .model.aws import Resource
    from .model.graph import Model
    from .source import SourceFile

MARKER = "iac-exposure:ignore"
_COMMENT = re.compile(r"(?:^|(?<=\s))(?:#|//)\s*iac-exposure:ignore\b")
_HEREDOC = re.compile(r"<<-?\s*([A-Za-z_][\w-]*)\s*$")
_UNTIL = re.compile(r"(?:^|\s)until=(\S*)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REASON_POLICIES = ("required", "recommended", "optional")


@record
class Suppression:
    traits: tuple[str, ...]
    reason: str
    until: date | None
    origin: str  # "comment" | "metadata" | "config"
    file: str  # where it is written (display path; the config file for config ignores)
    line: int | None
    problem: str | None = None  # why it cannot apply as written; it is reported and never applied

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file


@record
class ResourceIgnore:
    """A `per-resource-ignores` entry: resources matched by an address glob, optionally in some files."""

    resource: str  # fnmatch glob over addresses (`aws_security_group.bastion`, `module.legacy.*`)
    paths: tuple[str, ...]  # gitignore-style patterns relative to the config file's directory; empty: any file
    suppression: Suppression


@record
class Suppressed:
    finding: Finding
    suppression: Suppression


def parse_date(text: str) -> date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_comment(rest: str, file: str, line: int) -> Suppression:
    """What follows `iac-exposure:ignore` in a comment."""
    match = re.match(r"\s*\[([^\]]*)\](.*)$", rest)
    if match is None:
        return Suppression((), "", None, "comment", file, line, "write `iac-exposure:ignore[trait,…] reason`")
    traits = tuple(t.strip() for t in match.group(1).split(",") if t.strip())
    tail = match.group(2)
    until: date | None = None
    problem = None if traits else "the brackets name no trait"
    found = _UNTIL.search(tail)
    if found:
        until = parse_date(found.group(1))
        if until is None and problem is None:
            problem = f"until={found.group(1)} is not a date (write until=YYYY-MM-DD)"
        tail = tail[: found.start()] + " " + tail[found.end() :]
    reason = tail.strip().lstrip(":-–—").strip()  # tolerate `ignore[x]: reason` and `ignore[x] -- reason`
    return Suppression(traits, reason, until, "comment", file, line, problem)


def from_metadata(metadata: Any, file: str, line: int | None) -> list[Suppression]:
    """Suppressions from a resource's metadata mapping (CloudFormation `Metadata`):
    `{"iac-exposure": {"ignore": [{"trait": ID, "reason": TEXT, "until": YYYY-MM-DD}, …]}}`. Anything else
    under `iac-exposure` comes back as a suppression with a `problem`, reported and never applied."""
    if not isinstance(metadata, dict) or "iac-exposure" not in metadata:
        return []
    ours = metadata["iac-exposure"]

    def bad(problem: str) -> Suppression:
        return Suppression((), "", None, "metadata", file, line, problem)

    if not isinstance(ours, dict) or set(ours) != {"ignore"} or not isinstance(ours["ignore"], list):
        return [bad("write Metadata: {iac-exposure: {ignore: [{trait: ID, reason: TEXT}]}}")]
    out = []
    for entry in ours["ignore"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("trait"), str):
            out.append(bad("each ignore entry needs a trait id: {trait: ID, reason: TEXT}"))
            continue
        unknown_keys = sorted(set(entry) - {"trait", "reason", "until"})
        raw_until = entry.get("until")
        until = raw_until if isinstance(raw_until, date) else parse_date(str(raw_until)) if raw_until else None
        problem = None
        if unknown_keys:
            problem = f"unknown key(s) {', '.join(unknown_keys)} (want trait, reason, until)"
        elif raw_until and until is None:
            problem = f"until: {raw_until!r} is not a date (write YYYY-MM-DD)"
        reason = entry.get("reason")
        text = reason.strip() if isinstance(reason, str) else ""
        out.append(Suppression((entry["trait"],), text, until, "metadata", file, line, problem))
    return out


def comments(file: SourceFile) -> dict[int, tuple[Suppression, bool]]:
    """Suppression comments by line: the suppression and whether the line holds nothing but the comment."""
    found: dict[int, tuple[Suppression, bool]] = {}
    if MARKER not in file.text:
        return found
    heredoc: str | None = None
    for number, text in enumerate(_lines(file), 1):
        if heredoc is not None:  # inside a heredoc every line is string content (a user_data script…)
            if text.strip() == heredoc:
                heredoc = None
            continue
        # the first marker outside a string (before it, an odd number of quotes: inside one)
        match = next((m for m in _COMMENT.finditer(text) if text[: m.start()].count('"') % 2 == 0), None)
        if match:
            comment_only = not text[: match.start()].strip()
            found[number] = (parse_comment(text[match.end() :], file.display, number), comment_only)
        opener = _HEREDOC.search(text if not match else text[: match.start()])
        if opener:
            heredoc = opener.group(1)
    return found


def _lines(file: SourceFile) -> list[str]:
    # split on "\n" only: line numbers must agree with `SourceFile.line_of` (str.splitlines also splits on
    # form feeds and Unicode separators)
    return [line.rstrip("\r") for line in file.text.split("\n")]


def _comment_only_lines(file: SourceFile) -> set[int]:
    starts = ("#", "//")
    return {n for n, line in enumerate(_lines(file), 1) if line.lstrip().startswith(starts)}


@record(frozen=False)
class _Entry:
    suppression: Suppression
    applies: bool
    traits: frozenset[str]  # the known ones
    used: bool = False


@record(frozen=False)
class Outcome:
    active: list[Finding] = field(default_factory=list)
    suppressed: list[Suppressed] = field(default_factory=list)
    notices: list[Diagnostic] = field(default_factory=list)


@record
class Policy:
    """What the scan's configuration says about suppressions."""

    known_traits: Callable[[], frozenset[str]]  # asked only when a suppression names traits
    ran: Callable[[str], bool]  # whether a trait was checked (an unused suppression of another proves nothing)
    reason: str  # one of REASON_POLICIES
    today: date
    resource_ignores: tuple[ResourceIgnore, ...] = ()
    covers: Callable[[ResourceIgnore, Path], bool] = lambda ri, path: True  # an ignore's `paths` hold `path`


class Suppressor:
    """Applies the suppressions of one unit (one model) to its findings."""

    def __init__(
        self,
        files: Sequence[SourceFile],
        resources: Sequence[Resource],
        by_address: dict[str, list[Suppression]],
        policy: Policy,
        model: Model | None = None,
    ) -> None:
        self._policy = policy
        self._model = model
        self._entries: list[_Entry] = []
        self._notices: list[Diagnostic] = []
        self._lines: dict[tuple[SourceFile, int], list[_Entry]] = defaultdict(list)
        self._blocks: dict[SourceFile, list[Resource]] = defaultdict(list)
        for resource in resources:
            if resource.span is not None:
                self._blocks[resource.span.file].append(resource)
        for file in files:
            self._index_comments(file)
        self._addresses = {a: [self._entry(s) for s in ss] for a, ss in by_address.items()}
        self._config = [(ri, self._entry(ri.suppression)) for ri in policy.resource_ignores]

    def _index_comments(self, file: SourceFile) -> None:
        found = comments(file)
        if not found:
            return
        comment_lines = _comment_only_lines(file)
        for number, (suppression, comment_only) in found.items():
            entry = self._entry(suppression)
            below = number
            if comment_only:  # it serves the first line below its run of comment-only lines
                below += 1
                while below in comment_lines:
                    below += 1
            self._lines[(file, below)].append(entry)

    def _entry(self, s: Suppression) -> _Entry:
        known = self._policy.known_traits() if s.traits else frozenset()
        unknown = [t for t in s.traits if t not in known]
        problems = ([s.problem] if s.problem else []) + [
            f"unknown trait {t!r}; see `iac-exposure traits`" for t in unknown
        ]
        for problem in problems:
            self._notice(s, "invalid-suppression", problem)
        applies = not problems
        traits = ", ".join(s.traits)
        if s.until is not None and s.until < self._policy.today:
            applies = False
            self._notice(s, "expired-suppression",
                         f"suppression of {traits} expired on {s.until.isoformat()}: its findings are reported again")  # fmt: skip
        elif applies and not s.reason and self._policy.reason != "optional":
            applies = self._policy.reason == "recommended"
            effect = "it still applies" if applies else 'it is not applied (suppression-reason = "required")'
            self._notice(s, "suppression-without-reason", f"suppression of {traits} gives no reason; {effect}")
        entry = _Entry(s, applies, frozenset(s.traits) - frozenset(unknown))
        self._entries.append(entry)
        return entry

    def _notice(self, s: Suppression, kind: str, message: str) -> None:
        self._notices.append(Diagnostic(s.file, s.line, kind, message, error=False))

    def _holders(self, finding: Finding) -> list[Resource]:
        """The resources a suppression may be written on: the exposed one, the source, every resource block
        holding the offending value (an inline rule, a standalone rule, an attachment…), and the role whose
        grant the source is (a comment on a role covers what its attachments and policies give it)."""
        holders = [finding.resource, finding.source_resource]
        loc = finding.location
        if loc is not None:
            holders += [r for r in self._blocks.get(loc.file, ()) if r.span and r.span.start <= loc.start < r.span.end]
        return holders + self._granting_roles(finding)

    def _granting_roles(self, finding: Finding) -> list[Resource]:
        if self._model is None:
            return []
        roles = {c.role.address: c.role for c in self._model.compute if c.resource is finding.resource and c.role}
        source = finding.source_resource.address
        return [r for r in roles.values() if any(g.holder.address == source for g in self._model.grants(r))]

    def _candidates(self, finding: Finding) -> list[_Entry]:
        holders = self._holders(finding)
        spans = [finding.location] + [r.span for r in holders]
        lines = {(s.file, s.start_line) for s in spans if s is not None}
        found = [e for key in sorted(lines, key=lambda k: (k[0].display, k[1])) for e in self._lines.get(key, ())]
        addresses = {r.address for r in holders}
        found += [e for a in addresses for e in self._addresses.get(a, ())]
        loc = finding.location or finding.resource.span
        for ri, entry in self._config:
            if any(fnmatchcase(a, ri.resource) for a in addresses) and (
                not ri.paths or (loc is not None and self._policy.covers(ri, loc.file.path))
            ):
                found.append(entry)
        return found

    def apply(self, findings: Iterable[Finding]) -> Outcome:
        out = Outcome()
        if not any(e.applies for e in self._entries):  # nothing can silence a finding: skip the lookups
            out.active.extend(findings)
            out.notices = list(self._notices)
            return out
        for finding in findings:
            hits = [e for e in self._candidates(finding) if e.applies and finding.trait.id in e.traits]
            for entry in hits:
                entry.used = True
            if hits:
                out.suppressed.append(Suppressed(finding, hits[0].suppression))
            else:
                out.active.append(finding)
        out.notices = self._notices + [
            Diagnostic(e.suppression.file, e.suppression.line, "unused-suppression",
                       f"suppression of {', '.join(sorted(e.traits))} matches no finding", error=False)
            for e in self._entries
            if e.applies and not e.used and e.suppression.origin != "config" and all(map(self._policy.ran, e.traits))
        ]  # fmt: skip
        return out
