"""The config file's schema (pydantic). Imported only when a config file is read."""

from __future__ import annotations

import ipaddress
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def _trait(value: str) -> str:
    from .traits import by_id

    known = by_id()
    if value not in known:
        import difflib

        close = difflib.get_close_matches(value, sorted(known), n=1)
        raise ValueError(f"unknown trait {value!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    return value


def _cidr(value: str) -> str:
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        raise ValueError("not a CIDR") from None
    if network.prefixlen == 0:
        raise ValueError("a /0 is the whole internet and cannot be trusted")
    return str(network)


def _date(value: Any) -> date:
    """A TOML date (`until = 2025-06-30`) or the same as a string."""
    from .suppressions import parse_date

    parsed = value if isinstance(value, date) else parse_date(value) if isinstance(value, str) else None
    if parsed is None:
        raise ValueError("must be a date, YYYY-MM-DD")
    return parsed


TraitId = Annotated[str, AfterValidator(_trait)]
Cidr = Annotated[str, AfterValidator(_cidr)]
Until = Annotated[date, BeforeValidator(_date)]


class _Strict(BaseModel):
    # strict: TOML has real types, so `fail-on = 1` or `respect-gitignore = "yes"` are mistakes, not coercions
    model_config = ConfigDict(extra="forbid", alias_generator=_kebab, strict=True, frozen=True)

    @classmethod
    def keys(cls) -> set[str]:
        return {_kebab(name) for name in cls.model_fields}


class ResourceIgnoreSettings(_Strict):
    resource: str = Field(min_length=1)  # address glob
    traits: list[TraitId] = Field(min_length=1)
    reason: str = ""
    until: Until | None = None
    paths: list[str] = []


class FileSettings(_Strict):
    select: list[TraitId] = []
    ignore: list[TraitId] = []
    fail_on: Literal["low", "medium", "high", "critical"] = "low"
    exclude: list[str] = []
    respect_gitignore: bool = True
    trusted_cidrs: list[Cidr] = []
    imds_account_default: Literal["no-preference", "optional", "required"] = "no-preference"
    epss_threshold: float = Field(0.1, ge=0, le=1)
    vulnerabilities: list[str] = []
    per_resource_ignores: list[ResourceIgnoreSettings] = []
    suppression_reason: Literal["required", "recommended", "optional"] = "required"
    # the exposure table (`exposures.ExposureTable.from_mapping` checks it): likelihood and impact rows
    exposures: dict[str, Any] = {}
