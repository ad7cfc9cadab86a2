"""Terraform modules → model resources: a root module and every module it calls, to any depth.

A module directory is parsed once (`ModuleSource`) and evaluated once per call (`ModuleScope`): its inputs
are evaluated in the caller (a value keeps the span where the caller wrote it, so a patch lands there), its
outputs are evaluated on demand for the caller, and its resources get addresses `module.NAME.TYPE.NAME`.

`count`/`for_each` give one model resource per block: the block is evaluated for each instance (with
`count.index`/`each.key`/`each.value` bound) and, when the instances come out identical, kept once under the
block's address; when they differ, each instance is kept under its Terraform address (`aws_x.y["k"]`), so a
trait fires if any instance would. `count = 0` or an empty `for_each` creates nothing.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from ..._records import field, fields, is_record, record
from ...model.aws import Resource
from ...model.graph import OtherResource
from ...model.values import Origin, Ref, Sourced, unknown
from ...parsers.terraform_hcl import HclAttribute, HclBlock
from ...source import SourceFile, Span
from .ami import adapt_ami_lookup, adapt_ssm_parameter
from .common import BlockReader, ResourceBlock
from .ec2 import (
    adapt_autoscaling_group,
    adapt_eip,
    adapt_instance,
    adapt_launch_configuration,
    adapt_launch_template,
)
from .elb import (
    adapt_listener,
    adapt_listener_rule,
    adapt_load_balancer,
    adapt_target_attachment,
    adapt_target_group,
)
from .evaluator import MAX_INSTANCES, Budget, Evaluator, Scope, key_suffix, with_via
from .iam import adapt_instance_profile, adapt_policy, adapt_policy_attachment, adapt_role, adapt_role_policy
from .inputs import Type, convert, parse_type
from .policy_document import policy_document
from .routing import (
    adapt_gateway,
    adapt_gateway_attachment,
    adapt_peering,
    adapt_route,
    adapt_route_table,
    adapt_route_table_association,
    adapt_vpc,
    adapt_vpc_cidr_association,
    adapt_vpn,
)
from .vpc import (
    adapt_network_acl,
    adapt_network_acl_association,
    adapt_network_acl_rule,
    adapt_security_group,
    adapt_security_group_rule,
    adapt_subnet,
    adapt_vpc_security_group_rule,
)

AnySourced = Sourced[Any]
Adapter = Callable[[ResourceBlock], Iterator[Resource]]

ADAPTERS: dict[str, Adapter] = {
    "aws_instance": adapt_instance,
    "aws_spot_instance_request": adapt_instance,
    "aws_launch_template": adapt_launch_template,
    "aws_launch_configuration": adapt_launch_configuration,
    "aws_autoscaling_group": adapt_autoscaling_group,
    "aws_eip": adapt_eip,
    "aws_eip_association": adapt_eip,
    "aws_security_group": adapt_security_group,
    "aws_default_security_group": adapt_security_group,
    "aws_security_group_rule": adapt_security_group_rule,
    "aws_vpc_security_group_ingress_rule": adapt_vpc_security_group_rule,
    "aws_vpc_security_group_egress_rule": adapt_vpc_security_group_rule,
    "aws_network_acl": adapt_network_acl,
    "aws_default_network_acl": adapt_network_acl,
    "aws_network_acl_rule": adapt_network_acl_rule,
    "aws_network_acl_association": adapt_network_acl_association,
    "aws_subnet": adapt_subnet,
    "aws_default_subnet": adapt_subnet,
    "aws_iam_role": adapt_role,
    "aws_iam_instance_profile": adapt_instance_profile,
    "aws_iam_policy": adapt_policy,
    "aws_iam_role_policy": adapt_role_policy,
    "aws_iam_role_policy_attachment": adapt_policy_attachment,
    "aws_iam_policy_attachment": adapt_policy_attachment,
    "aws_iam_role_policy_attachments_exclusive": adapt_policy_attachment,
    "aws_vpc": adapt_vpc,
    "aws_default_vpc": adapt_vpc,
    "aws_vpc_ipv4_cidr_block_association": adapt_vpc_cidr_association,
    "aws_vpc_ipv6_cidr_block_association": adapt_vpc_cidr_association,
    "aws_route_table": adapt_route_table,
    "aws_default_route_table": adapt_route_table,
    "aws_route": adapt_route,
    "aws_route_table_association": adapt_route_table_association,
    "aws_main_route_table_association": adapt_route_table_association,
    "aws_internet_gateway": adapt_gateway,
    "aws_egress_only_internet_gateway": adapt_gateway,
    "aws_nat_gateway": adapt_gateway,
    "aws_vpn_gateway": adapt_gateway,
    "aws_internet_gateway_attachment": adapt_gateway_attachment,
    "aws_vpn_gateway_attachment": adapt_gateway_attachment,
    "aws_vpn_gateway_route_propagation": adapt_vpn,
    "aws_vpn_connection": adapt_vpn,
    "aws_vpn_connection_route": adapt_vpn,
    "aws_vpc_peering_connection": adapt_peering,
    "aws_lb": adapt_load_balancer,
    "aws_alb": adapt_load_balancer,
    "aws_elb": adapt_load_balancer,
    "aws_lb_listener": adapt_listener,
    "aws_alb_listener": adapt_listener,
    "aws_lb_listener_rule": adapt_listener_rule,
    "aws_alb_listener_rule": adapt_listener_rule,
    "aws_lb_target_group": adapt_target_group,
    "aws_alb_target_group": adapt_target_group,
    "aws_lb_target_group_attachment": adapt_target_attachment,
    "aws_alb_target_group_attachment": adapt_target_attachment,
    "aws_elb_attachment": adapt_target_attachment,
    "aws_autoscaling_attachment": adapt_target_attachment,
    "aws_autoscaling_traffic_source_attachment": adapt_target_attachment,
}

# data sources the model reads (addresses `data.TYPE.NAME`, as references spell them)
DATA_ADAPTERS: dict[str, Adapter] = {
    "aws_ami": adapt_ami_lookup,
    "aws_ssm_parameter": adapt_ssm_parameter,
}

# module block arguments that are not inputs of the module
_META_ARGUMENTS = {"source", "version", "count", "for_each", "providers", "depends_on"}
MAX_MODULE_DEPTH = 32


@record(frozen=False)
class ModuleSource:
    """One module directory, parsed: shared by every call of it."""

    directory: Path
    files: list[SourceFile] = field(default_factory=list)
    variables: dict[str, HclBlock] = field(default_factory=dict)
    locals: dict[str, HclAttribute] = field(default_factory=dict)
    outputs: dict[str, HclBlock] = field(default_factory=dict)
    resources: list[HclBlock] = field(default_factory=list)
    data: dict[tuple[str, str], HclBlock] = field(default_factory=dict)
    calls: dict[str, HclBlock] = field(default_factory=dict)
    types: dict[str, Type] = field(default_factory=dict)  # variable type constraints, parsed once

    def add(self, blocks: Iterable[HclBlock], override: bool = False) -> None:
        """Add a file's blocks; an override file's blocks merge into the blocks they name instead."""
        if override:
            for block in blocks:
                self._override(block)
            return
        for block in blocks:
            kind, labels = block.type, block.labels
            if kind == "variable" and labels:
                self.variables[labels[0]] = block
            elif kind == "locals":
                self.locals.update(block.attributes)
            elif kind == "output" and labels:
                self.outputs[labels[0]] = block
            elif kind == "resource" and len(labels) == 2:
                self.resources.append(block)
            elif kind == "data" and len(labels) == 2:
                self.data[(labels[0], labels[1])] = block
            elif kind == "module" and labels:
                self.calls[labels[0]] = block

    def _override(self, block: HclBlock) -> None:
        """Terraform's override files: each argument replaces the original's argument of that name, each
        nested block type replaces all the original's blocks of that type."""
        kind, labels = block.type, block.labels
        if kind == "locals":
            self.locals.update(block.attributes)
            return
        named: dict[Any, HclBlock] | None = {
            "variable": self.variables, "output": self.outputs, "module": self.calls,
        }.get(kind)  # fmt: skip
        if named is not None and labels and labels[0] in named:
            named[labels[0]] = _merged(named[labels[0]], block)
        elif kind == "data" and len(labels) == 2 and labels in self.data:
            self.data[labels] = _merged(self.data[labels], block)
        elif kind == "resource":
            self.resources = [_merged(r, block) if r.labels == labels else r for r in self.resources]

    def type_of(self, name: str) -> Type:
        if name not in self.types:
            self.types[name] = parse_type(self.variables[name])
        return self.types[name]


