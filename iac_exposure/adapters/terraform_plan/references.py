"""Resolve the `references` of a plan's configuration expressions to resource instances of the plan.

Only references to what identifies a resource (`id`, `arn`, `name`) are links; `aws_ssm_parameter.x.value` is
a value known after apply. References are module-relative (`aws_security_group.web.id` inside `module.app` is
`module.app.aws_security_group.web`). A module input (`var.x` in a child module) is followed to the
expression the caller passes, a module output (`module.net.sg_id`) into the called module; a root variable or
a local is a value, not a resource. A reference to a resource with several instances (count/for_each) names all
of them (a splat), unless it is indexed: a literal index picks one, `count.index`/`each.key` cannot be told
from the references alone, so that link stays unknown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from ..._records import record
from ...parsers.terraform_plan import PlannedInstance, module_call, module_config, module_steps, strip_index

_MAX_DEPTH = 32
_RESOURCE = re.compile(r'((?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*)((?:\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\])?)')
_MODULE = re.compile(r'module\.([A-Za-z_][\w-]*)(?:\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\])?(?:\.([A-Za-z_][\w-]*))?')
_SELECTORS = ("count", "each")
# what identifies a resource; any other attribute (`aws_ssm_parameter.x.value`) is a value, not a link.
# A VPC's default route table / network ACL id names what the VPC adopts: the model links it to the VPC.
LINK_ATTRIBUTES = frozenset({"", "id", "arn", "name", "default_route_table_id", "default_network_acl_id"})
_IGNORED = ("path", "terraform", "self")


@record
class Resolved:
    addresses: tuple[str, ...]  # absolute instance addresses
    complete: bool  # False: the expression also depends on values that are not resources of the plan


class References:
    def __init__(self, configuration: Any, instances: list[PlannedInstance]) -> None:
        self.configuration = configuration
        self._instances: dict[str, list[str]] = defaultdict(list)  # absolute address without key → instances
        self._module_instances: dict[tuple[str, str], list[str]] = defaultdict(list)  # (parent, call) → prefixes
        for inst in instances:
            self._instances[strip_index(inst.address)].append(inst.address)
            prefix = ""
            for name, key in module_steps(inst.address):
                here = f"{prefix}.module.{name}{key}" if prefix else f"module.{name}{key}"
                if here not in self._module_instances[(prefix, name)]:
                    self._module_instances[(prefix, name)].append(here)
                prefix = here

    def resolve(self, refs: Any, module: str, depth: int = 0) -> Resolved:
        """The resources an expression with these references names, from inside `module` (`""` = root)."""
        if not isinstance(refs, list) or depth > _MAX_DEPTH:
            return Resolved((), False)
        found: list[str] = []
        complete = True
        selectors = any(isinstance(r, str) and r.split(".", 1)[0] in _SELECTORS for r in refs)
        for ref in most_specific([r for r in refs if isinstance(r, str)]):
            head = ref.split(".", 1)[0].split("[", 1)[0]
            if head in _SELECTORS or head in _IGNORED:
                continue
            if head == "local":
                complete = False  # locals are not in the plan's configuration
                continue
            if head == "var":
                sub = self._variable(ref.split(".")[1].split("[")[0], module, depth)
            elif head == "module":
                sub = self._module_output(ref, module, depth)
            else:
                sub = self._resource(ref, module, selectors)
            found.extend(a for a in sub.addresses if a not in found)
            complete = complete and sub.complete
        return Resolved(tuple(found), complete)

    def _resource(self, ref: str, module: str, selectors: bool) -> Resolved:
        match = _RESOURCE.match(ref)
        if match is None or ref[match.end() :].lstrip(".").split(".", 1)[0] not in LINK_ATTRIBUTES:
            return Resolved((), False)
        base = f"{module}.{match.group(1)}" if module else match.group(1)
        instances = self._instances.get(base, [])
        if match.group(2):
            wanted = base + match.group(2)
            return Resolved((wanted,), True)
        if len(instances) <= 1:
            return Resolved(tuple(instances) or (base,), True)
        if selectors:
            return Resolved((), False)  # `x[count.index]`: which instance cannot be told from references
        return Resolved(tuple(instances), True)

    def _variable(self, name: str, module: str, depth: int) -> Resolved:
        steps = module_steps(module + ".") if module else []
        if not steps:
            return Resolved((), False)  # a root variable: a value given to the plan, not a resource
        parent = module.rsplit(".module.", 1)[0] if ".module." in module else ""
        call = module_call(self.configuration, tuple(n for n, _ in steps))
        expressions = call.get("expressions") if call is not None else None
        expr = expressions.get(name) if isinstance(expressions, dict) else None
        if not isinstance(expr, dict) or "references" not in expr:
            return Resolved((), False)
        return self.resolve(expr["references"], parent, depth + 1)

    def _module_output(self, ref: str, module: str, depth: int) -> Resolved:
        match = _MODULE.match(ref)
        if match is None or match.group(2) is None:
            return Resolved((), False)
        call_name, output = match.group(1), match.group(2)
        path = tuple(n for n, _ in module_steps(module + ".")) if module else ()
        config = module_config(self.configuration, (*path, call_name))
        out = config.outputs.get(output) if config is not None else None
        expr = out.get("expression") if isinstance(out, dict) else None
        if not isinstance(expr, dict) or "references" not in expr:
            return Resolved((), False)
        found: list[str] = []
        complete = True
        for prefix in self._module_instances.get((module, call_name), []):
            sub = self.resolve(expr["references"], prefix, depth + 1)
            found.extend(sub.addresses)
            complete = complete and sub.complete
        return Resolved(tuple(found), complete)


def most_specific(refs: list[str]) -> list[str]:
    """Terraform lists a traversal and its prefixes (`a.b.id`, `a.b`): keep the longest of each."""
    return [r for r in refs if not any(o != r and o.startswith(r) and o[len(r)] in ".[" for o in refs)]
