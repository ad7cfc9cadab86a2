"""The README's quickstart is what CI runs."""

from __future__ import annotations

import re

from .conftest import ROOT


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\s+```sh\n(.*?)```", text, re.DOTALL)
    assert block, "README starts with a Quickstart code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands() -> None:
    commands = quickstart_commands()
    assert len(commands) == 2
    assert "iac-exposure scan fixtures/" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    assert quickstart_commands()[1] in (ROOT / ".ci" / "run").read_text()