def _merged(original: HclBlock, override: HclBlock) -> HclBlock:
    def kind(block: HclBlock) -> str:
        return block.labels[0] if block.type == "dynamic" and block.labels else block.type

    replaced = {kind(b) for b in override.blocks}
    return HclBlock(
        original.type,
        original.labels,
        {**original.attributes, **override.attributes},
        [b for b in original.blocks if kind(b) not in replaced] + override.blocks,
        original.span,
        original.file,
    )


def local_source(source: str) -> bool:
    """A local path (Terraform requires the `./` or `../` prefix); anything else is fetched by `init`."""
    return source.startswith(("./", "../", ".\\", "..\\"))


def source_of(call: HclBlock) -> str | None:
    """A module block's `source`: a literal string (Terraform allows nothing else)."""
    attr = call.attributes.get("source")
    if attr is None:
        return None
    value = Evaluator(Scope({}, {}, set())).attribute(attr)
    return value.value if value.known and isinstance(value.value, str) else None


class Loader(Protocol):
    """Finds and parses the modules a configuration calls (the reader does the file work)."""

    def load(self, caller: ModuleSource, call: HclBlock, key: tuple[str, ...]) -> ModuleSource | None:
        """The module a call names (`key`: the call names from the root, as `modules.json` keys them), or
        None when it cannot be followed (the loader says why in a diagnostic)."""

    def read_file(self, path: Path) -> str | None:
        """A file's text if it lies inside the scanned modules; None otherwise."""


