"""A fast CloudFormation decoder: what `cfnlint.decode.decode_str` returns for a valid template, without cfn-lint.

Importing anything from cfn-lint imports all of it (0.7-1.7 s); PyYAML alone takes ~40 ms. This decoder composes
the text with the same parser cfn-lint uses (PyYAML's, its C one when built: JSON templates are read as YAML
too), so every mark is the one cfn-lint would give, then builds the same values:

- mappings, sequences and strings as `dict`/`list`/`str` subclasses carrying the node's `start_mark` and
  `end_mark`; numbers, booleans, nulls and timestamps as PyYAML's safe constructors make them, with no marks;
- a short-form intrinsic (`!Ref X`, `!Sub [...]`, `!Whatever ...`) as a one-key mapping with the tagged node's
  marks, its key `Ref`/`Condition` or `Fn::<tag>` without marks; a scalar argument is a plain `str` (the raw
  text, whatever it reads as), a sequence or mapping argument a plain `list`/`dict` whose elements are built
  as everywhere else; `!GetAtt a.b` is a marked list `["a", "b"]` of plain strings, `!GetAtt [a, b]` a marked
  list of its elements;
- aliases give the anchored value itself (the same object).

Whatever cfn-lint would reject, or turn into something this module does not build (duplicate or null keys,
merge keys, tags such as `!!set` or `!!binary`, alias expansion beyond cfn-lint's bound, a text PyYAML does
not compose), raises `Unsure`, or the error PyYAML raised: the caller then uses cfn-lint's decoder, which
gives its own result or error message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml  # type: ignore[import-untyped]
from yaml.constructor import SafeConstructor  # type: ignore[import-untyped]
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode  # type: ignore[import-untyped]

# libyaml's parser when PyYAML was built with it, as cfn-lint's loader does (the same marks): ~14x faster
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_TAG = "tag:yaml.org,2002:"
_STR = _TAG + "str"
_MAP = _TAG + "map"
_SEQ = _TAG + "seq"
# the implicit and explicit scalar types both decoders construct with PyYAML's safe constructors
_SCALARS: dict[str, Callable[[Any, ScalarNode], Any]] = {
    _TAG + "null": SafeConstructor.construct_yaml_null,
    _TAG + "bool": SafeConstructor.construct_yaml_bool,
    _TAG + "int": SafeConstructor.construct_yaml_int,
    _TAG + "float": SafeConstructor.construct_yaml_float,
    _TAG + "timestamp": SafeConstructor.construct_yaml_timestamp,
}
_UNPREFIXED = ("Ref", "Condition")  # short forms whose long form has no `Fn::` prefix
MAX_EXPANDED_NODES = 250_000  # cfn-lint rejects templates larger than this once aliases are expanded


class Unsure(Exception):
    """The text is something this decoder does not build as cfn-lint would: use cfn-lint's decoder."""


class MarkedStr(str):
    """A string with the marks of its node."""

    start_mark: Any
    end_mark: Any


class MarkedDict(dict[Any, Any]):
    """A mapping with the marks of its node."""

    __slots__ = ("end_mark", "start_mark")

    def __init__(self, start_mark: Any, end_mark: Any) -> None:
        super().__init__()
        self.start_mark = start_mark
        self.end_mark = end_mark


class MarkedList(list[Any]):
    """A sequence with the marks of its node."""

    __slots__ = ("end_mark", "start_mark")

    def __init__(self, items: list[Any], start_mark: Any, end_mark: Any) -> None:
        super().__init__(items)
        self.start_mark = start_mark
        self.end_mark = end_mark


class LineMark:
    """A 0-based line/column mark (cfn-lint's for the empty template)."""

    __slots__ = ("column", "line")

    def __init__(self, line: int, column: int) -> None:
        self.line = line
        self.column = column


def _marked_str(value: str, node: Node) -> MarkedStr:
    marked = MarkedStr(value)
    marked.start_mark = node.start_mark
    marked.end_mark = node.end_mark
    return marked


