"""A remote module's files under `.terraform/modules` are a copy `terraform init` installed: never patched."""

from __future__ import annotations

from .edits import Edit
from .remedies import Action
from .render import PatchContext, Unpatchable


def edits(action: Action, ctx: PatchContext) -> list[Edit]:
    raise Unpatchable(
        "the file is a remote module installed by terraform init (.terraform/modules): change the module at its "
        "source, or override the value from the calling module"
    )