@record(frozen=False)
class Tree:
    """What every module instance of one root shares."""

    loader: Loader
    root: Path  # the root module's directory: Terraform's working directory
    budget: Budget = field(default_factory=Budget)


class ModuleScope(Scope):
    """One instance of a module: its source, its address prefix, and where its inputs come from."""

    def __init__(
        self,
        source: ModuleSource,
        prefix: str,
        inputs: dict[str, Callable[[], AnySourced]],
        tree: Tree,
        key: tuple[str, ...] = (),
        ancestors: tuple[Path, ...] = (),
    ) -> None:
        types = {b.labels[0] for b in source.resources}
        super().__init__(source.variables, source.locals, types, prefix, tree.budget)
        self.source = source
        self.inputs = inputs
        self.tree = tree
        self.key = key
        self.ancestors = (*ancestors, source.directory)
        self._modules: dict[str, list[tuple[Any, Scope]] | None] = {}
        self._keys: dict[str, list[Any] | None] = {}

    def variable(self, name: str, key: str, span: Span) -> AnySourced:
        given = self.inputs.get(name)
        if given is not None:
            value = given()
        else:
            value = super().variable(name, key, span)
        if name in self.variables:
            value = convert(value, self.source.type_of(name), self, f"var.{name}")
        return value

    def _lookup(self, name: str, key: str, span: Span, ev: Evaluator) -> AnySourced:
        kind, _, rest = name.partition(".")
        if kind == "output":
            block = self.source.outputs.get(rest)
            if block is None or "value" not in block.attributes:
                return unknown(key, span, f"{self.prefix}{rest}")
            value = Evaluator(self).attribute(block.attributes["value"])
            return with_via(value, f"{self.prefix.rstrip('.')}.{rest}")
        if kind == "data":
            type_, _, label = rest.partition(".")
            return self._data(type_, label, key, span)
        return super()._lookup(name, key, span, ev)

    def instance_keys(self, address: str) -> list[Any] | None:
        if address not in self._keys:
            self._keys[address] = None  # a count that depends on itself stays unknown
            block = next((b for b in self.source.resources if f"{self.prefix}{'.'.join(b.labels)}" == address), None)
            if block is not None:
                keys = [k for k, _ in instances(block, Evaluator(self))]
                counted = "count" in block.attributes or "for_each" in block.attributes
                self._keys[address] = None if counted and None in keys else keys
        return self._keys[address]

    def data(self, type_: str, name: str, key: str, span: Span) -> AnySourced:
        if type_ == "aws_iam_policy_document" and (type_, name) in self.source.data:
            return self.named(f"data.{type_}.{name}", key, span, Evaluator(self))
        return super().data(type_, name, key, span)

    def _data(self, type_: str, name: str, key: str, span: Span) -> AnySourced:
        block = self.source.data[(type_, name)]
        ev = Evaluator(self).bind(_unknown_instance(block))
        doc = policy_document(block, ev, key)
        rendered = {"json": doc, "minified_json": doc}
        return Sourced(rendered, Origin.EXPLICIT, key, block.span)

    def output(self, name: str, key: str, span: Span) -> AnySourced:
        return self.named(f"output.{name}", key, span, Evaluator(self))

    @property
    def output_names(self) -> tuple[str, ...]:
        return tuple(self.source.outputs)

    def path(self, name: str, key: str, span: Span) -> AnySourced:
        if name == "module":
            where = os.path.relpath(self.source.directory, self.tree.root)
        elif name in ("root", "cwd"):
            where = "."
        else:
            return super().path(name, key, span)
        return Sourced(Path(where).as_posix(), Origin.EXPLICIT, key, span, (), f"path.{name}")

    def read_file(self, path: str) -> str | None:
        return self.tree.loader.read_file(self.tree.root / path)

    def module(self, name: str) -> list[tuple[Any, Scope]] | None:
        if name not in self._modules:
            self._modules[name] = self._instances_of(name)
        return self._modules[name]

    def _instances_of(self, name: str) -> list[tuple[Any, Scope]] | None:
        call = self.source.calls.get(name)
        if call is None or len(self.key) >= MAX_MODULE_DEPTH:
            return None
        child = self.tree.loader.load(self.source, call, (*self.key, name))
        if child is None or child.directory in self.ancestors:
            return None  # not followed, or a module calling itself (Terraform rejects it)
        keyed = "count" in call.attributes or "for_each" in call.attributes
        out: list[tuple[Any, Scope]] = []
        for instance, ev in instances(call, Evaluator(self)):
            suffix = key_suffix(instance) if keyed else ""
            inputs = {arg: _thunk(ev, attr) for arg, attr in call.attributes.items() if arg not in _META_ARGUMENTS}
            scope = ModuleScope(
                child, f"{self.prefix}module.{name}{suffix}.", inputs, self.tree, (*self.key, name), self.ancestors
            )
            out.append((instance if keyed else None, scope))
        return out


