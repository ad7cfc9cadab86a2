"""Readers: one per input format. Each claims files and turns them into units (files analysed together).

A unit becomes one model: a Terraform module directory, one CloudFormation template, one plan, one
launch-template document. Add a reader by writing a module with a `READER` and listing it in `READERS`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from ..diagnostics import Diagnostic
from ..model.aws import Resource
from ..source import SourceFile

if TYPE_CHECKING:
    from ..config import Config


@dataclass(slots=True)
class Unit:
    """Files analysed together, and what came of them."""

    files: list[SourceFile] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # the file the unit stands for when its findings may lie in other files (a plan reported on its `.tf`
    # sources): naming it in changed-files mode reports every finding of the unit
    entry: Path | None = None


class Reader(Protocol):
    name: str

    def claims(self, path: Path) -> bool:
        """Cheap: by name only. A claimed file that turns out not to be of the format is skipped silently."""

    def units(self, paths: list[Path], config: Config) -> Iterator[Unit]:
        """The units for these claimed files (a reader may load neighbours they need, e.g. a module)."""


def read_text(path: Path, unit: Unit) -> str | None:
    """A file's text, or None with a read-error diagnostic."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        unit.diagnostics.append(Diagnostic(path.as_posix(), None, "read-error", str(exc)))
        return None


def readers() -> tuple[Reader, ...]:
    from . import json_documents, terraform

    return (terraform.READER, json_documents.READER)
