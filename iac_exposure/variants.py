"""Findings of a unit read in several variants (readings under assumptions the scan cannot decide): one that
holds in every variant is reported as is; one that holds in some only says the fewest assumptions it needs,
so a trait fires when either branch of an undecidable condition would, and says so."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

from ._records import replace
from .findings import Finding
from .readers import Variant

_Key = tuple[str, str, str, int, int, str]


def merge(variants: list[Variant], found: list[list[Finding]]) -> list[Finding]:
    """One list of findings from each variant's (`found[i]` holds in `variants[i]`)."""
    return list(_merged(variants, found))


def _key(finding: Finding) -> _Key:
    loc = finding.location
    where = (loc.file.display, loc.start, loc.end) if loc else ("", -1, -1)
    return (finding.trait.id, finding.resource.address, *where, finding.message)


def _merged(variants: list[Variant], found: list[list[Finding]]) -> Iterator[Finding]:
    first: dict[_Key, Finding] = {}
    holds: dict[_Key, set[int]] = {}
    for index, findings in enumerate(found):
        for finding in findings:
            key = _key(finding)
            first.setdefault(key, finding)
            holds.setdefault(key, set()).add(index)
    for key, finding in first.items():
        where = holds[key]
        if len(where) == len(variants):
            yield finding
        else:
            yield replace(finding, message=f"{finding.message} ({_assumption(variants, where)})")


def _assumption(variants: list[Variant], where: set[int]) -> str:
    """The fewest assumptions of a variant the finding holds in, under which it holds in every variant."""
    base = variants[min(where)].assumptions
    for size in range(1, len(base) + 1):
        for subset in combinations(base, size):
            sharing = [i for i, v in enumerate(variants) if set(subset) <= set(v.assumptions)]
            if all(i in where for i in sharing):
                said = " and ".join(f"{what} is {value}" for what, value in subset)
                verb = "it cannot" if size == 1 else "they cannot"
                return f"assuming {said}: {verb} be evaluated before deployment"
    return "under assumptions that cannot be evaluated before deployment"
