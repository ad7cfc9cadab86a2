"""A Terraform plan → model resources, with the Terraform adapters reading plan values (see `blocks`).

One model resource per resource instance that exists after apply: `Resource.address` is the plan's address
with module path and instance key (`module.app.aws_instance.web[0]`, unique, what `terraform state show`
takes), `Resource.name` the resource label (`web`). Known `id`/`arn` values are aliases, so references by id
between existing resources resolve.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from ...model.aws import Resource
from ...model.graph import OtherResource
from ...parsers.json_spans import JsonNode
from ...parsers.terraform_plan import PlannedInstance, module_config, planned_instances
from ...source import SourceFile, Span
from ..terraform.common import ResourceBlock
from ..terraform.module import ADAPTERS
from .blocks import WRITTEN, Config, PlanBlockReader, PlanContext
from .references import References
from .sources import Sources, empty_evaluator


def adapt_plan(root: JsonNode, plan: SourceFile, configuration: Any, sources: Sources | None) -> list[Resource]:
    instances = planned_instances(root)
    refs = References(configuration, instances)
    fallback_ev = empty_evaluator()
    out: list[Resource] = []
    for inst in instances:
        if inst.mode != "managed":
            continue  # data sources read at plan time are already substituted into the values that use them
        module = module_config(configuration, inst.module_path)
        written = module.resources.get(inst.local_address) if module is not None else None
        # a resource missing from the configuration: treat everything as written, so unknown stays unknown
        config: Config = written.get("expressions") or {} if written is not None else WRITTEN
        source = sources.module(inst.module_path) if sources is not None else None
        block = source.blocks.get(inst.local_address) if source is not None else None
        entry = Span(plan, inst.entry.start, inst.entry.end)
        ctx = PlanContext(refs, inst.module, plan, entry)
        reader = PlanBlockReader(
            ctx, source.evaluator if source is not None else fallback_ev, block, block.span if block else entry, (),
            inst.after, inst.after_unknown, config, inst.after_node, present=True,
        )  # fmt: skip
        adapter = ADAPTERS.get(inst.type)
        if adapter is None:
            references = frozenset(_references(config, refs, inst.module))
            out.append(OtherResource(inst.address, inst.type, inst.name, reader.span, (), references))
            continue
        for res in adapter(ResourceBlock(inst.type, inst.name, inst.address, reader)):
            out.append(_with_ids(res, inst) if res.address == inst.address else res)
    return out


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
