"""One Security Hub-style exposure per compute resource: its traits by category, rated likelihood × impact.

Security Hub publishes the risk matrix (likelihood sets a baseline, high impact raises it one level, low impact
lowers it one level) but not how traits map to likelihood or impact. That mapping is ours, kept as data in
`DEFAULT_TABLE` so `explain`, the README and a config override all read the same table:

| likelihood | when the resource has (first matching row wins) |
|---|---|
| very-high | internet-reachable and any of network-exploitable-cve, remote-access-open, imdsv1-allowed |
| high | internet-reachable; or network-exploitable-cve; or public-ip and any of open-security-group, remote-access-open |
| moderate | any misconfiguration trait |
| low | any of vpc-reachable, software-cve, eol-operating-system |

| impact | when the resource has |
|---|---|
| high | iam-admin-policy |
| medium | iam-service-admin-policy |
| low | anything else |

Low likelihood with low impact is INFORMATIONAL in one copy of Security Hub's page and "floored at Low" in
another; we floor it at LOW, so every compute resource with a trait gets a record.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ._records import record
from .findings import Category, Finding, Severity
from .model.aws import is_compute

LIKELIHOODS = ("very-high", "high", "moderate", "low")
IMPACTS = ("high", "medium", "low")

_MATRIX: dict[str, tuple[Severity, Severity, Severity]] = {
    # likelihood: severity for impact (high, medium, low)
    "very-high": (Severity.CRITICAL, Severity.CRITICAL, Severity.HIGH),
    "high": (Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM),
    "moderate": (Severity.HIGH, Severity.MEDIUM, Severity.LOW),
    "low": (Severity.MEDIUM, Severity.LOW, Severity.LOW),
}


@record
class Rule:
    """A row of the table: the resource has every trait of `all_of` and, if `any_of` is given, one of those."""

    level: str
    all_of: frozenset[str] = frozenset()
    any_of: frozenset[str] = frozenset()

    def matches(self, traits: set[str]) -> bool:
        return self.all_of <= traits and (not self.any_of or bool(self.any_of & traits))

    def describe(self) -> str:
        parts = []
        if self.all_of:
            parts.append(" and ".join(sorted(self.all_of)))
        if self.any_of:
            parts.append(("any of " if len(self.any_of) > 1 else "") + ", ".join(sorted(self.any_of)))
        return " and ".join(parts)


@record
class ExposureTable:
    likelihood: tuple[Rule, ...]  # ordered, first match wins; no match: no exposure (impact alone makes none)
    impact: tuple[Rule, ...]  # ordered, first match wins; no match: low

    def rate(self, traits: set[str]) -> tuple[str, str] | None:
        level = next((r.level for r in self.likelihood if r.matches(traits)), None)
        if level is None:
            return None
        return level, next((r.level for r in self.impact if r.matches(traits)), "low")

    def explain(self, trait_id: str) -> list[str]:
        """How one trait counts, one line per row of the table that names it."""
        lines = []
        for kind, rules in (("likelihood", self.likelihood), ("impact", self.impact)):
            for rule in rules:
                if trait_id in rule.all_of | rule.any_of:
                    lines.append(f"{kind} {rule.level} when the resource has {rule.describe()}")
        return lines

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], known_traits: set[str]) -> ExposureTable:
        """A table from configuration: `{"likelihood": [{"level", "all", "any"}, …], "impact": […]}`; a part
        not given keeps the built-in rows. Raises ValueError naming the first thing that is wrong."""
        unknown = sorted(set(data) - {"likelihood", "impact"})
        if unknown:
            raise ValueError(f"exposures: unknown key {unknown[0]!r} (expected likelihood, impact)")
        return cls(
            _rules(data["likelihood"], LIKELIHOODS, known_traits, "likelihood")
            if "likelihood" in data
            else DEFAULT_TABLE.likelihood,
            _rules(data["impact"], IMPACTS, known_traits, "impact") if "impact" in data else DEFAULT_TABLE.impact,
        )


def _rules(rows: Sequence[Any], levels: tuple[str, ...], known: set[str], kind: str) -> tuple[Rule, ...]:
    rules = []
    for i, row in enumerate(rows):
        where = f"exposures.{kind}[{i}]"
        if not isinstance(row, Mapping) or set(row) - {"level", "all", "any"}:
            raise ValueError(f"{where}: expected a table with level, all and/or any")
        if row.get("level") not in levels:
            raise ValueError(f"{where}: level must be one of {', '.join(levels)}")
        sets = []
        for key in ("all", "any"):
            names = row.get(key, [])
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise ValueError(f"{where}.{key}: expected a list of trait ids")
            unknown = sorted(set(names) - known)
            if unknown:
                raise ValueError(f"{where}.{key}: unknown trait {unknown[0]!r}")
            sets.append(frozenset(names))
        if not sets[0] and not sets[1]:
            raise ValueError(f"{where}: a row needs traits in all or any")
        rules.append(Rule(row["level"], sets[0], sets[1]))
    return tuple(rules)


_MISCONFIGURATION = frozenset({
    "imdsv1-allowed", "remote-access-open", "open-security-group", "public-ip",
    "iam-admin-policy", "iam-service-admin-policy",
})  # fmt: skip

DEFAULT_TABLE = ExposureTable(
    likelihood=(
        Rule("very-high", frozenset({"internet-reachable"}),
             frozenset({"network-exploitable-cve", "remote-access-open", "imdsv1-allowed"})),
        Rule("high", frozenset({"internet-reachable"})),
        Rule("high", frozenset({"network-exploitable-cve"})),
        Rule("high", frozenset({"public-ip"}), frozenset({"open-security-group", "remote-access-open"})),
        Rule("moderate", any_of=_MISCONFIGURATION),
        Rule("low", any_of=frozenset({"vpc-reachable", "software-cve", "eol-operating-system"})),
    ),
    impact=(
        Rule("high", any_of=frozenset({"iam-admin-policy"})),
        Rule("medium", any_of=frozenset({"iam-service-admin-policy"})),
    ),
)  # fmt: skip


@record
class Exposure:
    resource: str
    resource_type: str
    severity: Severity
    likelihood: str
    impact: str
    traits: tuple[str, ...]
    categories: tuple[tuple[str, tuple[str, ...]], ...]  # (category, its traits), in the order of `Category`

    @property
    def sort_key(self) -> tuple[int, int, int, str]:
        """Most severe first."""
        return (-self.severity.rank, LIKELIHOODS.index(self.likelihood), IMPACTS.index(self.impact), self.resource)


def exposures(findings: list[Finding], table: ExposureTable = DEFAULT_TABLE) -> list[Exposure]:
    """One record per compute resource with traits, most severe first. Findings reported on a security group,
    network ACL or role that nothing uses are not compute and make no exposure."""
    rated = (
        (f.resource.address, f.resource.type, f.trait.id, f.trait.category.value)
        for f in findings
        if is_compute(f.resource)
    )
    return exposures_of(rated, table)


def exposures_of(found: Iterable[tuple[str, str, str, str]], table: ExposureTable = DEFAULT_TABLE) -> list[Exposure]:
    """`exposures` from the (address, type, trait id, category) of each finding on a compute resource."""
    by_resource: dict[str, tuple[str, dict[str, str]]] = {}
    for address, rtype, trait, category in found:
        by_resource.setdefault(address, (rtype, {}))[1][trait] = category
    out = []
    for address, (rtype, traits) in by_resource.items():
        rated = table.rate(set(traits))
        if rated is None:
            continue
        level, hit = rated
        groups = tuple(
            (c.value, tuple(sorted(t for t, cat in traits.items() if cat == c.value)))
            for c in Category
            if c.value in traits.values()
        )
        severity = _MATRIX[level][IMPACTS.index(hit)]
        out.append(Exposure(address, rtype, severity, level, hit, tuple(sorted(traits)), groups))
    return sorted(out, key=lambda e: e.sort_key)
