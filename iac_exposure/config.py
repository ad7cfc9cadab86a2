"""Scan settings (the CLI fills them; config files come with the integrations issue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    select: frozenset[str] = frozenset()  # empty: every trait
    ignore: frozenset[str] = frozenset()
    # the account's IMDS default; "required" silences the unset (not the explicit "optional") case
    imds_account_default: str = "no-preference"
    # where the configuration of a Terraform plan is (default: the plan file's directory)
    source_dir: str | None = None
    # the directories and files the scan was given (api.scan fills it): names are relative to them
    scan_roots: tuple[str, ...] = ()

    def wants(self, trait_id: str) -> bool:
        return (not self.select or trait_id in self.select) and trait_id not in self.ignore
