"""Where iac-exposure keeps caches: `$IAC_EXPOSURE_CACHE_DIR`, else `$XDG_CACHE_HOME/iac-exposure`, else
`~/.cache/iac-exposure`."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    explicit = os.environ.get("IAC_EXPOSURE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "iac-exposure"


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
