"""Scan settings (the CLI fills them; config files come with the integrations issue)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .exposures import ExposureTable


@dataclass(frozen=True, slots=True)
class Config:
    select: frozenset[str] = frozenset()  # empty: every trait
    ignore: frozenset[str] = frozenset()
    # the account's IMDS default; "required" silences the unset (not the explicit "optional") case
    imds_account_default: str = "no-preference"
    # how traits rate an exposure (likelihood × impact); None: the built-in table, `exposures.DEFAULT_TABLE`
    exposure_table: ExposureTable | None = None

    def wants(self, trait_id: str) -> bool:
        return (not self.select or trait_id in self.select) and trait_id not in self.ignore
