"""Terraform plan JSON (`terraform show -json PLANFILE`): one unit per plan, located on its `.tf` sources.

The configuration is looked for in `--source-dir` or else the plan file's directory; the `.tf` files of every
module found are part of the unit, so findings carry their file and line and patches edit them (the plan
itself is never patched). A plan whose configuration is not on disk is reported on the plan file, with
display-only suggestions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config
from ..diagnostics import Diagnostic
from ..parsers.terraform_plan import is_terraform_plan
from ..source import SourceFile
from . import Unit

MARKERS: tuple[str, ...] = ('"format_version"',)


def detect(data: Any) -> bool:
    return is_terraform_plan(data)


def unit(source: SourceFile, data: Any, config: Config) -> Unit:
    from ..adapters.terraform_plan import adapt_plan
    from ..adapters.terraform_plan.sources import Sources
    from ..api import display_path
    from ..limits import BudgetExceeded, time_budget
    from ..parsers import ParseError
    from ..parsers.json_spans import parse_json
    from ..parsers.terraform_plan import unsupported_version

    plan, path = source, source.path
    plan.format = "terraform-plan"
    result = Unit(files=[plan], entry=path)
    try:
        with time_budget(config.file_time_budget):
            root = parse_json(plan, frozenset({"format_version", "resource_changes"}))
    except ParseError as exc:
        result.diagnostics.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
        return result
    except BudgetExceeded as exc:
        result.diagnostics.append(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
        return result
    problem = unsupported_version(data)
    if problem is not None:
        version = root.get("format_version")
        line = plan.line_of(version.start) if version is not None else None
        result.diagnostics.append(Diagnostic(path.as_posix(), line, "unsupported-format", problem))
        return result
    source_dir = display_path(Path(config.source_dir)) if config.source_dir else path.parent
    sources = Sources(source_dir, data.get("configuration"), result, config)
    result.resources = adapt_plan(root, plan, data, sources)
    return result
