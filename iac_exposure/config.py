"""Scan settings (the CLI fills them; config files come with the integrations issue)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Config:
    select: frozenset[str] = frozenset()  # empty: every trait
    ignore: frozenset[str] = frozenset()
    # the account's IMDS default; "required" silences the unset (not the explicit "optional") case
    imds_account_default: str = "no-preference"
    # Terraform root variables from the command line, in command-line order (later wins):
    # ("file", PATH) for --var-file, ("var", "NAME=VALUE") for --var
    variables: tuple[tuple[str, str], ...] = ()

    def wants(self, trait_id: str) -> bool:
        return (not self.select or trait_id in self.select) and trait_id not in self.ignore
