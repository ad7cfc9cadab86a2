"""Run independent analyses in forked worker processes, results back in order.

Forking shares everything the parent has loaded (parsed modules, the trait tables) without pickling it; each
worker writes its results to a file of its own, pickled with every `SourceFile` replaced by a reference the
parent turns back into one shared object per file, so spans from different workers still point at the same
file. A worker that dies, or a result that cannot be pickled, is computed again in the parent: output never
depends on the number of workers.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from .source import SourceFile

T = TypeVar("T")
R = TypeVar("R")


def fork_map(
    func: Callable[[T], R], items: Sequence[T], jobs: int, done: Callable[[int], None] | None = None
) -> list[R]:
    """`[func(item) for item in items]`, spread over up to `jobs` forked processes (in this process when fork
    is unavailable). Exceptions raised by `func` are raised here, for the first failing item. `done(n)` is
    called as the workers finish items, with how many are finished so far."""
    return list(fork_imap(func, items, jobs, done))


def fork_imap(
    func: Callable[[T], R],
    items: Sequence[T],
    jobs: int,
    done: Callable[[int], None] | None = None,
    known: Callable[[str, str], SourceFile | None] | None = None,
) -> Iterator[R]:
    """`fork_map`, its results given one at a time, in order, once every worker has finished: the parent
    never holds more than one result it has not handed over. `known(path, format)`: a file this process
    already holds, used for the workers' references to it when its text is the same (no second copy)."""
    jobs = min(jobs, len(items))
    if jobs < 2 or not hasattr(os, "fork"):
        for count, item in enumerate(items, 1):
            yield func(item)
            if done is not None:
                done(count)
        return
    files: dict[str, SourceFile] = {}
    with tempfile.TemporaryDirectory(prefix="iac-exposure-") as scratch:
        children = []
        ticks, tick = os.pipe()  # a byte per finished item, for progress
        for worker in range(jobs):
            out = Path(scratch) / f"worker-{worker}"
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child's coverage is not collected
                os.close(ticks)
                _child(func, items, worker, jobs, out, tick)
            children.append((pid, out))
        os.close(tick)
        finished = 0
        while chunk := os.read(ticks, 4096):  # until every worker has exited (closed its end)
            finished += len(chunk)
            if done is not None:
                done(min(finished, len(items)))
        os.close(ticks)
        for pid, _ in children:
            os.waitpid(pid, 0)
        # worker w wrote the items w, w + jobs, ... in order, leaving out those it could not do
        records = [_records(out) for _, out in children]
        pending = [next(r, None) for r in records]
        for index, item in enumerate(items):
            worker = index % jobs
            record = pending[worker]
            if record is not None and record[0] == index:
                pending[worker] = next(records[worker], None)
                yield _Unpickler(io.BytesIO(record[1]), files, known).load()
            else:  # its worker died, or it raised or could not be pickled there: computed again here
                yield func(item)  # an exception is raised again here, with its traceback


def _child(  # pragma: no cover - the child's coverage is not collected
    func: Callable[[T], R], items: Sequence[T], worker: int, jobs: int, out: Path, tick: int
) -> None:
    status = 1
    try:
        with out.open("wb") as fh:
            for index in range(worker, len(items), jobs):
                try:
                    value = _pickled(func(items[index]))
                except Exception:  # noqa: BLE001 - the parent computes it again and raises it there
                    value = None
                if value is not None:  # None: it raised or could not be pickled here
                    fh.write(_RECORD.pack(index, len(value)) + value)
                    fh.flush()  # a worker that dies later keeps what it finished
                os.write(tick, b".")
        status = 0
    finally:
        os._exit(status)


_RECORD = struct.Struct("<II")  # item index, length of its pickled result


def _records(path: Path) -> Iterator[tuple[int, bytes]]:
    """A worker's finished results one at a time (never all in memory), up to a record it did not finish."""
    try:
        with path.open("rb") as fh:
            while header := fh.read(_RECORD.size):
                if len(header) < _RECORD.size:
                    return
                index, length = _RECORD.unpack(header)
                value = fh.read(length)
                if len(value) < length:
                    return
                yield index, value
    except OSError:
        return


def _pickled(value: Any) -> bytes | None:
    buffer = io.BytesIO()
    try:
        _Pickler(buffer).dump(value)
    except Exception:  # noqa: BLE001 - anything pickle refuses: the parent computes it
        return None
    return buffer.getvalue()


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is SourceFile:
            return ("source-file", obj.path.as_posix(), obj.format, obj.text, obj.encoding)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(
        self, buffer: io.BytesIO, files: dict[str, SourceFile], known: Callable[[str, str], SourceFile | None] | None
    ) -> None:
        super().__init__(buffer)
        self.files, self.known = files, known

    def persistent_load(self, pid: Any) -> Any:
        kind, path, format_, text, encoding = pid
        if kind != "source-file":
            raise pickle.UnpicklingError(f"unknown persistent id {kind!r}")
        key = f"{format_}\0{path}"
        file = self.files.get(key)
        if file is None:
            held = self.known(path, format_) if self.known is not None else None
            if held is not None and held.text == text and held.encoding == encoding:
                file = self.files[key] = held
            else:
                file = self.files[key] = SourceFile(Path(path), text, format_, encoding)
        return file