def _thunk(ev: Evaluator, attr: HclAttribute) -> Callable[[], AnySourced]:
    """A module input, evaluated in the calling scope when the module reads it. The caller is referred to
    weakly: it holds its module instances (`ModuleScope.module`), so a strong reference back would make every
    module tree a reference cycle, freed (with every parsed file of the tree) only by the cyclic collector. A
    module instance is reached only through its caller, alive meanwhile (the root holds the whole tree)."""
    caller, bindings = weakref.ref(ev.scope), ev.bindings

    def value() -> AnySourced:
        scope = caller()
        assert scope is not None, "a module instance outlived its caller"
        return Evaluator(scope, bindings).attribute(attr)

    return value


def _unknown_instance(block: HclBlock) -> dict[str, AnySourced]:
    """Bindings for a block read once for all its instances (a data source with count)."""
    names: dict[str, AnySourced] = {}
    if "count" in block.attributes:
        names["count"] = Sourced(
            {"index": unknown("index", block.span, "count.index")}, Origin.EXPLICIT, "count", block.span
        )
    if "for_each" in block.attributes:
        missing = unknown("each", block.span, "each")
        names["each"] = Sourced({"key": missing, "value": missing}, Origin.EXPLICIT, "each", block.span)
    return names


def instances(block: HclBlock, ev: Evaluator) -> list[tuple[Any, Evaluator]]:
    """(instance key, evaluator with count/each bound) per instance; [] for `count = 0`/empty `for_each`;
    one instance with unknown key when the count or collection is unknown."""
    count = block.attributes.get("count")
    if count is not None:
        value = ev.attribute(count)
        number = value.value
        if not value.known or isinstance(number, bool) or not isinstance(number, (int, float)):
            return [(None, ev.bind(_unknown_instance(block)))]
        return [(i, ev.bind({"count": _count(i, count.span)})) for i in range(min(int(number), MAX_INSTANCES))]
    for_each = block.attributes.get("for_each")
    if for_each is not None:
        collection = ev.attribute(for_each)
        if collection.known and collection.value in ((), {}):
            return []
        out = []
        for key, value in ev.each(collection):
            bound = Sourced({"key": key, "value": value}, Origin.EXPLICIT, "each", for_each.span)
            out.append((key.value if key.known else None, ev.bind({"each": bound})))
        return out
    return [(None, ev)]


def _count(index: int, span: Span) -> AnySourced:
    value = Sourced(index, Origin.EXPLICIT, "index", span, (), "count.index")
    return Sourced({"index": value}, Origin.EXPLICIT, "count", span)


def adapt_module(blocks: Iterable[HclBlock]) -> list[Resource]:
    """Every resource of one module read alone, from the top-level blocks of its files: variables take their
    defaults, module calls are not followed."""

    class _Alone:
        def load(self, caller: ModuleSource, call: HclBlock, key: tuple[str, ...]) -> ModuleSource | None:
            return None

        def read_file(self, path: Path) -> str | None:
            return None

    source = ModuleSource(Path("."))
    source.add(blocks)
    return adapt_tree(ModuleScope(source, "", {}, Tree(_Alone(), Path("."))))


