"""Why a file could not be analysed (a diagnostic, never a crash)."""

from __future__ import annotations

from ._records import record


@record
class Diagnostic:
    file: str
    line: int | None
    kind: str  # "parse-error" | "read-error" | "internal-error" | "too-large" | "binary" | …
    message: str
    error: bool = True  # the input could not be analysed (exit 2); False: information only
    detail: str = ""  # a traceback for internal errors, shown with --verbose
