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
