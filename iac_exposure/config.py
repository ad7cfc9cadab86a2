"""Scan settings (the CLI fills them; config files come with the integrations issue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .exposures import ExposureTable
from datetime import date
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Config:
    select: frozenset[str] = frozenset()  # empty: every trait
    ignore: frozenset[str] = frozenset()
    # the account's IMDS default; "required" silences the unset (not the explicit "optional") case
    imds_account_default: str = "no-preference"
    # how traits rate an exposure (likelihood × impact); None: the built-in table, `exposures.DEFAULT_TABLE`
    exposure_table: ExposureTable | None = None
    max_file_size: int = 10 * 1024 * 1024  # bytes; larger files are skipped with a diagnostic
    file_time_budget: float = 20.0  # seconds of parsing per file
    follow_symlinks: bool = False  # follow links that point outside the scanned paths
    roots: tuple[Path, ...] = ()  # the scanned paths, resolved (set by the scan itself)
    # Amazon Inspector v2 `list-findings` exports joined with the AMIs of launch sources
    vulnerability_files: tuple[str, ...] = ()
    # a network-exploitable CVE needs a known exploit or an EPSS score at least this high
    epss_threshold: float = 0.1
    # the day end-of-life dates are compared with; None: the day of the scan
    as_of: date | None = None

    def wants(self, trait_id: str) -> bool:
        return (not self.select or trait_id in self.select) and trait_id not in self.ignore
