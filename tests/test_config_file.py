"""Config files: discovery by walking up, every key's effect through the CLI, clear errors, lazy pydantic."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from iac_exposure import config_file
from iac_exposure.config import Config

from .test_cli import run

OPEN_SSH = """\
resource "aws_security_group" "ssh" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "web" {
  ami                         = "ami-0c02fb55956c7d316"
  subnet_id                   = "subnet-0123456789abcdef0"
  associate_public_ip_address = true
  vpc_security_group_ids      = [aws_security_group.ssh.id]
}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository (a `.git` directory bounds the search) with one module, as the working directory."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(OPEN_SSH)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def traits(*args: str) -> tuple[int, set[str]]:
    code, out, err = run("scan", *args, "--format", "json")
    assert code in (0, 1), err
    return code, {f["trait"] for f in json.loads(out)["findings"]}


ALL = {"imdsv1-allowed", "public-ip", "remote-access-open", "open-security-group"}


def test_no_config_file_means_defaults(repo: Path) -> None:
    assert config_file.find(["infra"]) is None
    assert traits("infra") == (1, ALL)


def test_pyproject_table_is_found_walking_up_from_the_scanned_path(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.iac-exposure]\nselect = ["public-ip"]\n')
    assert config_file.find(["infra/main.tf"]) == repo / "pyproject.toml"
    assert traits("infra") == (1, {"public-ip"})
    assert traits("infra/main.tf") == (1, {"public-ip"})


def test_the_nearest_file_wins_and_a_pyproject_without_the_table_is_passed_over(repo: Path) -> None:
    (repo / ".iac-exposure.toml").write_text('select = ["public-ip"]\n')
    (repo / "infra" / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n")
    assert config_file.find(["infra"]) == repo / ".iac-exposure.toml"
    (repo / "pyproject.toml").write_text('[tool.iac-exposure]\nselect = ["imdsv1-allowed"]\n')
    assert config_file.find(["infra"]) == repo / ".iac-exposure.toml"  # the tool's own file first, same directory
    (repo / "infra" / ".iac-exposure.toml").write_text('ignore = ["public-ip"]\n')
    assert config_file.find(["infra"]) == repo / "infra" / ".iac-exposure.toml"
    assert traits("infra") == (1, ALL - {"public-ip"})


def test_the_search_stops_at_the_repository_root(repo: Path) -> None:
    inner = repo / "vendored"
    inner.mkdir()
    (inner / ".git").write_text("gitdir: ../.git/modules/vendored\n")  # a submodule: .git is a file
    (inner / "main.tf").write_text(OPEN_SSH)
    (repo / ".iac-exposure.toml").write_text('select = ["public-ip"]\n')
    assert config_file.find(["vendored"]) is None
    assert traits("vendored") == (1, ALL)


def test_cli_options_override_the_file(repo: Path) -> None:
    (repo / ".iac-exposure.toml").write_text(
        'select = ["public-ip", "remote-access-open"]\nfail-on = "critical"\nimds-account-default = "required"\n'
    )
    assert traits("infra") == (0, {"public-ip", "remote-access-open"})  # found, but below fail-on
    assert traits("infra", "--fail-on", "high") == (1, {"public-ip", "remote-access-open"})
    assert traits("infra", "--select", "imdsv1-allowed") == (0, set())  # required by the file's IMDS default
    assert traits("infra", "--select", "imdsv1-allowed", "--imds-account-default", "no-preference") == (
        0, {"imdsv1-allowed"})  # fmt: skip


def test_explicit_config_file(repo: Path) -> None:
    (repo / "ci.toml").write_text('ignore = ["public-ip", "imdsv1-allowed"]\n')
    assert traits("infra", "--config", "ci.toml") == (1, {"remote-access-open", "open-security-group"})
    code, _, err = run("scan", "infra", "--config", "missing.toml")
    assert code == 2 and "missing.toml: cannot read" in err


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        (".iac-exposure.toml", 'selct = ["public-ip"]\n', ".iac-exposure.toml: selct: unknown key (did you mean 'select'?)"),
        ("pyproject.toml", '[tool.iac-exposure]\nfail-on = "hgih"\n',
         "pyproject.toml: [tool.iac-exposure] fail-on: Input should be 'low', 'medium', 'high' or 'critical' (got 'hgih')"),
        (".iac-exposure.toml", 'select = ["remote-acces-open"]\n',
         "select[0]: unknown trait 'remote-acces-open' (did you mean 'remote-access-open'?) (got 'remote-acces-open')"),
        (".iac-exposure.toml", 'trusted-cidrs = ["10.0.0.0/8", "0.0.0.0/0"]\n',
         "trusted-cidrs[1]: a /0 is the whole internet and cannot be trusted (got '0.0.0.0/0')"),
        (".iac-exposure.toml", 'trusted-cidrs = ["10.0.0.0/33"]\n', "trusted-cidrs[0]: not a CIDR (got '10.0.0.0/33')"),
        (".iac-exposure.toml", "epss-threshold = 2\n",
         "epss-threshold: Input should be less than or equal to 1 (got 2)"),
        (".iac-exposure.toml", 'respect-gitignore = "yes"\n', "respect-gitignore: Input should be a valid boolean (got 'yes')"),
        (".iac-exposure.toml", 'vulnerabilities = ["inspector.json"]\n', "vulnerabilities: no such file: inspector.json"),
        (".iac-exposure.toml", "[[per-resource-ignores]]\nresource = \"aws_instance.web\"\ntrait = [\"public-ip\"]\n",
         "per-resource-ignores[0].trait: unknown key (did you mean 'traits'?)"),
        (".iac-exposure.toml", "[[per-resource-ignores]]\nresource = \"aws_instance.web\"\ntraits = [\"public-ip\"]\nuntil = \"soon\"\n",
         "per-resource-ignores[0].until: must be a date, YYYY-MM-DD (got 'soon')"),
        (".iac-exposure.toml", "select = [\n", ".iac-exposure.toml: not valid TOML:"),
        ("pyproject.toml", '[tool]\niac-exposure = "on"\n', "pyproject.toml: [tool.iac-exposure] must be a table"),
    ],
)  # fmt: skip
def test_a_bad_file_is_a_clear_error_naming_file_and_key(repo: Path, file: str, text: str, message: str) -> None:
    (repo / file).write_text(text)
    code, out, err = run("scan", "infra")
    assert code == 2 and out == ""
    assert message in err


