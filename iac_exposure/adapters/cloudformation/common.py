"""Reading evaluated properties: an absent property becomes a DEFAULT anchored on the nearest mapping."""

from __future__ import annotations

from typing import Any

from ..._records import record
from ...model.values import Origin, Sourced, default, unknown
from ...source import Span

AnySourced = Sourced[Any]


class Block:
    """One mapping of a resource's properties, as evaluated, or one that is absent (`value is None`): then
    `anchor` is the mapping it would be inserted into and `path` the keys to create on the way."""

    def __init__(self, value: AnySourced | None, anchor: Span | None, path: tuple[str, ...] = ()) -> None:
        self.value = value
        self.anchor = anchor
        self.path = path

    @property
    def present(self) -> bool:
        return self.value is not None and isinstance(self.value.value, dict)

    @property
    def span(self) -> Span | None:
        return self.value.span if self.value is not None else self.anchor

    def get(self, name: str, default_value: Any = None) -> AnySourced:
        value = self.value
        if value is None:
            return default(name, self.anchor, *self.path, name, value=default_value)
        if isinstance(value.value, dict):
            if name in value.value:
                found: AnySourced = value.value[name]
                if found.origin is Origin.DEFAULT and default_value is not None:
                    return Sourced(default_value, found.origin, found.key, found.span, found.missing, found.via)
                return found
            if value.via is not None:  # a mapping taken from elsewhere (Fn::FindInMap): not inserted into here
                return Sourced(default_value, Origin.DEFAULT, name, value.span, (), value.via)
            return default(name, value.span, name, value=default_value)
        if value.origin is Origin.DEFAULT:  # left out by an intrinsic: absent, and nowhere to insert it
            return Sourced(default_value, Origin.DEFAULT, name, value.span, (), value.via)
        return unknown(name, value.span, value.via)

    def get_bool(self, name: str, default_value: bool | None = None) -> AnySourced:
        """A boolean, also when written as a string (CloudFormation takes "true"/"false")."""
        value = self.get(name, default_value)
        if isinstance(value.value, str) and value.origin is Origin.EXPLICIT:
            parsed = {"true": True, "false": False}.get(value.value.strip().lower())
            return Sourced(parsed, value.origin, value.key, value.span, value.missing, value.via)
        return value

    def get_str(self, name: str, default_value: Any = None) -> AnySourced:
        """A scalar as a string (numbers written as numbers too): protocols."""
        value = self.get(name, default_value)
        if isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            return Sourced(str(value.value), value.origin, value.key, value.span, value.missing, value.via)
        return value

    def get_int(self, name: str) -> AnySourced:
        """An integer, also when written as a string ("100")."""
        value = self.get(name)
        if isinstance(value.value, str) and value.value.strip().lstrip("-").isdigit():
            return Sourced(int(value.value), value.origin, value.key, value.span, value.missing, value.via)
        return value

    def nested(self, name: str) -> Block:
        """A nested mapping, or an absent one to insert into this mapping."""
        child = self.get(name)
        if child.origin is Origin.DEFAULT and child.missing:
            return Block(None, child.span, child.missing)
        return Block(child, child.span)

    def items(self, name: str) -> list[Block]:
        """The mappings of a list property."""
        return [Block(item, item.span) for item in self.get(name).items() if isinstance(item.value, dict)]


@record
class ResourceEntry:
    """A resource of the template about to be adapted, with its properties evaluated."""

    type: str
    name: str  # logical id
    span: Span  # from the logical id to the end of its definition
    props: Block

    def aliases(self, *names: str) -> tuple[str, ...]:
        found = []
        for name in names:
            value = self.props.get(name)
            if value.explicit and isinstance(value.value, str):
                found.append(value.value)
        return tuple(found)
