"""A `BlockReader` over one block of a plan, so the Terraform adapters read plans exactly as they read HCL.

Each value is decided from three sources: the planned value (`change.after`), whether it is known only after
apply (`after_unknown`), and whether the configuration writes it (the plan's `configuration` expressions).

| configuration | plan value | origin |
|---|---|---|
| not written | unknown | DEFAULT with no value: AWS or the provider decides at apply (e.g. `metadata_options` → IMDSv1 allowed) |
| not written | known | DEFAULT with that value (a provider default, or the state of an existing resource) |
| written | known | EXPLICIT with that value |
| written | unknown | its references when they name resources of the plan (links), else what the HCL evaluates to, else UNKNOWN |

Spans come from the `.tf` source when it is on disk (the attribute's expression, down to list elements; an
absent value is anchored on the block that would hold it, so the HCL writer inserts it). Otherwise, or when a
value has no literal text of its own (a `dynamic` block), spans point into the plan JSON, which is never
patched.
"""

from __future__ import annotations

import json
from typing import Any

from ..._records import record
from ...model.values import Origin, Ref, Sourced, default, unknown
from ...parsers.json_spans import JsonNode
from ...parsers.terraform_hcl import HclAttribute, HclBlock, node_span
from ...source import SourceFile, Span
from ..terraform.common import BlockReader
from ..terraform.evaluator import Evaluator
from .references import LINK_ATTRIBUTES, References, most_specific

AnySourced = Sourced[Any]


class _Written:
    """The configuration of a block set as a whole by one expression (an attribute-as-blocks like a security
    group's `ingress = [...]`, or a `dynamic` block): everything in it is written, nothing individually."""


WRITTEN = _Written()
Config = dict[str, Any] | _Written | None  # None: the block is not in the configuration


@record
class PlanContext:
    refs: References
    module: str  # the module instance address of the resource (`module.app`, "" for the root)
    plan: SourceFile
    entry: Span  # the resource's `resource_changes` element in the plan
    data_sources: frozenset[str] = frozenset()  # addresses of the data sources the model reads


