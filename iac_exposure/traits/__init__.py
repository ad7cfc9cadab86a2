"""The traits: one module each, listed explicitly (no registration by import side effect)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import ModuleType

from ..config import Config
from ..findings import Finding, TraitMeta
from ..model.graph import Model
from . import (
    eol_operating_system,
    iam_admin_policy,
    iam_service_admin_policy,
    imdsv1_allowed,
    internet_reachable,
    network_exploitable_cve,
    open_security_group,
    public_ip,
    remote_access_open,
    software_cve,
    vpc_reachable,
)

TRAITS: tuple[ModuleType, ...] = (
    imdsv1_allowed,
    iam_admin_policy,
    iam_service_admin_policy,
    remote_access_open,
    open_security_group,
    public_ip,
    internet_reachable,
    vpc_reachable,
    network_exploitable_cve,
    software_cve,
    eol_operating_system,
)

Check = Callable[[Model, Config], Iterator[Finding]]


def by_id() -> dict[str, ModuleType]:
    return {module.META.id: module for module in TRAITS}


def meta(trait_id: str) -> TraitMeta:
    return by_id()[trait_id].META  # type: ignore[no-any-return]
