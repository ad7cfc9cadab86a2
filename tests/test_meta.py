"""Meta-tests: the trait catalogue stays consistent as it grows."""

from __future__ import annotations

import pkgutil
import re

import pytest

import iac_exposure.traits as traits_pkg
from iac_exposure.traits import TRAITS

HEADINGS = ("## What it flags", "## Why is this bad?", "## Example", "## Fix", "## Fix safety", "## References")


def test_trait_ids_are_unique_and_kebab_case() -> None:
    ids = [m.META.id for m in TRAITS]
    assert len(ids) == len(set(ids))
    for trait_id in ids:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", trait_id), trait_id


def test_every_trait_module_is_listed() -> None:
    modules = {m.name for m in pkgutil.iter_modules(traits_pkg.__path__) if not m.name.startswith("_")}
    assert modules == {m.__name__.rsplit(".", 1)[-1] for m in TRAITS}


@pytest.mark.parametrize("module", TRAITS, ids=lambda m: m.META.id)
def test_module_is_named_after_its_id(module) -> None:  # type: ignore[no-untyped-def]
    assert module.__name__.rsplit(".", 1)[-1] == module.META.id.replace("-", "_")


@pytest.mark.parametrize("module", TRAITS, ids=lambda m: m.META.id)
def test_docstring_has_every_heading_in_order(module) -> None:  # type: ignore[no-untyped-def]
    doc = module.__doc__ or ""
    positions = [doc.find(h + "\n") for h in HEADINGS]
    assert all(p >= 0 for p in positions), [h for h, p in zip(HEADINGS, positions) if p < 0]
    assert positions == sorted(positions)


@pytest.mark.parametrize("module", TRAITS, ids=lambda m: m.META.id)
def test_fix_title_is_imperative(module) -> None:  # type: ignore[no-untyped-def]
    first = module.META.fix_title.split()[0]
    assert first[0].isupper() and not first.endswith(("ing", "ed", "s"))