def test_several_errors_are_listed_together(repo: Path) -> None:
    (repo / ".iac-exposure.toml").write_text('fail-on = "urgent"\nexclude = "modules/"\n')
    code, _, err = run("scan", "infra")
    assert code == 2
    assert ".iac-exposure.toml: invalid settings:\n" in err
    assert "\n  exclude: Input should be a valid list (got 'modules/')\n" in err
    assert "\n  fail-on: Input should be 'low', 'medium', 'high' or 'critical' (got 'urgent')\n" in err


def test_exclude_globs_relative_to_the_config_file(repo: Path) -> None:
    (repo / "infra" / "legacy").mkdir()
    (repo / "infra" / "legacy" / "old.tf").write_text(OPEN_SSH)
    (repo / ".iac-exposure.toml").write_text('exclude = ["infra/legacy/"]\nselect = ["public-ip"]\n')
    code, out, _ = run("scan", ".", "--format", "json")
    assert {f["location"]["file"] for f in json.loads(out)["findings"]} == {"infra/main.tf"}
    code, out, _ = run("scan", "infra/legacy/old.tf", "--format", "json")  # named files are excluded too
    assert json.loads(out)["findings"] == [] and code == 0


def test_gitignore_is_respected_in_a_git_repository_unless_turned_off(repo: Path) -> None:
    for name in ("build", "keep"):
        (repo / "infra" / name).mkdir()
        (repo / "infra" / name / "gen.tf").write_text(OPEN_SSH)
    (repo / ".gitignore").write_text("infra/build/\n*.tf\n!infra/main.tf\n")
    (repo / "infra" / ".gitignore").write_text("!keep/gen.tf\n")  # a deeper file overrides
    _, out, _ = run("scan", ".", "--format", "json", "--select", "public-ip")
    assert {f["location"]["file"] for f in json.loads(out)["findings"]} == {"infra/main.tf", "infra/keep/gen.tf"}
    # a directory git ignores is still scanned when it is named, as ripgrep does
    _, out, _ = run("scan", "infra/build", "--format", "json", "--select", "public-ip")
    assert {f["location"]["file"] for f in json.loads(out)["findings"]} == {"infra/build/gen.tf"}
    (repo / ".iac-exposure.toml").write_text("respect-gitignore = false\n")
    _, out, _ = run("scan", ".", "--format", "json", "--select", "public-ip")
    assert {f["location"]["file"] for f in json.loads(out)["findings"]} == {
        "infra/main.tf", "infra/keep/gen.tf", "infra/build/gen.tf"}  # fmt: skip


def test_gitignore_is_git_semantics_so_outside_a_repository_it_does_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "main.tf").write_text(OPEN_SSH)
    (tmp_path / ".gitignore").write_text("*.tf\n")
    monkeypatch.chdir(tmp_path)
    assert traits(".", "--select", "public-ip") == (1, {"public-ip"})


