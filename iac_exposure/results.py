"""A scan's findings without holding them all: each unit's findings stay pickled, the report keeps a row each.

A unit's analysis gives, for each finding, a `Row` (what the scan needs to choose, order and rate findings:
its keys, file, resource and trait) and, once for the unit, its findings and their patches as one pickle (a
`body`). Bodies are kept as bytes, spilled to a temporary file once they outgrow `SPILL_BYTES`, and a
report's `results` turns them back into findings only as they are read, a few units at a time. So a scan's
memory grows with its number of findings by a row each, not by their models, spans and patches; a body that
came from the result cache or a worker process is never unpickled twice.
"""

from __future__ import annotations

import tempfile
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from typing import IO, TYPE_CHECKING, overload

from ._records import record
from ._refs import Resolve, dumps_naming, loads

if TYPE_CHECKING:
    from .api import Result
    from .findings import Finding
    from .patches.render import Patch
    from .source import SourceFile

SPILL_BYTES = 2 << 20  # bodies beyond this go to a temporary file: a big report holds little in memory
_LIVE_UNITS = 8  # units whose findings are kept unpickled while a report is read


@record
class Row:
    """What a scan knows of one finding while its unit's findings stay pickled."""

    sort_key: tuple[str, int, str, str]  # `Finding.sort_key`: the report's order
    key: tuple[str, str, str, int]  # findings with the same key are one (a module two roots call)
    file: str | None  # where it is reported (the offending setting's file, else its resource's)
    resource: str
    resource_type: str
    compute: bool
    trait: str
    category: str
    severity: str
    patched: bool  # its unit wrote its patch (else the scan does, if it reports it)


def rows_of(findings: list[Finding], patched: set[int]) -> list[Row]:
    from .model.aws import is_compute

    rows = []
    for i, f in enumerate(findings):
        span = f.location or f.resource.span
        loc = f.location
        rows.append(
            Row(
                f.sort_key, (f.trait.id, f.resource.address, loc.file.display if loc else "", loc.start if loc else -1),
                span.file.display if span else None, f.resource.address, f.resource.type, is_compute(f.resource),
                f.trait.id, f.trait.category.value, f.trait.severity.value, i in patched,
            )
        )  # fmt: skip
    return rows


def body_of(findings: list[Finding], patches: dict[int, Patch | None]) -> tuple[bytes, list[SourceFile]]:
    """The pickle of a unit's findings and patches, and the files it refers to (to resolve it by)."""
    return dumps_naming((findings, patches))


class Bodies:
    """Each unit's pickled findings and patches, in memory or in a temporary file; read back a few at a time."""

    def __init__(self, resolve: Resolve) -> None:
        self.resolve = resolve
        self._held: list[bytes | tuple[int, int]] = []  # the bytes, or (offset, length) in the spill file
        self._held_bytes = 0
        self._spill: IO[bytes] | None = None
        self._live: OrderedDict[int, tuple[list[Finding], dict[int, Patch | None]]] = OrderedDict()

    def add(self, body: bytes) -> int:
        if self._spill is None and self._held_bytes + len(body) > SPILL_BYTES:
            # kept open while the report is read; it has no name and goes with the process
            self._spill = tempfile.TemporaryFile(prefix="iac-exposure-")  # noqa: SIM115
            for i, held in enumerate(self._held):
                assert isinstance(held, bytes)
                self._held[i] = self._write(held)
        self._held.append(self._write(body) if self._spill is not None else body)
        self._held_bytes += len(body)
        return len(self._held) - 1

    def _write(self, body: bytes) -> tuple[int, int]:
        assert self._spill is not None
        offset = self._spill.seek(0, 2)
        self._spill.write(body)
        return offset, len(body)

    def unit(self, number: int) -> tuple[list[Finding], dict[int, Patch | None]]:
        if number in self._live:
            self._live.move_to_end(number)
            return self._live[number]
        held = self._held[number]
        if isinstance(held, tuple):
            assert self._spill is not None
            self._spill.seek(held[0])
            held = self._spill.read(held[1])
        live: tuple[list[Finding], dict[int, Patch | None]] = loads(held, self.resolve)
        self._live[number] = live
        if len(self._live) > _LIVE_UNITS:
            self._live.popitem(last=False)
        return live

    def finding(self, number: int, index: int) -> Finding:
        return self.unit(number)[0][index]


class LazyResults(Sequence["Result"]):
    """A report's results, in order, made from the units' bodies as they are read (`entries[i]` is the unit
    and index of the i-th finding; `patches` holds the patches the scan wrote itself)."""

    def __init__(
        self,
        bodies: Bodies,
        entries: list[tuple[int, int]],
        patches: dict[tuple[int, int], Patch | None],
        severities: list[str],
        files: list[str | None],
    ) -> None:
        self._bodies, self._entries, self._patches = bodies, entries, patches
        self._severities, self._files = severities, files

    def severities(self) -> list[str]:
        """Each result's severity, without reading the findings."""
        return self._severities

    def files(self) -> list[str | None]:
        """The file each result is shown in (its setting's, else its resource's), without reading it."""
        return self._files

    def _result(self, entry: tuple[int, int]) -> Result:
        from .api import Result

        findings, patches = self._bodies.unit(entry[0])
        patch = self._patches[entry] if entry in self._patches else patches.get(entry[1])
        return Result(findings[entry[1]], patch)

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> Result: ...

    @overload
    def __getitem__(self, index: slice) -> list[Result]: ...

    def __getitem__(self, index: int | slice) -> Result | list[Result]:
        if isinstance(index, slice):
            return [self._result(e) for e in self._entries[index]]
        return self._result(self._entries[index])

    def __iter__(self) -> Iterator[Result]:
        return map(self._result, self._entries)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, (str, bytes)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"LazyResults({len(self)} results)"


def severities(results: Sequence[Result]) -> list[str]:
    """The severity of each result (from the rows when the results are a scan's: no finding is read)."""
    if isinstance(results, LazyResults):
        return results.severities()
    return [r.finding.trait.severity.value for r in results]


def by_file(results: Sequence[Result]) -> Iterator[tuple[str, Iterator[Result]]]:
    """The results grouped by the file they are shown in, files in name order, each file's results in their
    order; a scan's results are read as they are walked (they are already mostly in file order)."""
    if isinstance(results, LazyResults):
        files = results.files()
    else:
        files = []
        for r in results:
            span = r.finding.location or r.finding.resource.span
            files.append(span.file.display if span else None)
    order = sorted(range(len(files)), key=lambda i: files[i] or "<unknown>")
    start = 0
    while start < len(order):
        name = files[order[start]] or "<unknown>"
        end = start
        while end < len(order) and (files[order[end]] or "<unknown>") == name:
            end += 1
        yield name, (results[i] for i in order[start:end])
        start = end
