"""Where iac-exposure keeps caches: `$IAC_EXPOSURE_CACHE_DIR`, else `$XDG_CACHE_HOME/iac-exposure`, else
`~/.cache/iac-exposure`."""

from __future__ import annotations

import functools
import os

TYPE_CHECKING = False  # typing and pathlib are not imported: a replayed run (replay.py) starts here
if TYPE_CHECKING:
    from collections.abc import Callable
    from hashlib import _Hash
    from pathlib import Path


def default_root() -> str:
    """The caches' directory when the configuration names none."""
    explicit = os.environ.get("IAC_EXPOSURE_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "iac-exposure")


def cache_dir() -> Path:
    from pathlib import Path

    return Path(default_root())


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file and a rename, so concurrent runs never read half an
    entry. A read-only or full cache directory only costs speed: errors are ignored."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # only when writing: it imports shutil and random

        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        return


def evict(directory: Path, limit: int) -> None:
    """Keep the entries under `directory` (in two-character subdirectories) under `limit` bytes, dropping
    the least recently used first (a hit touches its entry)."""
    entries = []
    total = 0
    for sub in directory.glob("??"):
        try:
            children = list(sub.iterdir())
        except OSError:
            continue
        for entry in children:
            try:
                info = entry.stat()
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, entry))
            total += info.st_size
    for _, size, entry in sorted(entries, key=lambda e: e[0]):
        if total <= limit:
            break
        try:
            entry.unlink(missing_ok=True)
        except OSError:
            continue
        total -= size


def sha256(data: bytes) -> _Hash:
    """hashlib's sha256 without importing hashlib (which loads OpenSSL: ~5 ms of every run's start-up)
    where CPython has its own implementation built in."""
    digest: _Hash = _sha256_constructor()(data)
    return digest


@functools.cache
def _sha256_constructor() -> Callable[[bytes], _Hash]:
    """Found once per process: `sha256` runs for every file looked up in a cache."""
    try:
        from _sha256 import sha256  # type: ignore[import-not-found]  # CPython <= 3.11
    except ImportError:
        try:
            from _sha2 import sha256  # type: ignore[import-not-found]  # CPython >= 3.12
        except ImportError:
            from hashlib import sha256
    constructor: Callable[[bytes], _Hash] = sha256
    return constructor
