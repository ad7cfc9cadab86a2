"""Hypothesis: generated security groups and metadata configurations, fixed in one pass, come out clean."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iac_exposure.api import scan
from iac_exposure.config import Config
from iac_exposure.findings import Applicability
from iac_exposure.fixer import fix

CIDRS = ["10.0.0.0/8", "0.0.0.0/0", "192.168.0.0/16", "172.16.0.0/12"]
IPV6 = ["::/0", "2001:db8::/32"]
PROTOCOLS = ['"tcp"', '"udp"', '"-1"', '"6"', '"icmp"', '"all"']

rules = st.lists(
    st.tuples(
        st.sampled_from(PROTOCOLS),
        st.integers(0, 65535),
        st.integers(0, 4000),
        st.lists(st.sampled_from(CIDRS), max_size=3, unique=True),
        st.lists(st.sampled_from(IPV6), max_size=2, unique=True),
    ),
    min_size=1,
    max_size=4,
)
metadata = st.sampled_from(
    [
        None,
        "",
        'http_endpoint = "enabled"',
        'http_tokens = "optional"',
        'http_tokens = "required"',
        'http_endpoint = "disabled"\n{i}{i}http_tokens = "optional"',
    ]
)
public_ip = st.sampled_from([None, "true", "false"])
indent = st.sampled_from(["  ", "    ", "\t"])
newline = st.sampled_from(["\n", "\r\n"])


def render(rule_set, md, pub, i: str, nl: str) -> str:  # type: ignore[no-untyped-def]
    out = ['resource "aws_security_group" "web" {', f'{i}name = "web"']
    for proto, lo, width, cidrs, v6 in rule_set:
        out += [
            f"{i}ingress {{",
            f"{i}{i}protocol    = {proto}",
            f"{i}{i}from_port   = {lo}",
            f"{i}{i}to_port     = {min(lo + width, 65535)}",
            f"{i}{i}cidr_blocks = [{', '.join(chr(34) + c + chr(34) for c in cidrs)}]",
        ]
        if v6:
            out.append(f"{i}{i}ipv6_cidr_blocks = [{', '.join(chr(34) + c + chr(34) for c in v6)}]")
        out.append(f"{i}}}")
    out += ["}", "", 'resource "aws_instance" "app" {', f'{i}ami = "ami-1"', f"{i}subnet_id = aws_subnet.a.id"]
    out.append(f"{i}vpc_security_group_ids = [aws_security_group.web.id]")
    if pub is not None:
        out.append(f"{i}associate_public_ip_address = {pub}")
    if md is not None:
        body = md.format(i=i).replace("\n", nl)
        out += [f"{i}metadata_options {{"] + ([f"{i}{i}{body}"] if body else []) + [f"{i}}}"]
    out += ["}", "", 'resource "aws_subnet" "a" {', f'{i}vpc_id = "vpc-1"', "}", ""]
    return nl.join(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rules, metadata, public_ip, indent, newline)
def test_generated_configurations_fix_cleanly(rule_set, md, pub, i, nl) -> None:  # type: ignore[no-untyped-def]
    text = render(rule_set, md, pub, i, nl)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "main.tf"
        path.write_bytes(text.encode())
        before = scan([str(path)], Config())
        assert not before.diagnostics
        fix(before, unsafe=True)
        after = scan([str(path)], Config())
        assert not after.diagnostics, path.read_text()
        unpatchable = {
            (r.finding.trait.id, r.finding.message)
            for r in before.results
            if r.patch is None or r.patch.applicability is Applicability.DISPLAY_ONLY
        }
        assert {(r.finding.trait.id, r.finding.message) for r in after.results} <= unpatchable
        new = path.read_bytes().decode()
        if nl == "\r\n":
            assert "\n" not in new.replace("\r\n", "")
        state = new
        fix(after, unsafe=True)
        assert path.read_bytes().decode() == state
