"""Results of units (a Terraform root module with the modules it calls), reused while nothing they read changed.

A unit's findings depend on many files (links cross files), so they are never cached per file. Instead, while
a unit is computed its reader records every input it consults: each file it loads (with a digest of the
text), each directory it lists, each path whose existence it tests, each file `file()` reads. The result is
stored with that record, under a key made of everything else it depends on: the tool's code, the
configuration, the scan's paths, the day (suppressions expire, images reach their end of life) and the
working directory (paths in reports are relative to it). A later scan reuses the result only after the reader
has checked every recorded input still reads the same; otherwise the unit is computed again, as it would
be without a cache.

An entry is a header (magic, CRC) and a marshal of `(inputs, payload)`; the payload is a pickle of the
result in which each `SourceFile` is a reference (path and format) the reader resolves to the file it loaded
while checking the inputs, so the result's spans point at this scan's files.
"""

from __future__ import annotations

import marshal
import os
import struct
import zlib
from pathlib import Path
from typing import Any, Protocol

from ._refs import dumps, loads
from .cache import sha256 as _sha256
from .source import SourceFile

MAX_BYTES = 256 * 1024 * 1024  # evict the least recently used entries beyond this
_HEADER = struct.Struct("<4sI")  # magic, crc32 of the rest
_MAGIC = b"IXRC"

Inputs = tuple[tuple[Any, ...], ...]  # what a unit read, as its reader records it (marshal-able values)


class Reuse(Protocol):
    """What a reader offers to reuse a stored result: checking its recorded inputs, resolving its files."""

    def unchanged(self, inputs: Inputs) -> bool: ...

    def source(self, path: str, format: str) -> SourceFile | None: ...


class ResultCache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = salt

    def _entry(self, key: str) -> Path:
        name = _sha256(f"{self.salt}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()
        return self.directory / name[:2] / name

    def get(self, key: str, reuse: Reuse, load: bool = True) -> Any | None:
        """The result stored under `key` if every input it recorded is unchanged, else None (with `load`
        false: True instead of the result, which is then not unpickled)."""
        path = self._entry(key)
        try:
            entry = path.read_bytes()
            magic, crc = _HEADER.unpack_from(entry)
            data = memoryview(entry)[_HEADER.size :]
            if magic != _MAGIC or zlib.crc32(data) != crc:
                return None
            inputs, payload = marshal.loads(data)
            if not reuse.unchanged(inputs):
                return None
            value = loads(payload, reuse.source) if load else True
        except Exception:  # noqa: BLE001 - missing, damaged, foreign or stale: computed again
            return None
        try:
            os.utime(path)  # recently used: evicted last
        except OSError:
            pass
        return value

    def put(self, key: str, inputs: Inputs, value: Any) -> None:
        """Store `value` with the inputs it was computed from; a value that cannot be stored is not."""
        try:
            data = marshal.dumps((inputs, dumps(value)))
        except Exception:  # noqa: BLE001 - not storable: computed again next time
            return
        from .cache import write_atomic

        write_atomic(self._entry(key), _HEADER.pack(_MAGIC, zlib.crc32(data)) + data)

    def evict(self, limit: int | None = None) -> None:
        """Keep the stored results under `limit` bytes (default `MAX_BYTES`), least recently used first."""
        from .cache import evict

        evict(self.directory, MAX_BYTES if limit is None else limit)


def result_cache(config: Any) -> ResultCache | None:
    """The result cache of this scan, or None when caching is off."""
    if not config.use_cache:
        return None
    from .cache import cache_dir
    from .replay import code_fingerprint

    return ResultCache((config.cache_dir or cache_dir()) / "results", code_fingerprint())


def digest(text: str) -> str:
    """What stands for a file's text among recorded inputs."""
    return str(_sha256(text.encode("utf-8", "surrogatepass")).hexdigest())


def stable(value: Any) -> str:
    """A text for `value` that is the same in every process (sets are sorted, records listed field by field),
    for keys made of configuration values."""
    return repr(_canonical(value))


def _canonical(value: Any) -> Any:
    from ._records import fields, is_record

    if is_record(value):
        return (type(value).__name__, tuple((f.name, _canonical(getattr(value, f.name))) for f in fields(value)))
    if isinstance(value, (set, frozenset)):
        return ("set", tuple(sorted(repr(_canonical(v)) for v in value)))
    if isinstance(value, dict):
        return ("dict", tuple(sorted((repr(_canonical(k)), repr(_canonical(v))) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return tuple(_canonical(v) for v in value)
    if isinstance(value, Path):
        return ("path", value.as_posix())
    return value if value is None or isinstance(value, (str, int, float, bool)) else repr(value)
