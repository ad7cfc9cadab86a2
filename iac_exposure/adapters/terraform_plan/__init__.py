"""A Terraform plan → model resources, with the Terraform adapters reading plan values (see `blocks`).

One model resource per resource instance that exists after apply: `Resource.address` is the plan's address
with module path and instance key (`module.app.aws_instance.web[0]`, unique, what `terraform state show`
takes), `Resource.name` the resource label (`web`). Known `id`/`arn` values are aliases, so references by id
between existing resources resolve. Data sources the model reads (`aws_ami`, `aws_ssm_parameter`) come from
`prior_state` when Terraform read them at plan time, with the AMI they resolved to; an attribute written as
a reference to one (`ami = data.aws_ami.x.id`) links to it, so the lookup's filters and resolved name count.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..._records import replace
from ...model.aws import ImageLookup, Resource, SsmParameter
from ...model.graph import OtherResource
from ...model.values import Origin, Sourced, unknown
from ...parsers.json_spans import JsonNode
from ...parsers.terraform_plan import PlannedInstance, module_config, planned_instances
from ...source import SourceFile, Span
from ..terraform.common import ResourceBlock
from ..terraform.module import ADAPTERS, DATA_ADAPTERS
from .blocks import WRITTEN, Config, PlanBlockReader, PlanContext
from .references import References
from .sources import Sources, empty_evaluator


def adapt_plan(root: JsonNode, plan: SourceFile, data: dict[str, Any], sources: Sources | None) -> list[Resource]:
    configuration = data.get("configuration")
    instances = planned_instances(root)
    refs = References(configuration, instances)
    read = _data_read_at_plan_time(data.get("prior_state"))
    deferred = [i for i in instances if i.mode == "data" and i.type in DATA_ADAPTERS]
    modeled = frozenset({*read, *(i.address for i in deferred)})
    whole = Span(plan, 0, len(plan.text))
    out: list[Resource] = []
    for inst in instances:
        if inst.mode != "managed":
            continue
        entry = Span(plan, inst.entry.start, inst.entry.end)
        reader = _reader(PlanContext(refs, inst.module, plan, entry, modeled), inst, configuration, sources)
        adapter = ADAPTERS.get(inst.type)
        if adapter is None:
            references = frozenset(_references(reader.config, refs, inst.module))
            out.append(OtherResource(inst.address, inst.type, inst.name, reader.span, (), references))
            continue
        for res in adapter(ResourceBlock(inst.type, inst.name, inst.address, reader)):
            out.append(_with_ids(res, inst) if res.address == inst.address else res)
    # data sources the model reads (image lookups): read at plan time (prior_state, values known), or deferred
    # to apply (resource_changes with a `read` action, values unknown)
    for inst in deferred:
        entry = Span(plan, inst.entry.start, inst.entry.end)
        reader = _reader(PlanContext(refs, inst.module, plan, entry, modeled), inst, configuration, sources)
        out.extend(DATA_ADAPTERS[inst.type](ResourceBlock(inst.type, inst.name, inst.address, reader)))
    for address, (inst, values) in read.items():
        reader = _reader(PlanContext(refs, inst.module, plan, whole, modeled), inst, configuration, sources)
        for res in DATA_ADAPTERS[inst.type](ResourceBlock(inst.type, inst.name, address, reader)):
            out.append(_resolved(res, values, reader.span))
    return out


def _reader(ctx: PlanContext, inst: PlannedInstance, configuration: Any, sources: Sources | None) -> PlanBlockReader:
    module = module_config(configuration, inst.module_path)
    written = module.resources.get(inst.local_address) if module is not None else None
    # a resource missing from the configuration: treat everything as written, so unknown stays unknown
    config: Config = written.get("expressions") or {} if written is not None else WRITTEN
    source = sources.module(inst.module_path) if sources is not None else None
    block = source.blocks.get(inst.local_address) if source is not None else None
    return PlanBlockReader(
        ctx, source.evaluator if source is not None else empty_evaluator(), block,
        block.span if block else ctx.entry, (), inst.after, inst.after_unknown, config, inst.after_node, present=True,
    )  # fmt: skip


def _data_read_at_plan_time(prior_state: Any) -> dict[str, tuple[PlannedInstance, dict[str, Any]]]:
    """The data sources of `prior_state` the model reads, by address, with their values."""
    found: dict[str, tuple[PlannedInstance, dict[str, Any]]] = {}
    values = prior_state.get("values") if isinstance(prior_state, dict) else None
    modules = [values.get("root_module")] if isinstance(values, dict) else []
    while modules:
        module = modules.pop()
        if not isinstance(module, dict):
            continue
        modules.extend(module.get("child_modules") or [])
        for res in module.get("resources") or []:
            if not isinstance(res, dict) or res.get("mode") != "data" or res.get("type") not in DATA_ADAPTERS:
                continue
            address, name, values_ = res.get("address"), res.get("name"), res.get("values")
            if isinstance(address, str) and isinstance(name, str) and isinstance(values_, dict):
                module_address = address.rsplit(".data.", 1)[0] if ".data." in address else ""
                inst = PlannedInstance(address, module_address, "data", res["type"], name, values_, {}, _NO_NODE, None)
                found[address] = (inst, values_)
    return found


def _resolved(res: Resource, values: dict[str, Any], span: Span) -> Resource:
    """A data source the plan read: the AMI id (and name) it resolved to."""

    def known(key: str, value: Any) -> Sourced[Any]:
        return Sourced(value, Origin.EXPLICIT, key, span) if isinstance(value, str) and value else unknown(key, span)

    if isinstance(res, ImageLookup):
        return replace(res, image_id=known("id", values.get("id")), image_name=known("name", values.get("name")))
    if isinstance(res, SsmParameter):
        return replace(res, value=known("value", values.get("value") or values.get("insecure_value")))
    return res


_NO_NODE = JsonNode({}, 0, 0)


def _with_ids(res: Resource, inst: PlannedInstance) -> Resource:
    after = inst.after if isinstance(inst.after, dict) else {}
    ids = tuple(v for k in ("id", "arn") if isinstance(v := after.get(k), str) and v and v not in res.aliases)
    return replace(res, aliases=res.aliases + ids) if ids else res


def _references(config: Any, refs: References, module: str) -> Iterator[str]:
    """Every resource a resource we do not model refers to (an `aws_lb` naming security groups)."""
    if isinstance(config, dict):
        if isinstance(config.get("references"), list):
            yield from refs.resolve(config["references"], module).addresses
        for value in config.values():
            if isinstance(value, (dict, list)):
                yield from _references(value, refs, module)
    elif isinstance(config, list):
        for value in config:
            yield from _references(value, refs, module)
