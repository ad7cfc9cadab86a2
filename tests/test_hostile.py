"""Hostile and broken input: every file gets a verdict, none crashes or hangs the scan."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iac_exposure.api import scan
from iac_exposure.cli import main
from iac_exposure.config import Config

from .conftest import FIXTURES

GOOD_SSH = """resource "aws_security_group" "open" {
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""


def kinds(report) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {Path(d.file).name: d.kind for d in report.diagnostics}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_directory_of_bad_files_gives_one_diagnostic_each_and_the_good_finding(repo: Path) -> None:
    (repo / "truncated").mkdir()
    (repo / "truncated" / "main.tf").write_text(GOOD_SSH[:70])
    (repo / "binary").mkdir()
    (repo / "binary" / "main.tf").write_bytes(bytes(range(256)) * 8)
    (repo / "loop").mkdir()
    os.symlink("loop", repo / "loop" / "self")  # a directory link to itself: never followed
    os.symlink("b.tf", repo / "loop" / "a.tf")
    os.symlink("a.tf", repo / "loop" / "b.tf")  # a file link loop
    (repo / "good").mkdir()
    (repo / "good" / "main.tf").write_text(GOOD_SSH)
    started = time.monotonic()
    code = CliRunner().invoke(main, ["scan", ".", "--format", "json"])
    assert time.monotonic() - started < 10
    data = json.loads(code.stdout)
    assert code.exit_code == 2
    assert {f["resource"] for f in data["findings"]} == {"aws_security_group.open"}
    by_file = {d["file"]: d["kind"] for d in data["diagnostics"]}
    assert by_file["truncated/main.tf"] == "parse-error"
    assert by_file["binary/main.tf"] == "binary"
    assert by_file["loop/a.tf"] == "read-error" and by_file["loop/b.tf"] == "read-error"


def test_size_cap(repo: Path) -> None:
    (repo / "main.tf").write_text(GOOD_SSH)
    report = scan(["."], Config(max_file_size=100))
    assert kinds(report) == {"main.tf": "too-large"}
    assert report.diagnostics[0].error and "over the 100-byte limit" in report.diagnostics[0].message


def test_time_budget(repo: Path) -> None:
    (repo / "main.tf").write_text("locals {\n  x = [" + ", ".join(["1"] * 60_000) + "]\n}\n" + GOOD_SSH)
    started = time.monotonic()
    report = scan(["."], Config(file_time_budget=0.3))
    assert time.monotonic() - started < 5
    assert kinds(report) == {"main.tf": "too-slow"}


def test_deep_nesting_is_a_parse_error_fast(repo: Path) -> None:
    (repo / "main.tf").write_text("x = " + "[" * 5000 + "]" * 5000 + "\n" + GOOD_SSH)
    started = time.monotonic()
    report = scan(["."], Config())
    assert time.monotonic() - started < 3
    assert kinds(report) == {"main.tf": "parse-error"}


def test_fifo_and_outside_link_are_not_opened(repo: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside") / "secret.tf"
    outside.write_text(GOOD_SSH)
    (repo / "scan").mkdir()
    os.mkfifo(repo / "scan" / "pipe.tf")  # opening it would block forever
    os.symlink(outside, repo / "scan" / "linked.tf")
    (repo / "scan" / "main.tf").write_text('resource "aws_s3_bucket" "b" {}\n')
    report = scan(["scan"], Config())
    assert kinds(report) == {"pipe.tf": "not-a-file", "linked.tf": "symlink-outside"}
    assert not any(d.error for d in report.diagnostics)
    assert report.results == []
    followed = scan(["scan"], Config(follow_symlinks=True))
    assert {r.finding.resource.address for r in followed.results} == {"aws_security_group.open"}


@pytest.mark.parametrize("encoding,bom", [("utf-8-sig", b""), ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_byte_order_marks_are_decoded_and_kept_by_fix(repo: Path, encoding: str, bom: bytes) -> None:
    from iac_exposure.fixer import fix

    (repo / "main.tf").write_bytes(bom + GOOD_SSH.replace("\n", "\r\n").encode(encoding))
    report = scan(["."], Config())
    assert not report.diagnostics
    assert {r.finding.trait.id for r in report.results} == {"remote-access-open", "open-security-group"}
    fix(report, unsafe=True)
    data = (repo / "main.tf").read_bytes()
    expected_bom = bom or b"\xef\xbb\xbf"
    assert data.startswith(expected_bom)
    text = data[len(expected_bom) :].decode(encoding.replace("-sig", ""))
    assert "var.trusted_cidr" in text and "\n" not in text.replace("\r\n", "")


def test_invalid_utf8_empty_and_long_lines(repo: Path) -> None:
    (repo / "latin1.tf").write_bytes("# caf\xe9\n".encode("latin-1") + GOOD_SSH.encode())
    (repo / "empty.tf").write_text("")
    (repo / "long.tf").write_text(f'locals {{\n  x = "{"a" * 200_000}"\n}}\n')
    report = scan(["."], Config())
    assert kinds(report) == {"latin1.tf": "decode-error"}


def test_internal_error_is_a_diagnostic_and_the_scan_goes_on(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from iac_exposure.traits import public_ip

    def boom(model, config):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaboom")
        yield

    (repo / "a").mkdir()
    (repo / "a" / "main.tf").write_text(GOOD_SSH)
    monkeypatch.setattr(public_ip, "check", boom)
    result = CliRunner().invoke(main, ["scan", "a", "--format", "json"])
    data = json.loads(result.stdout)
    assert result.exit_code == 2
    ((diag),) = data["diagnostics"]
    assert diag["kind"] == "internal-error" and "please report" in diag["message"]
    assert "Traceback" not in result.stderr
    assert {f["trait"] for f in data["findings"]} == {"remote-access-open", "open-security-group"}
    verbose = CliRunner().invoke(main, ["scan", "a", "--verbose", "--quiet"])
    assert "Traceback" in verbose.stderr and "kaboom" in verbose.stderr


SEEDS = sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.tf"))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SEEDS),
    st.lists(
        st.tuples(
            st.sampled_from(["truncate", "flip", "insert", "delete"]),
            st.integers(0, 10**6),
            st.binary(min_size=1, max_size=3),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_fuzzed_hcl_gives_a_result_or_a_diagnostic(tmp_path_factory, seed: str, mutations) -> None:  # type: ignore[no-untyped-def]
    data = bytearray((FIXTURES / seed).read_bytes())
    for op, where, blob in mutations:
        at = where % (len(data) + 1)
        if op == "truncate":
            del data[at:]
        elif op == "flip" and data:
            data[at % len(data)] ^= blob[0] or 1
        elif op == "insert":
            data[at:at] = blob.replace(b"\0", b"{") if blob[0] % 2 else b'[{("${'[: len(blob) + 2]
        elif op == "delete":
            del data[at : at + len(blob)]
    root = tmp_path_factory.mktemp("fuzz")
    (root / "main.tf").write_bytes(bytes(data))
    started = time.monotonic()
    report = scan([str(root)], Config(file_time_budget=5))
    assert time.monotonic() - started < 10
    assert not [d for d in report.diagnostics if d.kind == "internal-error"], report.diagnostics


def test_grammar_cache_moves_to_our_cache_dir_when_site_packages_is_read_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hcl2.parser

    from iac_exposure.parsers import terraform_hcl

    monkeypatch.setattr(hcl2.parser, "PARSER_FILE", tmp_path / "site" / ".lark_cache.bin")
    monkeypatch.setattr(terraform_hcl.os, "access", lambda path, mode: False)  # as if read-only (we run as root)
    monkeypatch.setenv("IAC_EXPOSURE_CACHE_DIR", str(tmp_path / "cache"))
    terraform_hcl.grammar_cache.cache_clear()
    hcl2.parser.parser.cache_clear()
    try:
        terraform_hcl.grammar_cache()
        assert hcl2.parser.PARSER_FILE == tmp_path / "cache" / "hcl2-8.1.4.lark_cache.bin"
        hcl2.parses_to_tree("a = 1\n")
        assert (tmp_path / "cache" / "hcl2-8.1.4.lark_cache.bin").stat().st_size > 0
    finally:
        terraform_hcl.grammar_cache.cache_clear()
        hcl2.parser.parser.cache_clear()


BOMB = """AWSTemplateFormatVersion: "2010-09-09"
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
Resources:
  X:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: !Ref i
"""


def test_the_issue_s_hostile_directory(repo: Path) -> None:
    """Truncated .tf, 50 MiB JSON, YAML billion laughs, link loops, a binary main.tf, one good file."""
    (repo / "truncated.tf").write_text('resource "aws_instance" "x" {\n  ami = "ami-1"\n')
    with open(repo / "big.json", "w") as fh:
        fh.write('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"X": {"Type": "AWS::EC2::Instance", ')
        fh.write('"Properties": {"Pad": "' + "a" * (50 * 1024 * 1024) + '"}}}}')
    (repo / "bomb.yaml").write_text(BOMB)
    (repo / "loop").mkdir()
    os.symlink("loop", repo / "loop" / "self")
    os.symlink("b.tf", repo / "a.tf")
    os.symlink("a.tf", repo / "b.tf")
    (repo / "main.tf").write_bytes(bytes(range(256)) * 16)
    (repo / "good").mkdir()
    (repo / "good" / "main.tf").write_text(GOOD_SSH)
    started = time.monotonic()
    result = CliRunner().invoke(main, ["scan", ".", "--format", "json", "--no-cache"])
    assert time.monotonic() - started < 30
    data = json.loads(result.stdout)
    assert result.exit_code == 2
    assert {(f["trait"], f["resource"]) for f in data["findings"]} == {
        ("remote-access-open", "aws_security_group.open"), ("open-security-group", "aws_security_group.open")}  # fmt: skip
    assert {d["file"]: d["kind"] for d in data["diagnostics"]} == {
        "truncated.tf": "parse-error", "big.json": "too-large", "bomb.yaml": "parse-error",
        "a.tf": "read-error", "b.tf": "read-error", "main.tf": "binary",
    }  # fmt: skip
