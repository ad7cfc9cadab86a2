"""Changed-files mode parses only the files of a module that can matter to the named ones
(`readers/terraform_slice.py`). What it reports must be exactly what reading the whole module reports."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from iac_exposure.adapters.terraform import module as tf_module
from iac_exposure.api import scan
from iac_exposure.config import Config
from iac_exposure.readers import terraform as tf_reader
from iac_exposure.readers.terraform_slice import ALIASABLE, relevant
from iac_exposure.reporters.json import to_dict

ROOT = Path(__file__).parent.parent
MODULES = sorted(
    {p.parent for p in (ROOT / "fixtures").rglob("*.tf") if len(list(p.parent.glob("*.tf"))) > 1},
)


def _report(paths: list[str], whole: bool, monkeypatch: pytest.MonkeyPatch, **config: Any) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        if whole:
            patch.setattr(tf_reader, "_named_files", lambda paths: {})
        parsed: list[str] = []
        real = tf_reader._Loader._parse

        def spy(self: Any, path: Path, files: list[Any]) -> Any:
            parsed.append(path.name)
            return real(self, path, files)

        patch.setattr(tf_reader._Loader, "_parse", spy)
        report = to_dict(scan(paths, Config(use_cache=False, **config)))
    report.pop("diagnostics")  # a file left out is not parsed, so its syntax errors are not reported
    report.pop("summary")
    report["parsed"] = sorted(parsed)
    return report


@pytest.mark.parametrize("directory", MODULES, ids=lambda d: d.relative_to(ROOT).as_posix())
def test_every_fixture_file_alone_reports_as_with_its_whole_module(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    for file in sorted(directory.glob("*.tf")):
        path = file.relative_to(ROOT).as_posix()
        sliced = _report([path], False, monkeypatch)
        whole = _report([path], True, monkeypatch)
        assert set(sliced.pop("parsed")) <= set(whole.pop("parsed"))
        assert sliced == whole, path


def _module(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(textwrap.dedent(text))
    return tmp_path


INSTANCE = """
    resource "aws_instance" "web" {
      ami                    = "ami-12345678"
      instance_type          = "t3.micro"
      vpc_security_group_ids = [aws_security_group.web.id]
      metadata_options { http_tokens = "required" }
    }
"""
OPEN_RULE = """
    resource "aws_security_group_rule" "ssh" {
      type              = "ingress"
      from_port         = 22
      to_port           = 22
      protocol          = "tcp"
      cidr_blocks       = ["0.0.0.0/0"]
      security_group_id = aws_security_group.web.id
    }
"""
UNRELATED = """
    resource "aws_s3_bucket" "logs" {
      bucket = "logs"
    }
"""

CASES: dict[str, tuple[dict[str, str], str, set[str]]] = {
    # a rule in a third file attaches to the group the named file's instance uses: internet-reachable
    "attacher": (
        {
            "ec2.tf": INSTANCE.replace("vpc_security", "associate_public_ip_address = true\n  vpc_security"),
            "sg.tf": 'resource "aws_security_group" "web" {}\n',
            "rules.tf": OPEN_RULE,
            "other.tf": UNRELATED,
        },
        "ec2.tf",
        {"ec2.tf", "sg.tf", "rules.tf"},
    ),
    # a world CIDR in the named file's variable default flows into another file's group
    "variable default": (
        {
            "variables.tf": 'variable "cidr" {\n  default = "0.0.0.0/0"\n}\n',
            "sg.tf": OPEN_RULE.replace('["0.0.0.0/0"]', "[var.cidr]") + 'resource "aws_security_group" "web" {}\n',
            "ec2.tf": INSTANCE,
            "other.tf": UNRELATED,
        },
        "variables.tf",
        {"variables.tf", "sg.tf", "ec2.tf"},
    ),
    # the instance names its group by a literal name: every file that may define such a group is read
    "name link": (
        {
            "ec2.tf": INSTANCE.replace("[aws_security_group.web.id]", '["web-sg"]'),
            "sg.tf": 'resource "aws_security_group" "web" {\n  name = "web-sg"\n}\n' + OPEN_RULE,
            "other.tf": UNRELATED,
        },
        "ec2.tf",
        {"ec2.tf", "sg.tf"},
    ),
    # instances without a subnet are in the default VPC, whichever file shapes it
    "account wide": (
        {
            "ec2.tf": INSTANCE,
            "sg.tf": 'resource "aws_security_group" "web" {}\n' + OPEN_RULE,
            "default.tf": 'resource "aws_default_security_group" "d" {}\n',
            "other.tf": UNRELATED,
        },
        "ec2.tf",
        {"ec2.tf", "sg.tf", "default.tf"},
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_slice_keeps_the_files_that_matter(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files, named, expected = CASES[case]
    directory = _module(tmp_path, files)
    texts = {p.name: p.read_text() for p in directory.glob("*.tf")}
    assert relevant(texts, [named]) == expected
    monkeypatch.chdir(directory)
    sliced = _report([named], False, monkeypatch)
    whole = _report([named], True, monkeypatch)
    assert sliced.pop("parsed") == sorted(expected)
    assert whole.pop("parsed") == sorted(texts)
    assert sliced == whole
    if case != "account wide":
        assert sliced["findings"], "the case must produce a finding located in the named file"


def test_a_new_input_never_collides_with_a_file_left_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The patch declares `var.trusted_cidr`; a file left out of the slice already declares one."""
    directory = _module(
        tmp_path,
        {
            "sg.tf": 'resource "aws_security_group" "web" {}\n' + OPEN_RULE,
            "unrelated.tf": 'variable "trusted_cidr" {\n  default = "10.0.0.0/8"\n}\n',
        },
    )
    monkeypatch.chdir(directory)
    report = _report(["sg.tf"], False, monkeypatch)
    assert report.pop("parsed") == ["sg.tf"]
    patches = [f["patch"] for f in report["findings"] if f.get("patch")]
    assert patches, report["findings"]
    assert all('variable "trusted_cidr"' not in p for p in patches)
    assert any('variable "trusted_cidr_2"' in p for p in patches)


def test_a_module_called_from_another_scanned_directory_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = _module(
        tmp_path,
        {
            "root/main.tf": 'module "sg" {\n  source = "../mod"\n  cidr = "0.0.0.0/0"\n}\n',
            "root/other.tf": UNRELATED,
            "mod/vars.tf": 'variable "cidr" {}\n',
            "mod/sg.tf": 'resource "aws_security_group" "web" {}\n' + OPEN_RULE.replace('["0.0.0.0/0"]', "[var.cidr]"),
            "mod/unrelated.tf": UNRELATED,
        },
    )
    monkeypatch.chdir(directory)
    sliced = _report(["root/other.tf", "mod/vars.tf"], False, monkeypatch)
    whole = _report(["root/other.tf", "mod/vars.tf"], True, monkeypatch)
    assert "main.tf" in sliced["parsed"] and "sg.tf" in sliced["parsed"]
    sliced.pop("parsed"), whole.pop("parsed")
    assert sliced == whole


def test_aliasable_types_are_those_whose_adapters_take_literal_names() -> None:
    """A new adapter that passes `aliases` must be listed, or a name link could be left out."""
    import inspect

    takes_names = {
        kind for kind, adapter in tf_module.ADAPTERS.items() if re.search(r"\baliases\(", inspect.getsource(adapter))
    }
    assert takes_names <= ALIASABLE
