"""Terraform plan JSON is never patched: it is the output of `terraform plan`, stale once the sources change.

Findings of a plan whose configuration is on disk are located in the `.tf` files and patched there (format
"hcl"); a value located only in the plan (no configuration on disk, or no literal text in it) gets a
display-only suggestion, with this reason.
"""

from __future__ import annotations

from .edits import Edit
from .remedies import Action
from .render import PatchContext, Unpatchable


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    raise Unpatchable(
        "the value is located only in the plan, which is never patched: its .tf sources were not found (pass "
        "--source-dir DIR, the directory terraform plan ran in) or do not write it literally (a dynamic block)"
    )