def adapt_tree(root: ModuleScope) -> list[Resource]:
    """Every resource of a root module and of the modules it calls, to any depth.

    A block's instances are kept as one resource when they are alike. References to instances of other
    blocks (`aws_subnet.a[count.index]`) do not make them differ as long as those blocks are kept whole
    themselves; the blocks that must be split are found by repeating the comparison until none is added.
    """
    blocks: list[_Adapted] = []
    pending: list[Scope] = [root]
    while pending:
        scope = pending.pop(0)
        if not isinstance(scope, ModuleScope):
            continue
        blocks.extend(_adapt_scope(scope))
        for name in scope.source.calls:
            pending.extend(s for _, s in scope.module(name) or [])
    split: set[str] = set()
    while True:
        differing = {b.address for b in blocks if b.address not in split and b.differ(split)}
        if not differing:
            break
        split |= differing
    out: list[Resource] = []
    for adapted in blocks:
        if adapted.address in split:  # each instance a resource of its own, under its Terraform address
            for key, ev in adapted.instances:
                out.extend(_adapt_one(adapted.block, adapted.address + key_suffix(key), ev))
        else:
            out.extend(adapted.results[0])
    return out


@record(frozen=False)
class _Adapted:
    """A resource block adapted once per instance, under the block's address."""

    block: HclBlock
    address: str
    instances: list[tuple[Any, Evaluator]]
    results: list[list[Resource]]

    def differ(self, split: set[str]) -> bool:
        if len(self.results) < 2:
            return False  # one instance differs from nothing (and fingerprints cost: most blocks are here)
        first = _fingerprint(self.results[0], split)
        return any(_fingerprint(r, split) != first for r in self.results[1:])


def _adapt_scope(scope: ModuleScope) -> Iterator[_Adapted]:
    ev = Evaluator(scope)
    data = [b for (rtype, _), b in scope.source.data.items() if rtype in DATA_ADAPTERS]
    for block in [*scope.source.resources, *data]:
        rtype, name = block.labels
        address = f"{scope.prefix}{'data.' if block.type == 'data' else ''}{rtype}.{name}"
        found = instances(block, ev)
        if found:
            yield _Adapted(block, address, found, [list(_adapt_one(block, address, iev)) for _, iev in found])


def _fingerprint(value: Any, split: set[str]) -> Any:
    """A value to compare instances by: references to an instance of a block kept whole name the block."""
    if isinstance(value, Sourced):
        return (_fingerprint(value.value, split), value.origin, value.key, value.span, value.missing, value.via)
    if isinstance(value, Ref):
        return (_block_of(value.address, split), value.attribute)
    if isinstance(value, (tuple, list)):
        return tuple(_fingerprint(v, split) for v in value)
    if isinstance(value, dict):
        return tuple((k, _fingerprint(v, split)) for k, v in sorted(value.items(), key=lambda kv: str(kv[0])))
    if isinstance(value, frozenset):  # the addresses a resource we do not model refers to
        return frozenset(_block_of(v, split) if isinstance(v, str) else v for v in value)
    if is_record(value) and not isinstance(value, type):
        return (type(value), *(_fingerprint(getattr(value, f.name), split) for f in fields(value)))
    return value


def _block_of(address: str, split: set[str]) -> str:
    block = _INSTANCE_KEY.sub("", address)
    return address if block in split else block


_INSTANCE_KEY = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')


def _adapt_one(block: HclBlock, address: str, ev: Evaluator) -> Iterator[Resource]:
    rtype, name = block.labels
    adapter = (DATA_ADAPTERS if block.type == "data" else ADAPTERS).get(rtype)
    if adapter is None:
        yield OtherResource(address, rtype, name, block.span, (), frozenset(_references(block, ev)))
        return
    yield from adapter(ResourceBlock(rtype, name, address, BlockReader(ev, block, block.span)))


def _references(block: HclBlock, ev: Evaluator) -> Iterator[str]:
    """The resources a block we do not model refers to (an `aws_lb` naming security groups)."""

    def walk(value: AnySourced) -> Iterator[str]:
        inner = value.value
        if isinstance(inner, Ref):
            yield inner.address
        elif isinstance(inner, tuple):
            for item in inner:
                yield from walk(item)
        elif isinstance(inner, dict):
            for item in inner.values():
                yield from walk(item)

    for attr in block.attributes.values():
        yield from walk(ev.attribute(attr))
    for nested in block.blocks:
        yield from _references(nested, ev)
