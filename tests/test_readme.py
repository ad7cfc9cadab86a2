"""The README's quickstart is what CI runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from iac_exposure import config_file
from iac_exposure.cli import main

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


def _block(after: str, lang: str) -> str:
    text = (ROOT / "README.md").read_text()
    block = re.search(rf"{re.escape(after)}.*?```{lang}\n(.*?)```", text, re.DOTALL)
    assert block, f"README has a {lang} block after {after!r}"
    return block.group(1)


def test_the_configuration_example_is_valid(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(_block("## Configuration", "toml"))
    (tmp_path / "inspector-findings.json").write_text('{"findings": []}')
    config = config_file.load(tmp_path / "pyproject.toml")
    assert config.fail_on == "high" and config.resource_ignores[0].resource == "aws_security_group.bastion*"


def test_the_suppression_example_suppresses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "main.tf").write_text(
        _block("## Suppressing a finding", "hcl")
        + 'resource "aws_instance" "jump" {\n  vpc_security_group_ids = [aws_security_group.bastion.id]\n}\n'
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        main, ["scan", ".", "--format", "json", "--select", "remote-access-open,open-security-group"]
    )
    data = json.loads(result.stdout)
    assert data["findings"] == [] and data["summary"]["suppressed"] == 2