class PlanBlockReader(BlockReader):
    def __init__(
        self,
        ctx: PlanContext,
        ev: Evaluator,
        hcl: HclBlock | None,
        anchor: Span,
        path: tuple[str, ...],
        after: Any,
        after_unknown: Any,
        config: Config,
        node: JsonNode | None,
        present: bool,
    ) -> None:
        super().__init__(ev, hcl, anchor, path)
        self.ctx = ctx
        self.after = after if isinstance(after, dict) else {}
        self.after_unknown = after_unknown
        self.config = config
        self.node = node
        self._present = present

    @property
    def present(self) -> bool:
        return self._present

    # -- attributes ------------------------------------------------------------------------------------

    def get(self, name: str, default_value: Any = None) -> AnySourced:
        written, cfg = self._config(name)
        attr = self.block.attributes.get(name) if self.block is not None else None
        unknown_mark = self._unknown(name)
        value = self.after.get(name)
        if unknown_mark is True:
            if not written:
                return default(name, self.anchor, *self.path, name, value=default_value)
            return self._unknown_written(name, cfg, attr)
        if value is None or (not written and value in ([], {})):
            return default(name, self.anchor, *self.path, name, value=default_value)
        vnode = self.node.get(name) if self.node is not None else None
        if not written:
            return _defaulted(value, name, self.anchor, (*self.path, name))
        hv = self.ev.attribute(attr) if attr is not None else None
        fallback = node_span(attr.file, attr.expr) if attr is not None else self._plan_span(vnode)
        link = self._data_link(name, cfg, hv, fallback)
        if link is not None:
            return link
        return self._merge(name, value, unknown_mark, hv, vnode, fallback, _via(cfg))

    def _data_link(self, name: str, cfg: Any, hv: AnySourced | None, span: Span) -> AnySourced | None:
        """A value written as just a reference to a data source the model reads (`data.aws_ami.x.id`): the
        link, not the id the plan substituted, so what the lookup selects by counts too."""
        refs = cfg.get("references") if isinstance(cfg, dict) else None
        if hv is not None:  # the HCL tells the expression is the bare reference
            if not isinstance(hv.value, Ref) or not hv.value.address.startswith("data."):
                return None
            ref, attribute, span = hv.value.address, hv.value.attribute, hv.span or span
        else:  # without the source: an expression whose only reference is the data source's attribute
            specific = most_specific([r for r in refs if isinstance(r, str)]) if isinstance(refs, list) else []
            if len(specific) != 1 or not specific[0].startswith("data.") or specific[0].count(".") != 3:
                return None
            ref, _, attribute = specific[0].rpartition(".")
        resolved = self.ctx.refs.resolve([ref], self.ctx.module).addresses
        if len(resolved) != 1 or resolved[0] not in self.ctx.data_sources:
            return None
        return Sourced(Ref(resolved[0], attribute), Origin.EXPLICIT, name, span)

    def _merge(
        self, key: str, value: Any, mark: Any, hv: AnySourced | None, vnode: JsonNode | None, fallback: Span,
        via: str | None,
    ) -> AnySourced:  # fmt: skip
        """The planned value, with the spans of the HCL value `hv` where its structure matches."""
        here = self._where(hv, vnode, fallback)
        if isinstance(value, str) and hv is not None and isinstance(hv.value, (tuple, dict)):
            decoded = _json(value)  # a policy written with jsonencode(...): keep the spans of its elements
            if isinstance(decoded, (list, dict)):
                value, vnode = decoded, None
        if mark is True:
            return unknown(key, here, via or (hv.via if hv is not None else None))
        if isinstance(value, (list, dict)):
            h_inner: Any = None
            if isinstance(value, list):
                keys: list[Any] = list(range(len(value)))
                if hv is not None and isinstance(hv.value, tuple):
                    h_inner = _pair_items(value, hv.value)
                n_inner = (
                    vnode.value if vnode is not None and vnode.is_array and len(vnode.value) == len(value) else None
                )
            else:
                keys = list(value)
                h_inner = hv.value if hv is not None and isinstance(hv.value, dict) else None
                n_inner = vnode.value if vnode is not None and vnode.is_object else None
            merged = {
                k: self._merge(
                    key if isinstance(k, int) else k,
                    value[k],
                    _mark(mark, k),
                    _item(h_inner, k),
                    _item(n_inner, k),
                    # an element the HCL list does not hold (sets are reordered) has no text of its own there
                    here if h_inner is None or _item(h_inner, k) is not None else self._plan_span(_item(n_inner, k)),
                    via,
                )
                for k in keys
            }
            inner: Any = tuple(merged.values()) if isinstance(value, list) else merged
            return Sourced(inner, Origin.EXPLICIT, key, here, (), hv.via if hv is not None else via)
        if hv is not None and hv.known and _same(hv.value, value):
            return Sourced(value, Origin.EXPLICIT, key, hv.span, (), hv.via)
        return Sourced(value, Origin.EXPLICIT, key, here, (), via or (hv.via if hv is not None else None))

    def _where(self, hv: AnySourced | None, vnode: JsonNode | None, fallback: Span) -> Span:
        """The text a value has of its own: its HCL expression (unless it comes through a variable), else
        the attribute's expression or its place in the plan."""
        if hv is not None and hv.via is None and hv.span is not None:
            return hv.span
        if hv is None and vnode is not None and fallback.file is self.ctx.plan:
            return self._plan_span(vnode)
        return fallback

    def _unknown_written(self, name: str, cfg: Any, attr: HclAttribute | None) -> AnySourced:
        """A written value known only after apply: what it links to, or what the HCL says, or unknown."""
        span = node_span(attr.file, attr.expr) if attr is not None else self._plan_span(None)
        if attr is not None:
            hv = self.ev.attribute(attr)
            if hv.known:
                return self._absolute(hv)
        refs = cfg.get("references") if isinstance(cfg, dict) else None
        resolved = self.ctx.refs.resolve(refs, self.ctx.module)
        if resolved.complete and resolved.addresses:
            links = tuple(Sourced(Ref(a), Origin.EXPLICIT, name, span) for a in resolved.addresses)
            return links[0] if len(links) == 1 else Sourced(links, Origin.EXPLICIT, name, span)
        return unknown(name, span, _via(cfg))

    def _absolute(self, value: AnySourced) -> AnySourced:
        """An HCL value with its module-relative resource references made plan instance addresses."""
        inner = value.value
        if isinstance(inner, Ref):
            resolved = self.ctx.refs.resolve([inner.address], self.ctx.module)
            if len(resolved.addresses) != 1 or inner.attribute not in LINK_ATTRIBUTES:
                return unknown(value.key, value.span, value.via)
            inner = Ref(resolved.addresses[0], inner.attribute)
        elif isinstance(inner, tuple):
            inner = tuple(self._absolute(v) for v in inner)
        elif isinstance(inner, dict):
            inner = {k: self._absolute(v) for k, v in inner.items()}
        return Sourced(inner, value.origin, value.key, value.span, value.missing, value.via)

    # -- nested blocks ---------------------------------------------------------------------------------

    def nested(self, name: str) -> BlockReader:
        written, cfg = self._config(name)
        objects = self._objects(name)
        if written or self._dynamic(name):
            obj, mark, node = objects[0] if objects else ({}, self._unknown(name), None)
            literal = self.block.nested(name) if self.block is not None and not self._dynamic(name) else []
            config = cfg[0] if isinstance(cfg, list) and cfg and isinstance(cfg[0], dict) else WRITTEN
            return self._block(obj, mark, node, config, literal[0] if literal else None)
        # absent from the configuration: what the plan knows (an existing resource's state) are defaults
        obj, mark, node = objects[0] if objects else ({}, self._unknown(name), None)
        anchor, path = (self.block.span, (name,)) if self.block is not None else (self.anchor, (*self.path, name))
        return PlanBlockReader(self.ctx, self.ev, None, anchor, path, obj, mark, None, node, present=False)

    def all(self, name: str) -> list[BlockReader]:
        written, cfg = self._config(name)
        dynamic = self._dynamic(name)
        if not written and not dynamic:
            return []  # blocks only the provider or AWS filled in are not the user's
        objects = self._objects(name)
        afters = [obj for obj, _, _ in objects]
        if isinstance(cfg, list) and not dynamic:
            configs: list[Config] = list(_pair(afters, [c for c in cfg if isinstance(c, dict)], _constants))
        else:
            configs = [WRITTEN] * len(objects)
        hcls = self._hcl_blocks(name, afters)
        return [
            self._block(obj, mark, node, config if config is not None else WRITTEN, hcl)
            for (obj, mark, node), config, hcl in zip(objects, configs, hcls)
        ]

    def _dynamic(self, name: str) -> bool:
        """A `dynamic` block generates blocks of that type (the plan's configuration omits them)."""
        return self.block is not None and any(
            b.type == "dynamic" and b.labels[:1] == (name,) for b in self.block.blocks
        )

    def _block(
        self, obj: Any, mark: Any, node: JsonNode | None, config: Config, hcl: HclBlock | None
    ) -> PlanBlockReader:
        anchor = hcl.span if hcl is not None else self._plan_span(node)
        return PlanBlockReader(self.ctx, self.ev, hcl, anchor, (), obj, mark, config, node, present=True)

    def _hcl_blocks(self, name: str, afters: list[Any]) -> list[HclBlock | None]:
        """The literal HCL block each planned block was written as (matched on the values both know)."""
        if self.block is None:
            return [None] * len(afters)
        return _pair(afters, self.block.nested(name), self._hcl_constants)

    def _hcl_constants(self, block: HclBlock) -> dict[str, Any]:
        found = {}
        for key, attr in block.attributes.items():
            ok, value = _plain_known(self.ev.attribute(attr))
            if ok:
                found[key] = value
        return found

    # -- plumbing --------------------------------------------------------------------------------------

    def _config(self, name: str) -> tuple[bool, Any]:
        if isinstance(self.config, _Written):
            # written as a whole; its literal HCL block, when there is one, tells what is written in it
            if self.block is None:
                return True, WRITTEN
            return name in self.block.attributes or bool(self.block.nested(name)) or self._dynamic(name), WRITTEN
        if isinstance(self.config, dict) and name in self.config:
            return True, self.config[name]
        return False, None

    def _unknown(self, name: str) -> Any:
        if self.after_unknown is True:
            return True
        return self.after_unknown.get(name) if isinstance(self.after_unknown, dict) else None

    def _objects(self, name: str) -> list[tuple[Any, Any, JsonNode | None]]:
        """The planned blocks of that type that are known: (values, after_unknown, JSON node)."""
        value = self.after.get(name)
        mark = self._unknown(name)
        node = self.node.get(name) if self.node is not None else None
        if mark is True or value is None:
            return []
        values = value if isinstance(value, list) else [value]
        marks = mark if isinstance(mark, list) else [mark] * len(values)
        nodes = node.value if node is not None and node.is_array else [node] * len(values)
        return [
            (v, marks[i] if i < len(marks) else None, nodes[i] if i < len(nodes) else None)
            for i, v in enumerate(values)
            if isinstance(v, dict)
        ]

    def _plan_span(self, node: JsonNode | None) -> Span:
        """Where a value is in the plan: its own JSON value, else its block's, else the resource's entry."""
        found = node or self.node
        return Span(self.ctx.plan, found.start, found.end) if found is not None else self.ctx.entry


