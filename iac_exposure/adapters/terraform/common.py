"""Reading blocks: an absent attribute or nested block becomes a DEFAULT anchored on the nearest block."""

from __future__ import annotations

from typing import Any

from ..._records import record
from ...model.values import Origin, Sourced, default
from ...parsers.terraform_hcl import HclBlock
from ...source import Span
from .evaluator import Evaluator

AnySourced = Sourced[Any]


class BlockReader:
    """One block (or a block that is absent: `block is None`, `anchor` is where it would be inserted)."""

    def __init__(self, ev: Evaluator, block: HclBlock | None, anchor: Span, path: tuple[str, ...] = ()) -> None:
        self.ev = ev
        self.block = block
        self.anchor = anchor
        self.path = path

    @property
    def present(self) -> bool:
        return self.block is not None

    @property
    def span(self) -> Span:
        return self.block.span if self.block is not None else self.anchor

    def get(self, name: str, default_value: Any = None) -> AnySourced:
        if self.block is not None and name in self.block.attributes:
            return self.ev.attribute(self.block.attributes[name])
        return default(name, self.anchor, *self.path, name, value=default_value)

    def get_bool(self, name: str, default_value: bool | None = None) -> AnySourced:
        """A boolean, also when written as a string (`"true"`, as launch templates take it)."""
        value = self.get(name, default_value)
        if isinstance(value.value, str) and value.origin is Origin.EXPLICIT:
            word = value.value.strip().lower()
            parsed = {"true": True, "false": False, "": None}.get(word)
            return Sourced(parsed, value.origin, value.key, value.span, value.missing, value.via)
        return value

    def get_str(self, name: str, default_value: Any = None) -> AnySourced:
        """A scalar as a string (numbers written as numbers too): protocols, ports as text."""
        value = self.get(name, default_value)
        if isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
            return Sourced(str(value.value), value.origin, value.key, value.span, value.missing, value.via)
        return value

    def nested(self, name: str) -> BlockReader:
        """The first nested block of that type (`dynamic` ones too), or an absent one to insert into this
        block."""
        if self.block is not None:
            found = self.all(name)
            if found:
                return found[0]
            return BlockReader(self.ev, None, self.block.span, (name,))
        return BlockReader(self.ev, None, self.anchor, (*self.path, name))

    def all(self, name: str) -> list[BlockReader]:
        """Every nested block of that type; a `dynamic` block gives one per element of its collection, read
        with its iterator bound (absent attributes are inserted into its `content`)."""
        if self.block is None:
            return []
        return [BlockReader(ev, b, b.span) for b, ev in self.ev.blocks(self.block, name)]


@record
class ResourceBlock:
    """A top-level `resource` block about to be adapted."""

    type: str
    name: str
    address: str
    reader: BlockReader

    def for_each_element(self, value: AnySourced) -> bool:
        """The value is an element of this block's `for_each` set (`each.value` where `each.key` is the element
        itself: a set, not a map), so removing it from the set removes this instance."""
        each = self.reader.ev.bindings.get("each")
        if each is None or not isinstance(each.value, dict):
            return False
        element = each.value.get("value")
        return element is value and each.value.get("key") is value and value.span is not None and value.explicit

    def aliases(self, *attrs: str) -> tuple[str, ...]:
        found = []
        for attr in attrs:
            value = self.reader.get(attr)
            if value.explicit and isinstance(value.value, str):
                found.append(value.value)
        return tuple(found)


def first_set(block: BlockReader, *names: str) -> AnySourced:
    """The first of several alternative attributes that is set (`id` or `name`)."""
    for name in names:
        value = block.get(name)
        if value.origin is not Origin.DEFAULT:
            return value
    return block.get(names[0])
