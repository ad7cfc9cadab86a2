"""Scan settings: the defaults, overridden by a config file (`config_file.py`), overridden by CLI options."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._records import record

if TYPE_CHECKING:  # annotations only: `--help` and `--version` must not pay for pathlib
    from datetime import date
    from pathlib import Path

    from .exposures import ExposureTable
    from .suppressions import ResourceIgnore

SEVERITIES = ("low", "medium", "high", "critical")


@record
class Config:
    select: frozenset[str] = frozenset()  # empty: every trait
    ignore: frozenset[str] = frozenset()
    fail_on: str = "low"  # exit 1 for findings at or above
    # the account's IMDS default; "required" silences the unset (not the explicit "optional") case
    imds_account_default: str = "no-preference"
    # how traits rate an exposure (likelihood × impact); None: the built-in table, `exposures.DEFAULT_TABLE`
    exposure_table: ExposureTable | None = None
    # CIDRs the user trusts: never the internet (a /0 cannot be trusted; config validation rejects it)
    trusted_cidrs: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, relative to `root`
    respect_gitignore: bool = True  # skip what .gitignore files of the enclosing git repository ignore
    resource_ignores: tuple[ResourceIgnore, ...] = ()
    suppression_reason: str = "required"  # "required" | "recommended" | "optional"
    baseline: Path | None = None  # report only findings not recorded in this baseline file
    root: Path | None = None  # the config file's directory: its relative paths and patterns start here
    source: Path | None = None  # the config file, when one was read
    max_file_size: int = 10 * 1024 * 1024  # bytes; larger files are skipped with a diagnostic
    file_time_budget: float = 20.0  # seconds of parsing per file
    follow_symlinks: bool = False  # follow links that point outside the scanned paths
    roots: tuple[Path, ...] = ()  # the scanned paths, resolved (set by the scan itself)
    # parsed files are cached by content here (None: the user cache directory); use_cache=False: never
    cache_dir: Path | None = None
    use_cache: bool = True
    jobs: int = 0  # parser processes for large scans; 0: one per CPU
    # where the configuration of a Terraform plan is (default: the plan file's directory)
    source_dir: str | None = None
    # Amazon Inspector v2 `list-findings` exports joined with the AMIs of launch sources
    vulnerability_files: tuple[str, ...] = ()
    # a network-exploitable CVE needs a known exploit or an EPSS score at least this high
    epss_threshold: float = 0.1
    # the day end-of-life dates are compared with; None: the day of the scan
    as_of: date | None = None
    # Terraform root variables from the command line, in command-line order (later wins):
    # ("file", PATH) for --var-file, ("var", "NAME=VALUE") for --var
    variables: tuple[tuple[str, str], ...] = ()
    # CloudFormation parameter values (`--parameter NAME=VALUE`), used instead of the parameters' defaults
    parameters: tuple[tuple[str, str], ...] = ()

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