def _defaulted(value: Any, key: str, anchor: Span, missing: tuple[str, ...]) -> AnySourced:
    if isinstance(value, list):
        value = tuple(_defaulted(v, key, anchor, missing) for v in value)
    elif isinstance(value, dict):
        value = {k: _defaulted(v, k, anchor, missing) for k, v in value.items()}
    return Sourced(value, Origin.DEFAULT, key, anchor, missing)


def _via(cfg: Any) -> str | None:
    """What a written value comes through when its text is not the value (a variable, a data source, another
    resource): the HCL writer then changes nothing there and says where to look."""
    refs = cfg.get("references") if isinstance(cfg, dict) else None
    return next((r for r in refs if isinstance(r, str)), None) if isinstance(refs, list) else None


def _mark(mark: Any, key: Any) -> Any:
    if isinstance(mark, list) and isinstance(key, int) and key < len(mark):
        return mark[key]
    if isinstance(mark, dict) and isinstance(key, str):
        return mark.get(key)
    return None


def _item(container: Any, key: Any) -> Any:
    if isinstance(container, (list, tuple)) and isinstance(key, int) and key < len(container):
        return container[key]
    if isinstance(container, dict):
        return container.get(key)
    return None


def _same(written: Any, planned: Any) -> bool:
    """Equal as Terraform converts them (a launch template's `"true"` is `true`, a port `"22"` is 22)."""
    if isinstance(written, (bool, int, float)) or isinstance(planned, (bool, int, float)):
        return str(written).lower() == str(planned).lower()
    return bool(written == planned)


