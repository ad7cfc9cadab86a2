"""A content-addressed cache of parsed files, so unchanged files are never parsed twice.

Keyed by a hash of the text, the parser and the tool's version; written atomically (temporary file and
rename), so concurrent runs never see half a file; any unreadable entry is a miss. The parsed structure
refers to its SourceFile, which is not stored: it is given back on load (pickle's persistent ids).
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from . import __version__
from .source import SourceFile

T = TypeVar("T")

MAX_BYTES = 256 * 1024 * 1024  # evict the least recently used entries beyond this
_FILE_ID = "source-file"


class ParseCache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = f"{__version__}\0{salt}"
        self.hits = self.misses = 0

    def entry(self, kind: str, file: SourceFile) -> Path:
        digest = hashlib.sha256(f"{self.salt}\0{kind}\0".encode() + file.text.encode("utf-8", "surrogatepass"))
        return self.directory / digest.hexdigest()[:2] / digest.hexdigest()

    def get_or_parse(self, kind: str, file: SourceFile, parse: Callable[[SourceFile], T]) -> T:
        """`parse(file)`, or what it returned for the same text before. ParseErrors are not cached."""
        path = self.entry(kind, file)
        try:
            data = path.read_bytes()
            value: T = _Unpickler(io.BytesIO(data), file).load()
        except Exception:  # noqa: BLE001 - missing, truncated or from another version: parse instead
            self.misses += 1
            value = parse(file)
            self._store(path, value, file)
            return value
        self.hits += 1
        os.utime(path)  # recently used: evicted last
        return value

    def _store(self, path: Path, value: Any, file: SourceFile) -> None:
        buffer = io.BytesIO()
        try:
            _Pickler(buffer, file).dump(value)
        except (pickle.PicklingError, RecursionError, TypeError, AttributeError):
            return  # not storable: it is simply parsed again next time
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(buffer.getvalue())
            os.replace(tmp, path)
        except OSError:
            return  # a read-only or full cache directory only costs speed

    def evict(self, limit: int = MAX_BYTES) -> None:
        """Keep the cache under `limit` bytes, dropping the least recently used entries first."""
        entries = []
        total = 0
        for sub in self.directory.glob("??"):
            for entry in sub.iterdir():
                try:
                    info = entry.stat()
                except OSError:
                    continue
                entries.append((info.st_mtime, info.st_size, entry))
                total += info.st_size
        for _, size, entry in sorted(entries, key=lambda e: e[0]):
            if total <= limit:
                break
            entry.unlink(missing_ok=True)
            total -= size


def parse_cache(config: Any, reader: str) -> ParseCache | None:
    """The cache a reader uses in this scan, or None when caching is off."""
    if not config.use_cache:
        return None
    from .cache import cache_dir

    return ParseCache((config.cache_dir or cache_dir()) / "parse", f"{reader}\0{_parser_fingerprint()}")


def _parser_fingerprint() -> str:
    """python-hcl2's version and grammar, read without importing it (a cache hit must not pay for that)."""
    import importlib.util

    spec = importlib.util.find_spec("hcl2")
    if spec is None or spec.origin is None:
        return "no-hcl2"
    package = Path(spec.origin).parent
    digest = hashlib.sha256()
    for name in ("version.py", "hcl2.lark"):
        try:
            digest.update((package / name).read_bytes())
        except OSError:
            digest.update(name.encode())
    return digest.hexdigest()


class _Pickler(pickle.Pickler):
    def __init__(self, buffer: io.BytesIO, file: SourceFile) -> None:
        super().__init__(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        self.file = file

    def persistent_id(self, obj: Any) -> str | None:
        if obj is self.file:
            return _FILE_ID
        if isinstance(obj, SourceFile):
            raise pickle.PicklingError("refers to another file")
        return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, buffer: io.BytesIO, file: SourceFile) -> None:
        super().__init__(buffer)
        self.file = file

    def persistent_load(self, pid: Any) -> Any:
        if pid == _FILE_ID:
            return self.file
        raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
