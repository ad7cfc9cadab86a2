"""What a trait reports."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from ._records import field, record
from .model.aws import Resource
from .source import Span

if TYPE_CHECKING:
    from .patches.remedies import Remedy


class Category(str, Enum):
    MISCONFIGURATION = "misconfiguration"
    REACHABILITY = "reachability"
    VULNERABILITY = "vulnerability"


class Severity(str, Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class Applicability(str, Enum):
    SAFE = "safe"  # no behaviour change
    UNSAFE = "unsafe"  # changes behaviour: applied only with --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # a suggestion, never applied


@record
class TraitMeta:
    id: str
    category: Category
    severity: Severity
    title: str  # Security Hub's title of the trait
    fix_title: str  # imperative


@record
class Finding:
    trait: TraitMeta
    resource: Resource  # the exposed compute resource (or the SG/NACL/role itself when unattached)
    source_resource: Resource  # where the offending configuration is written
    location: Span | None
    message: str
    remedy: Remedy | None
    evidence: tuple[str, ...] = field(default=())
    # the offending text the baseline fingerprints, kept when the remedy is let go (`slimmed`)
    offending: str | None = None

    def offending_text(self) -> str:
        """The offending setting as the baseline fingerprints it (whitespace folded), or `unset KEY` when
        the finding points at a block that lacks the key."""
        if self.offending is not None:
            return self.offending
        from .model.values import Origin, Sourced

        action = self.remedy.action if self.remedy is not None else None
        target = getattr(action, "target", None)
        if isinstance(target, Sourced) and target.origin is Origin.DEFAULT and target.span == self.location:
            return "unset " + ".".join(target.missing or (target.key,))
        return " ".join(self.location.text.split()) if self.location is not None else ""

    def slimmed(self) -> Finding:
        """This finding once patched: its resources as references and no remedy, so a report of many
        findings does not hold every unit's model."""
        from ._records import replace
        from .model.aws import ref

        resource = ref(self.resource)
        source = resource if self.source_resource is self.resource else ref(self.source_resource)
        return replace(self, resource=resource, source_resource=source, remedy=None, offending=self.offending_text())

    @property
    def sort_key(self) -> tuple[str, int, str, str]:
        loc = self.location
        return (loc.file.display if loc else "", loc.start if loc else 0, self.trait.id, self.resource.address)