def decode(text: str) -> Any:
    """The template as cfn-lint's decoder gives it. Raises `Unsure` or PyYAML's error when cfn-lint's decoder
    must decide."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            template = None
        else:
            builder = _Builder(loader, aliased="&" in text)
            template = builder.build(root)
            if builder.memo is not None:  # cfn-lint bounds any text with an `&` (most have no alias)
                _check_expansion(template)
    finally:
        loader.dispose()
    if template is None:  # an empty document (or `null`): cfn-lint gives an empty template
        return MarkedDict(LineMark(0, 0), LineMark(0, 0))
    return template


class _Builder:
    def __init__(self, loader: Any, aliased: bool) -> None:
        self.loader = loader
        # only a text with an anchor can have aliases: a node met twice is built once, the same object
        self.memo: dict[int, Any] | None = {} if aliased else None

    def build(self, node: Node) -> Any:
        memo = self.memo
        if memo is not None:
            key = id(node)
            if key in memo:
                built = memo[key]
                if built is _BUILDING:
                    raise Unsure("a recursive alias")
                return built
            memo[key] = _BUILDING
            built = self._build(node)
            memo[key] = built
            return built
        return self._build(node)

    def _build(self, node: Node) -> Any:
        tag = node.tag
        kind = type(node)
        if kind is ScalarNode:
            if tag == _STR:
                return _marked_str(node.value, node)
            construct = _SCALARS.get(tag)
            if construct is not None:
                return construct(self.loader, node)
        elif kind is MappingNode and tag == _MAP:
            return self.mapping(node)
        elif kind is SequenceNode and tag == _SEQ:
            return MarkedList([self.build(item) for item in node.value], node.start_mark, node.end_mark)
        if tag.startswith("!"):
            return self.intrinsic(node, tag[1:])
        raise Unsure(f"the tag {tag}")

    def mapping(self, node: MappingNode) -> MarkedDict:
        out = MarkedDict(node.start_mark, node.end_mark)
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise Unsure("a merge key")
            key = self.build(key_node)
            if key is None:
                raise Unsure("a null key")
            value = self.build(value_node)
            if key in out:  # raises TypeError on an unhashable key
                raise Unsure(f"the duplicate key {key!r}")
            out[key] = value
        return out

    def intrinsic(self, node: Node, name: str) -> MarkedDict:
        """`!Name argument` as `{"Fn::Name": argument}` (`Ref` and `Condition` keep their name)."""
        function = name if name in _UNPREFIXED else f"Fn::{name}"
        argument: Any
        if function == "Fn::GetAtt":
            if isinstance(node, ScalarNode):
                argument = MarkedList(node.value.split(".", 1), node.start_mark, node.end_mark)
            elif isinstance(node, SequenceNode):
                argument = MarkedList([self.build(item) for item in node.value], node.start_mark, node.end_mark)
            else:
                raise Unsure("!GetAtt of a mapping")
        elif isinstance(node, ScalarNode):
            argument = node.value
        elif isinstance(node, SequenceNode):
            argument = [self.build(item) for item in node.value]
        else:
            argument = {}
            for key_node, value_node in node.value:
                if key_node.tag == _TAG + "merge":
                    raise Unsure("a merge key")
                # no duplicate check here in cfn-lint: the last value wins, in the first key's place
                argument[self.build(key_node)] = self.build(value_node)
        out = MarkedDict(node.start_mark, node.end_mark)
        out[function] = argument
        return out


_BUILDING = object()


def _check_expansion(template: Any) -> None:
    """Raise `Unsure` when the template, aliases expanded, has more nodes than cfn-lint accepts."""
    sizes: dict[int, int] = {}

    def size(value: Any) -> int:
        known = sizes.get(id(value))
        if known is not None:
            return known
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            return 1
        total = 1
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED_NODES:
                raise Unsure("aliases expand beyond cfn-lint's bound")
        sizes[id(value)] = total
        return total

    size(template)