def _pair_items(planned: list[Any], written: tuple[AnySourced, ...]) -> list[AnySourced | None]:
    """The HCL element each planned list element was written as. Sets come back sorted, so equal values pair
    first; the rest pair in order with elements whose value the HCL cannot tell (variables, references)."""
    result: list[AnySourced | None] = [None] * len(planned)
    known = [_plain_known(w) for w in written]
    used: set[int] = set()
    for i, value in enumerate(planned):
        for j, (ok, plain) in enumerate(known):
            if j not in used and ok and _agrees(plain, value):
                result[i] = written[j]
                used.add(j)
                break
    unknown_left = [j for j, (ok, _) in enumerate(known) if not ok and j not in used]
    for i in range(len(planned)):
        if result[i] is None and unknown_left:
            result[i] = written[unknown_left.pop(0)]
    return result


def _plain_known(value: AnySourced) -> tuple[bool, Any]:
    """The plain value when it is fully known and holds no reference."""
    if not value.known or isinstance(value.value, Ref):
        return False, None
    if isinstance(value.value, tuple):
        items = [_plain_known(v) for v in value.value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if isinstance(value.value, dict):
        members = {k: _plain_known(v) for k, v in value.value.items()}
        return all(ok for ok, _ in members.values()), {k: v for k, (_, v) in members.items()}
    return True, value.value


def _constants(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v["constant_value"] for k, v in block.items() if isinstance(v, dict) and "constant_value" in v}


def _pair(afters: list[Any], candidates: list[Any], known: Any) -> list[Any]:
    """For each planned block, the written block (configuration or HCL) that agrees with it on most known
    values; disagreements are tolerated but count against (providers normalise: protocol "6" plans as "tcp").
    None when every candidate disagrees more than it agrees."""
    chosen: list[Any] = []
    used: set[int] = set()
    values = [known(c) for c in candidates]
    for after in afters:
        best, best_score = None, -1
        for j, cand in enumerate(values):
            if j in used:
                continue
            agree = [_agrees(v, after.get(k) if isinstance(after, dict) else None) for k, v in cand.items()]
            score = 2 * sum(agree) - len(agree)
            if score >= 0 and score > best_score:
                best, best_score = j, score
        if best is not None:
            used.add(best)
        chosen.append(candidates[best] if best is not None else None)
    return chosen


def _agrees(written: Any, planned: Any) -> bool:
    if isinstance(written, (list, dict)) and isinstance(planned, str):
        planned = _json(planned)  # jsonencode(...) in HCL, a JSON string in the plan
    if isinstance(written, list):
        return (
            isinstance(planned, list)
            and len(written) == len(planned)
            and all(_agrees(w, p) for w, p in zip(written, planned))
        )
    if isinstance(written, dict):
        return isinstance(planned, dict) and all(_agrees(v, planned.get(k)) for k, v in written.items())
    if written is None:
        return planned is None
    return _same(written, planned)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None