def test_per_resource_ignores(repo: Path) -> None:
    (repo / "other").mkdir()
    (repo / "other" / "main.tf").write_text(OPEN_SSH)
    (repo / ".iac-exposure.toml").write_text(
        "select = ['remote-access-open', 'public-ip']\n"
        "[[per-resource-ignores]]\n"
        "resource = 'aws_security_group.ss*'\n"
        "traits = ['remote-access-open']\n"
        "paths = ['infra/']\n"
        "reason = 'jump hosts; reviewed in SEC-42'\n"
        "[[per-resource-ignores]]\n"
        "resource = 'aws_instance.web'\n"
        "traits = ['public-ip']\n"
        "reason = 'temporary'\n"
        "until = 2020-05-01\n"
    )
    _, out, _ = run("scan", ".", "--format", "json", "--show-suppressed")
    data = json.loads(out)
    assert {(f["trait"], f["location"]["file"]) for f in data["findings"]} == {
        ("remote-access-open", "other/main.tf"), ("public-ip", "infra/main.tf"), ("public-ip", "other/main.tf")}  # fmt: skip
    [hidden] = data["suppressed"]
    assert hidden["suppression"] == {"origin": "config", "file": ".iac-exposure.toml", "line": None,
                                     "reason": "jump hosts; reviewed in SEC-42", "until": None}  # fmt: skip
    # one notice, not one per module
    assert [(n["file"], n["kind"]) for n in data["notices"]] == [(".iac-exposure.toml", "expired-suppression")]


def test_vulnerability_files_and_epss_are_read_relative_to_the_file(repo: Path) -> None:
    (repo / "sec").mkdir()
    (repo / "sec" / "inspector.json").write_text('{"findings": []}')
    (repo / "sec" / ".iac-exposure.toml").write_text('vulnerabilities = ["inspector.json"]\nepss-threshold = 0.25\n')
    config = config_file.load(repo / "sec" / ".iac-exposure.toml")
    assert config.vulnerability_files == (str(repo / "sec" / "inspector.json"),)
    assert config.epss_threshold == 0.25 and config.root == repo / "sec"


def test_trusted_cidrs() -> None:
    config = Config(trusted_cidrs=("10.0.0.0/8", "2001:db8::/32"))
    assert config.trusts("10.1.2.0/24") and config.trusts("10.0.0.0/8") and config.trusts("2001:db8:1::/48")
    assert not config.trusts("11.0.0.0/8") and not config.trusts("0.0.0.0/0") and not config.trusts("::/0")
    assert not config.trusts("10.0.0.0/7") and not config.trusts("not a cidr")


def _imported(args: list[str], cwd: Path) -> set[str]:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "iac_exposure", *args], cwd=cwd,
                            capture_output=True, text=True, env=env, check=False)  # fmt: skip
    lines = [line.split("|") for line in result.stderr.splitlines() if line.startswith("import time:") and "|" in line]
    return {parts[-1].strip().split(".")[0] for parts in lines}


def test_pydantic_is_imported_only_when_a_config_file_exists(repo: Path) -> None:
    modules = _imported(["scan", "infra/main.tf", "--select", "public-ip"], repo)
    assert "pydantic" not in modules and "pathspec" not in modules
    (repo / "pyproject.toml").write_text('[tool.iac-exposure]\nfail-on = "high"\n')
    modules = _imported(["scan", "infra/main.tf", "--select", "public-ip"], repo)
    assert "pydantic" in modules


def test_vulnerability_files_from_the_config_feed_the_scan_and_the_cli_overrides_epss(workdir: Path) -> None:
    case = workdir / "fixtures" / "terraform" / "network_exploitable_cve"
    (workdir / ".git").mkdir()
    args = ("scan", str(case.relative_to(workdir)), "--format", "json", "--select", "network-exploitable-cve")
    _, out, _ = run(*args)
    assert json.loads(out)["findings"] == []  # no Inspector findings given
    (workdir / ".iac-exposure.toml").write_text(
        f'vulnerabilities = ["{case.relative_to(workdir).as_posix()}/inspector.json"]\nepss-threshold = 1.0\n'
    )
    _, out, _ = run(*args)
    strict = {f["resource"] for f in json.loads(out)["findings"]}
    _, out, _ = run(*args, "--epss-threshold", "0")
    loose = {f["resource"] for f in json.loads(out)["findings"]}
    assert strict and strict < loose  # epss-threshold = 1.0 keeps only known exploits; --epss-threshold 0 wins
