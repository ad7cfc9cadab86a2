"""Terraform HCL: every `*.tf` file of a directory forms one module, read and adapted together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..config import Config
from ..diagnostics import Diagnostic
from ..limits import BudgetExceeded, time_budget
from . import Unit, load_source


class TerraformReader:
    name = "terraform"

    def claims(self, path: Path) -> bool:
        return path.suffix == ".tf"

    def units(self, paths: list[Path], config: Config) -> Iterator[Unit]:
        from ..adapters.terraform.module import adapt_module
        from ..parsers import ParseError
        from ..parsers.terraform_hcl import parse

        directories = sorted({p.parent for p in paths})
        for directory in directories:
            unit = Unit()
            blocks = []
            for path in sorted(directory.glob("*.tf")):
                source = load_source(path, unit, config, "hcl")
                if source is None:
                    continue
                unit.files.append(source)
                try:
                    with time_budget(config.file_time_budget):
                        blocks.extend(parse(source))
                except ParseError as exc:
                    unit.diagnostics.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
                except BudgetExceeded as exc:
                    unit.diagnostics.append(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
            unit.resources = adapt_module(blocks)
            yield unit


READER = TerraformReader()
