"""A progress bar on stderr for long scans on a terminal; nothing at all when piped or in CI.

It draws only once a scan has run for `delay` seconds, so a quick scan (a pre-commit run on a few files)
never flickers one, redraws at most every `interval` seconds, and erases itself when the scan ends so the
report starts on a clean line.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TextIO


def wanted(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("CI") or env.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False


class ProgressBar:
    def __init__(
        self,
        stream: TextIO,
        delay: float = 0.5,
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._start = clock()
        self._delay = delay
        self._interval = interval
        self._last = float("-inf")
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if total <= 0 or now - self._start < self._delay or (now - self._last < self._interval and done < total):
            return
        self._last = now
        width = max(10, min(40, _columns() - 30))
        filled = width * done // total
        line = f"\rscanning [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files"
        self._stream.write(line)
        self._stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self._stream.write("\r\033[K")
            self._stream.flush()
            self._drawn = False


def _columns() -> int:
    """The terminal's width (`shutil.get_terminal_size` without importing shutil, which pulls in the
    compression modules)."""
    try:
        return int(os.environ.get("COLUMNS", "")) or os.get_terminal_size(2).columns
    except (ValueError, OSError):
        return 80
