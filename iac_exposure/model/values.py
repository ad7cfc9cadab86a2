"""Values that know where they came from.

Only adapters decide an `Origin`. A DEFAULT value carries the span of the block that would hold it, and
`missing` names the keys a patch must create under that block (outermost first), so a patch inserts; an
EXPLICIT value's span is the text to replace. A DEFAULT with no `missing` keys cannot be inserted there: the
block has no such attribute (a spot fleet launch specification has no MetadataOptions), or an intrinsic left
it out (CloudFormation `AWS::NoValue`, named in `via`).
"""

from __future__ import annotations

from enum import Enum
from typing import Any, Generic, TypeVar

from .._records import record
from ..source import Span

T = TypeVar("T")


class Origin(str, Enum):
    EXPLICIT = "explicit"  # written in the source
    DEFAULT = "default"  # absent: the AWS/provider default applies
    UNKNOWN = "unknown"  # an expression we could not evaluate


@record
class Ref:
    """A reference to another resource of the same model, by its address (`aws_iam_role.app`, `AppRole`)."""

    address: str
    attribute: str = ""


@record
class Sourced(Generic[T]):
    value: T | None
    origin: Origin
    key: str
    span: Span | None
    missing: tuple[str, ...] = ()
    via: str | None = None  # the reference the value came through (`var.cidr`), when it is not written here

    @property
    def known(self) -> bool:
        return self.origin is not Origin.UNKNOWN

    @property
    def explicit(self) -> bool:
        return self.origin is Origin.EXPLICIT

    def items(self) -> tuple[Sourced[Any], ...]:
        """The elements of a list value (a scalar counts as a one-element list; unset as none)."""
        if isinstance(self.value, tuple):
            return self.value
        if self.value is None:
            return ()
        return (self,)

    def plain(self) -> Any:
        """The value with every nested `Sourced` unwrapped (unknown parts become None)."""
        return plain(self)


def plain(value: Any) -> Any:
    if isinstance(value, Sourced):
        return plain(value.value)
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def default(key: str, block: Span | None, *missing: str, value: Any = None) -> Sourced[Any]:
    """An absent attribute: `block` is the span of the block that would hold it."""
    return Sourced(value, Origin.DEFAULT, key, block, missing or (key,))


def unknown(key: str, span: Span | None, via: str | None = None) -> Sourced[Any]:
    return Sourced(None, Origin.UNKNOWN, key, span, (), via)


def as_list(value: Sourced[Any]) -> Sourced[Any]:
    """A single reference as a one-element list, so links are read the same way as lists."""
    if value.origin is Origin.EXPLICIT and value.value is not None and not isinstance(value.value, tuple):
        return Sourced((value,), value.origin, value.key, value.span, value.missing, value.via)
    return value


def join_lists(*values: Sourced[Any]) -> Sourced[Any]:
    """Several list attributes or properties naming the same kind of thing (group ids and names) read as one."""
    present = [v for v in values if v.origin is not Origin.DEFAULT]
    if not present:
        return values[0]
    if len(present) == 1:
        return as_list(present[0])
    if any(v.origin is Origin.UNKNOWN for v in present):
        return Sourced(None, Origin.UNKNOWN, present[0].key, present[0].span)
    items = tuple(item for v in present for item in as_list(v).items())
    return Sourced(items, Origin.EXPLICIT, present[0].key, present[0].span)
