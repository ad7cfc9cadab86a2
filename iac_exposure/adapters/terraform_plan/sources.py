"""The configuration a plan came from, on disk: each module's directory, its `.tf` files and resource blocks.

A module call's directory comes from `.terraform/modules/modules.json` when `terraform init` wrote one (it
lists local and remote modules by their dotted call path), else from a local `source` (`./…`, `../…`)
relative to the calling module. A remote module that was never installed has no directory: its resources
keep their locations in the plan. An installed remote module is a copy under `.terraform/modules`: its
findings point there, but its files are not the user's to patch (format "hcl-installed").
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..._records import record
from ...config import Config
from ...diagnostics import Diagnostic
from ...parsers.terraform_hcl import HclAttribute, HclBlock
from ...parsers.terraform_plan import module_call
from ...readers import Unit, load_source
from ..terraform.evaluator import Evaluator, Scope


@record
class ModuleSource:
    directory: Path
    blocks: dict[str, HclBlock]  # `aws_instance.web`, `data.aws_ami.x` → its block
    evaluator: Evaluator


class Sources:
    def __init__(self, root: Path, configuration: Any, unit: Unit, config: Config) -> None:
        self.root = root
        self.config = config
        self.configuration = configuration
        self.unit = unit
        self._modules: dict[tuple[str, ...], ModuleSource | None] = {}
        self._installed = _installed_modules(root)

    def module(self, path: tuple[str, ...]) -> ModuleSource | None:
        if path not in self._modules:
            directory = self._directory(path)
            installed = directory is not None and ".terraform" in directory.parts
            self._modules[path] = self._load(directory, "hcl-installed" if installed else "hcl") if directory else None
        return self._modules[path]

    def _directory(self, path: tuple[str, ...]) -> Path | None:
        if not path:
            return self.root
        installed = self._installed.get(".".join(path))
        if installed is not None:
            return _normal(self.root / installed)
        parent = self._directory(path[:-1])
        source = _call_source(self.configuration, path)
        if parent is None or not source.startswith(("./", "../")):
            return None
        return _normal(parent / source)

    def _load(self, directory: Path, file_format: str) -> ModuleSource | None:
        from ...limits import BudgetExceeded, time_budget
        from ...parsers import ParseError
        from ...parsers.terraform_hcl import parse

        files = sorted(p for p in directory.glob("*.tf") if p.is_file())
        if not files:
            return None
        blocks: list[HclBlock] = []
        for path in files:
            source = load_source(path, self.unit, self.config, file_format)
            if source is None:
                continue
            self.unit.files.append(source)
            try:
                with time_budget(self.config.file_time_budget):
                    blocks.extend(parse(source))
            except ParseError as exc:
                self.unit.diagnostics.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
            except BudgetExceeded as exc:
                self.unit.diagnostics.append(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
        return ModuleSource(directory, _resource_blocks(blocks), _evaluator(blocks))


def _resource_blocks(blocks: list[HclBlock]) -> dict[str, HclBlock]:
    found: dict[str, HclBlock] = {}
    for block in blocks:
        if block.type == "resource" and len(block.labels) == 2:
            found.setdefault(".".join(block.labels), block)
        elif block.type == "data" and len(block.labels) == 2:
            found.setdefault("data." + ".".join(block.labels), block)
    return found


def _evaluator(blocks: list[HclBlock]) -> Evaluator:
    """The HCL evaluator of one module, as the Terraform reader builds it (for structure and spans)."""
    variables: dict[str, HclBlock] = {}
    locals_: dict[str, HclAttribute] = {}
    types: set[str] = set()
    for block in blocks:
        if block.type == "variable" and block.labels:
            variables[block.labels[0]] = block
        elif block.type == "locals":
            locals_.update(block.attributes)
        elif block.type == "resource" and len(block.labels) == 2:
            types.add(block.labels[0])
    return Evaluator(Scope(variables, locals_, types))


def empty_evaluator() -> Evaluator:
    return Evaluator(Scope({}, {}, set()))


def _call_source(configuration: Any, path: tuple[str, ...]) -> str:
    call = module_call(configuration, path)
    source = call.get("source") if call is not None else None
    return source if isinstance(source, str) else ""


def _installed_modules(root: Path) -> dict[str, str]:
    """`.terraform/modules/modules.json`: dotted call path → directory relative to the root module."""
    manifest = root / ".terraform" / "modules" / "modules.json"
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, str] = {}
    for entry in data.get("Modules", []) if isinstance(data, dict) else []:
        if isinstance(entry, dict) and isinstance(entry.get("Dir"), str) and isinstance(entry.get("Key"), str):
            found[entry["Key"]] = entry["Dir"]  # the root module is the empty key
    return found


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path))
