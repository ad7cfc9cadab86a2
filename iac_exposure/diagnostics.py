"""Why a file could not be analysed (a diagnostic, never a crash)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Diagnostic:
    file: str
    line: int | None
    kind: str  # "parse-error" | "read-error" | "internal-error" | "module-not-followed" | …
    message: str
    # "error": the file could not be analysed (exit code 2); "warning": analysed, with something left out
    # (a module not followed): reported, but not a failure
    severity: str = "error"
