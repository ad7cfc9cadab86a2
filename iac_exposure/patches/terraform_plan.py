"""Terraform plan JSON is never patched: it is the output of `terraform plan`, stale once the sources change.

Findings of a plan whose configuration is on disk are located in the `.tf` files and patched there (format
"hcl"); a plan read without its configuration only has display-only suggestions, with this reason.
"""

from __future__ import annotations

from .edits import Edit
from .remedies import Action
from .render import PatchContext, Unpatchable


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    raise Unpatchable(
        "a plan is never patched and its configuration was not found beside it: "
        "pass --source-dir DIR (the directory terraform plan ran in) to get a patch for the .tf files"
    )
