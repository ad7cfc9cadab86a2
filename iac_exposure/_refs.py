"""Pickles in which each `SourceFile` is a reference (its path and format), resolved on load to the file
object the reading scan holds: stored and spilled results point at this scan's files, and never carry a
file's text."""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable
from typing import Any

from .source import SourceFile

Resolve = Callable[[str, str], "SourceFile | None"]  # (path, format) -> the scan's file, None: not loaded


def dumps(value: Any) -> bytes:
    return dumps_naming(value)[0]


def dumps_naming(value: Any) -> tuple[bytes, list[SourceFile]]:
    """The pickle, and the files it refers to."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer)
    pickler.dump(value)
    return buffer.getvalue(), list(pickler.named.values())


def loads(data: bytes | memoryview, resolve: Resolve) -> Any:
    return _Unpickler(io.BytesIO(data), resolve).load()


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self.named: dict[int, SourceFile] = {}

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) is SourceFile:
            self.named[id(obj)] = obj
            return (obj.path.as_posix(), obj.format)
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, buffer: io.BytesIO, resolve: Resolve) -> None:
        super().__init__(buffer)
        self.resolve = resolve
        self.files: dict[Any, SourceFile] = {}

    def persistent_load(self, pid: Any) -> Any:
        file = self.files.get(pid)
        if file is None:
            path, format_ = pid
            file = self.resolve(path, format_)
            if file is None:
                raise pickle.UnpicklingError(f"{path} is not loaded")
            self.files[pid] = file
        return file
