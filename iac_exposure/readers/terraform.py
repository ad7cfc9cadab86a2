"""Terraform HCL: every `*.tf` file of a directory forms one module, read and adapted together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..config import Config
from ..diagnostics import Diagnostic
from ..source import SourceFile
from . import Unit, read_text


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
            for path in sorted(p for p in directory.glob("*.tf") if p.is_file()):
                text = read_text(path, unit)
                if text is None:
                    continue
                source = SourceFile(path, text, "hcl")
                unit.files.append(source)
                try:
                    blocks.extend(parse(source))
                except ParseError as exc:
                    unit.diagnostics.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
            unit.resources = adapt_module(blocks)
            yield unit


READER = TerraformReader()
