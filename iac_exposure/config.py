"""Scan settings: the defaults, overridden by a config file (`config_file.py`), overridden by CLI options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .suppressions import ResourceIgnore

SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Config:
    select: frozenset[str] = frozenset()  # empty: every trait
    ignore: frozenset[str] = frozenset()
    fail_on: str = "low"  # exit 1 for findings at or above
    # the account's IMDS default; "required" silences the unset (not the explicit "optional") case
    imds_account_default: str = "no-preference"
    # CIDRs the user trusts: never the internet (a /0 cannot be trusted; config validation rejects it)
    trusted_cidrs: tuple[str, ...] = ()
    epss_threshold: float = 0.1  # a package vulnerability at or above this EPSS is network-exploitable
    vulnerabilities: tuple[Path, ...] = ()  # Amazon Inspector findings files
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to `root`
    respect_gitignore: bool = True  # skip what .gitignore files of the enclosing git repository ignore
    resource_ignores: tuple[ResourceIgnore, ...] = ()
    suppression_reason: str = "required"  # "required" | "recommended" | "optional"
    baseline: Path | None = None  # report only findings not recorded in this baseline file
    root: Path | None = None  # the config file's directory: its relative paths and patterns start here
    source: Path | None = None  # the config file, when one was read

    def wants(self, trait_id: str) -> bool:
        return (not self.select or trait_id in self.select) and trait_id not in self.ignore

    def trusts(self, cidr: str) -> bool:
        """Whether `cidr` lies within a trusted CIDR (then it is not the internet, whatever its range)."""
        import ipaddress

        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            return False
        for trusted in self.trusted_cidrs:
            other = ipaddress.ip_network(trusted, strict=False)
            if other.version == network.version and network.subnet_of(other):  # type: ignore[arg-type]
                return True
        return False
