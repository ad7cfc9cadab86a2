"""Readers: one per input format. Each claims files and turns them into units (files analysed together).

A unit becomes one model: a Terraform module directory, one CloudFormation template, one plan, one
launch-template document. Add a reader by writing a module with a `READER` and listing it in `READERS`.
"""

from __future__ import annotations

import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._records import field, record
from ..config import Config
from ..diagnostics import Diagnostic
from ..model.aws import Resource
from ..source import SourceFile, decode
from ..suppressions import Suppression

if TYPE_CHECKING:
    from ..result_cache import Reuse


@record
class Variant:
    """One reading of a unit under assumptions the scan cannot decide (a CloudFormation condition that depends
    on a value only the deployment knows). A finding that holds in some variants only says what it assumes."""

    assumptions: tuple[tuple[str, str], ...]  # (what, value): ("condition AllowSsh", "true")
    resources: list[Resource]


@record(frozen=False)
class Unit:
    """Files analysed together, and what came of them."""

    files: list[SourceFile] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # suppressions a format writes in its own metadata, by resource address: a CloudFormation reader sets
    # `suppressions[logical_id] = from_metadata(resource["Metadata"], file.display, line of Metadata)`.
    # Comments need nothing here: they are read from the files' text, whatever the format.
    suppressions: dict[str, list[Suppression]] = field(default_factory=dict)
    # the file the unit stands for when its findings may lie in other files (a plan reported on its `.tf`
    # sources): naming it in changed-files mode reports every finding of the unit
    entry: Path | None = None
    # when set, each variant is analysed as a model of its own instead of `resources`
    variants: list[Variant] = field(default_factory=list)
    # every input the reader consulted for this unit (see `result_cache`); None: its result is never stored
    inputs: tuple[tuple[Any, ...], ...] | None = None


@record
class Task:
    """A unit still to compute (`run`), independent of the reader's other tasks, so it may run in a worker
    process. With a `key` (what identifies the unit among scans besides the inputs it records) and a `reuse`
    (how its recorded inputs are checked), its result may be stored and reused by later scans."""

    run: Callable[[], Unit]
    key: str = ""
    reuse: Reuse | None = None


class Reader(Protocol):
    name: str

    def claims(self, path: Path) -> bool:
        """Cheap: by name only. A claimed file that turns out not to be of the format is skipped silently."""

    def units(self, paths: list[Path], config: Config) -> Iterator[Unit]:
        """The units for these claimed files (a reader may load neighbours they need, e.g. a module). A
        reader may also offer `prepare(paths, config) -> list[Task]`: the same units as tasks."""


def load_source(path: Path, unit: Unit, config: Config, format: str) -> SourceFile | None:
    """A file as a SourceFile, or None with a diagnostic saying why it was not read.

    Only regular files are opened (never FIFOs or devices); links pointing outside the scanned paths are
    not followed unless configured; files over the size cap, binary files and undecodable text are
    diagnosed. Bytes are decoded ourselves so CRLF line endings and byte-order marks survive a fix.
    """
    name = path.as_posix()
    why = _refusal(path, config)
    if why is not None:
        kind, message, error = why
        unit.diagnostics.append(Diagnostic(name, None, kind, message, error))
        return None
    try:
        data = path.read_bytes()
        text, encoding = decode(data)
    except OSError as exc:
        unit.diagnostics.append(Diagnostic(name, None, "read-error", exc.strerror or str(exc)))
        return None
    except UnicodeDecodeError as exc:
        kind = "binary" if b"\0" in data else "decode-error"
        message = "a binary file" if kind == "binary" else f"not UTF-8 text ({exc.reason} at byte {exc.start})"
        unit.diagnostics.append(Diagnostic(name, None, kind, message))
        return None
    if "\0" in text:
        unit.diagnostics.append(Diagnostic(name, None, "binary", "a binary file"))
        return None
    return SourceFile(path, text, format, encoding)


def _refusal(path: Path, config: Config) -> tuple[str, str, bool] | None:
    try:
        info = path.stat()
    except OSError as exc:  # a dangling link or a loop of links
        return ("read-error", exc.strerror or str(exc), True)
    if not stat.S_ISREG(info.st_mode):
        return ("not-a-file", "not a regular file (a FIFO, socket or device): not opened", False)
    if path.is_symlink() and not config.follow_symlinks and config.roots:
        target = path.resolve()
        if not any(target == root or root in target.parents for root in config.roots):
            return ("symlink-outside", f"a link to {target}, outside the scanned paths: not followed", False)
    if info.st_size > config.max_file_size:
        return ("too-large", f"{info.st_size:,} bytes, over the {config.max_file_size:,}-byte limit: skipped", True)
    return None


def readers() -> tuple[Reader, ...]:
    from . import cloudformation, json_documents, terraform

    return (terraform.READER, json_documents.READER, cloudformation.READER)
