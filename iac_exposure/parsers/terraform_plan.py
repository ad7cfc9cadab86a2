"""Terraform plan JSON (`terraform show -json PLANFILE`), format 1.x.

What we read (https://developer.hashicorp.com/terraform/internals/json-format):
- `resource_changes[]`: one entry per resource instance (`module.a["k"].aws_instance.web[0]`), with
  `change.after` (planned values) and `change.after_unknown` (true where a value is known only after apply);
- `configuration.root_module` (+ `module_calls.NAME.module`, recursively): per resource, the `expressions`
  written in the configuration (`constant_value` or `references`, module-relative), nested blocks as lists of
  expression objects, and each module call's `source`, input `expressions` and `outputs`.
"""

from __future__ import annotations

import re
from typing import Any

from .._records import field, record
from .json_spans import JsonNode

SUPPORTED_MAJOR = "1"
# `module.a`, `module.a[0]`, `module.a["key"]` at the start of an address
_MODULE_STEP = re.compile(r'module\.([A-Za-z_][\w-]*)((?:\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\])?)\.')
_INDEX = re.compile(r'\[(?:[0-9]+|"(?:[^"\\]|\\.)*")\]$')


def is_terraform_plan(data: Any) -> bool:
    """Whether decoded JSON is `terraform show -json` output of a plan (a state has no changes)."""
    return (
        isinstance(data, dict) and "format_version" in data and ("resource_changes" in data or "planned_values" in data)
    )


def unsupported_version(data: dict[str, Any]) -> str | None:
    """Why the plan cannot be read, when its `format_version` has a major version we do not know."""
    version = data.get("format_version")
    major = version.split(".", 1)[0] if isinstance(version, str) else None
    if major == SUPPORTED_MAJOR:
        return None
    return (
        f"Terraform plan JSON format_version {version!r} is not supported: iac-exposure reads format "
        f"{SUPPORTED_MAJOR}.x (terraform show -json of Terraform 0.12 and later)"
    )


def module_steps(address: str) -> list[tuple[str, str]]:
    """`module.a[0].module.b.aws_instance.x` → [("a", "[0]"), ("b", "")]."""
    steps: list[tuple[str, str]] = []
    pos = 0
    while True:
        match = _MODULE_STEP.match(address, pos)
        if match is None:
            return steps
        steps.append((match.group(1), match.group(2)))
        pos = match.end()


def strip_index(address: str) -> str:
    """`aws_instance.x[0]` → `aws_instance.x`."""
    return _INDEX.sub("", address)


@record
class PlannedInstance:
    """One resource instance of `resource_changes` that will exist after apply."""

    address: str  # as the plan names it, with module and instance keys
    module: str  # `module.a[0].module.b`, "" for the root module
    mode: str  # "managed" | "data"
    type: str
    name: str
    after: Any
    after_unknown: Any
    entry: JsonNode  # the `resource_changes` element
    after_node: JsonNode | None

    @property
    def module_path(self) -> tuple[str, ...]:
        """The module call names from the root: `("a", "b")`."""
        return tuple(name for name, _ in module_steps(self.address))

    @property
    def local_address(self) -> str:
        """The address inside its module, without instance key: `aws_instance.x`, `data.aws_ami.y`."""
        base = f"{self.type}.{self.name}"
        return f"data.{base}" if self.mode == "data" else base


@record(frozen=False)
class ModuleConfig:
    """One module of `configuration`: its resources' expressions and its outputs."""

    resources: dict[str, dict[str, Any]] = field(default_factory=dict)  # local address → resource config
    outputs: dict[str, Any] = field(default_factory=dict)


def module_call(configuration: Any, path: tuple[str, ...]) -> dict[str, Any] | None:
    """The `module_calls` entry at `path` (call names from the root), None when absent."""
    module = configuration.get("root_module") if isinstance(configuration, dict) else None
    call: Any = None
    for name in path:
        calls = module.get("module_calls") if isinstance(module, dict) else None
        call = calls.get(name) if isinstance(calls, dict) else None
        module = call.get("module") if isinstance(call, dict) else None
    return call if isinstance(call, dict) else None


def module_config(configuration: Any, path: tuple[str, ...]) -> ModuleConfig | None:
    """The configuration of the module at `path` (call names from the root), None when absent."""
    if path:
        call = module_call(configuration, path)
        module = call.get("module") if call is not None else None
    else:
        module = configuration.get("root_module") if isinstance(configuration, dict) else None
    if not isinstance(module, dict):
        return None
    resources = {
        r["address"]: r
        for r in module.get("resources") or []
        if isinstance(r, dict) and isinstance(r.get("address"), str)
    }
    outputs = module.get("outputs")
    return ModuleConfig(resources, outputs if isinstance(outputs, dict) else {})


def planned_instances(root: JsonNode) -> list[PlannedInstance]:
    """The instances the plan creates, updates, replaces or keeps; pure deletes and forgets are gone after apply."""
    changes = root.get("resource_changes")
    found: list[PlannedInstance] = []
    for entry in changes.value if changes is not None and changes.is_array else []:
        if not entry.is_object:
            continue
        rc = entry.value
        change = entry.get("change")
        if change is None or not change.is_object:
            continue
        actions_node = change.get("actions")
        actions = tuple(a.value for a in actions_node.value) if actions_node and actions_node.is_array else ()
        if actions in (("delete",), ("forget",)) or "deposed" in rc:
            continue  # gone after apply (a deposed object is an old copy being destroyed)
        fields = {k: rc[k].value for k in ("address", "module_address", "mode", "type", "name") if k in rc}
        if not all(isinstance(fields.get(k), str) for k in ("address", "mode", "type", "name")):
            continue
        after_node = change.get("after")
        unknown_node = change.get("after_unknown")
        found.append(
            PlannedInstance(
                address=fields["address"],
                module=fields.get("module_address") or "",
                mode=fields["mode"],
                type=fields["type"],
                name=fields["name"],
                after=after_node.plain() if after_node is not None else None,
                after_unknown=unknown_node.plain() if unknown_node is not None else {},
                entry=entry,
                after_node=after_node if after_node is not None and after_node.is_object else None,
            )
        )
    return found
