"""Reachability and exposures: the issue's three-tier stack as a new user writes it, and the edges of the
path logic on small modules written here (real scans, real patches)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from iac_exposure.api import Report, combined_patch, scan
from iac_exposure.cli import main
from iac_exposure.config import Config
from iac_exposure.exposures import DEFAULT_TABLE, ExposureTable
from iac_exposure.findings import Applicability, Severity
from iac_exposure.traits import by_id

STACK = "fixtures/terraform/three_tier"
REACHABILITY = {"internet-reachable", "vpc-reachable"}


def _reachability(report: Report) -> set[tuple[str, str]]:
    return {
        (r.finding.trait.id, r.finding.resource.address) for r in report.results if r.finding.trait.id in REACHABILITY
    }


def _line(file: Path, needle: str) -> int:
    return next(i for i, line in enumerate(file.read_text().splitlines(), 1) if needle in line)


def test_three_tier_stack_reports_exactly_the_done_when_outcome(workdir: Path) -> None:
    report = scan([STACK], Config())
    assert not report.diagnostics
    assert _reachability(report) == {
        ("internet-reachable", "aws_autoscaling_group.web"),
        ("internet-reachable", "aws_instance.bastion"),
        ("vpc-reachable", "aws_instance.db"),
    }
    by_resource = {r.finding.resource.address: r.finding for r in report.results if r.finding.trait.id == "internet-reachable"}  # fmt: skip
    stack = workdir / STACK
    # the web tier: through the load balancer, listener, target group and target_group_arns, each with its line
    asg = by_resource["aws_autoscaling_group.web"]
    assert "aws_lb.web" in asg.message and "internet-facing" in asg.message
    assert asg.evidence == (
        f"internet-facing load balancer aws_lb.web (internal unset: internet-facing by default) ({STACK}/web.tf:1)",
        f"security group aws_security_group.alb admits 0.0.0.0/0 to 80/tcp ({STACK}/security.tf:{_line(stack / 'security.tf', '0.0.0.0/0')})",
        f"listener aws_lb_listener.http (80/HTTP) ({STACK}/web.tf:{_line(stack / 'web.tf', 'aws_lb_listener')})",
        f"target group aws_lb_target_group.web ({STACK}/web.tf:{_line(stack / 'web.tf', 'aws_lb_target_group')})",
        f"aws_autoscaling_group.web through target_group_arns ({STACK}/web.tf:{_line(stack / 'web.tf', 'target_group_arns')})",
    )  # fmt: skip
    # the bastion: directly, subnet → route table → internet gateway
    bastion = by_resource["aws_instance.bastion"]
    hops = [re.sub(r" \(.*:\d+\)$", "", hop) for hop in bastion.evidence]
    assert hops[:6] == [
        "public IP: associate_public_ip_address = true on aws_instance.bastion",
        "subnet aws_subnet.public_a",
        "route table association aws_route_table_association.public_a",
        "route table aws_route_table.public",
        "route 0.0.0.0/0 → aws_internet_gateway.main",
        "internet gateway aws_internet_gateway.main",
    ]
    # exposures: the bastion ranks highest, strictly
    exposures = report.exposures
    assert [e.resource for e in exposures] == ["aws_instance.bastion", "aws_autoscaling_group.web", "aws_instance.db"]
    assert exposures[0].severity.rank > max(e.severity.rank for e in exposures[1:])
    assert dict(exposures[0].categories)["reachability"] == ("internet-reachable",)


def test_three_tier_patches_clear_the_reachability_they_fix(workdir: Path) -> None:
    report = scan([STACK], Config(select=frozenset(REACHABILITY)))
    diff, _ = combined_patch(report, unsafe=True)
    assert "+  internal = true" in diff  # the load balancer
    assert "+  associate_public_ip_address = false" in diff  # the bastion's public IP
    assert "+    self        = true" in diff  # the database rule, narrowed to its own group
    subprocess.run(["git", "apply"], input=diff, text=True, cwd=workdir, check=True)
    assert _reachability(scan([STACK], Config(select=frozenset(REACHABILITY)))) == set()


def test_text_report_leads_with_exposures_and_json_carries_evidence(workdir: Path) -> None:
    result = CliRunner().invoke(main, ["scan", STACK])
    assert result.output.startswith("Exposures, most severe first\n  HIGH  aws_instance.bastion")
    assert "      - route 0.0.0.0/0 → aws_internet_gateway.main" in result.output
    data = json.loads(CliRunner().invoke(main, ["scan", STACK, "--format", "json"]).output)
    assert data["exposures"][0]["categories"]["reachability"] == ["internet-reachable"]
    assert all(f["evidence"] for f in data["findings"] if f["trait"] == "internet-reachable")
    assert all("evidence" not in f for f in data["findings"] if f["trait"] == "remote-access-open")


def test_explain_shows_the_exposure_table_rows() -> None:
    result = CliRunner().invoke(main, ["explain", "vpc-reachable"])
    assert "## In exposures" in result.output
    assert (
        "likelihood low when the resource has any of eol-operating-system, software-cve, vpc-reachable" in result.output
    )


# -- exposures table ----------------------------------------------------------------------------------------


def test_readme_matrix_is_the_one_in_the_code() -> None:
    from iac_exposure.exposures import _MATRIX

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text()
    rows = dict(
        re.findall(r"^\| (very-high|high|moderate|low) \| ([A-Z]+ \| [A-Z]+ \| [A-Z]+) \|$", text, re.MULTILINE)
    )
    assert rows and {
        level: tuple(Severity(c.strip().lower()) for c in cells.split("|")) for level, cells in rows.items()
    } == {
        level: tuple(reversed(cells))
        for level, cells in _MATRIX.items()  # README columns: impact low → high
    }


def test_every_trait_counts_in_the_default_table() -> None:
    for trait_id in by_id():
        assert DEFAULT_TABLE.explain(trait_id), trait_id


def test_exposure_table_from_config_overrides_the_rating(workdir: Path) -> None:
    table = ExposureTable.from_mapping(
        {
            "likelihood": [{"level": "very-high", "any": ["vpc-reachable"]}, {"level": "low", "any": ["public-ip"]}],
            "impact": [{"level": "high", "all": ["vpc-reachable"]}],
        },
        set(by_id()),
    )
    report = scan([STACK], Config(select=frozenset({"vpc-reachable", "public-ip"}), exposure_table=table))
    rated = {e.resource: (e.likelihood, e.impact, e.severity) for e in report.exposures}
    assert rated == {
        "aws_instance.db": ("very-high", "high", Severity.CRITICAL),
        "aws_instance.bastion": ("low", "low", Severity.LOW),
    }


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"likelihood": [{"level": "extreme", "any": ["public-ip"]}]}, "level must be one of"),
        ({"likelihood": [{"level": "high", "any": ["no-such-trait"]}]}, "unknown trait 'no-such-trait'"),
        ({"impact": [{"level": "high"}]}, "needs traits"),
        ({"impact": [{"level": "high", "any": "public-ip"}]}, "expected a list"),
        ({"impact": [{"level": "high", "any": ["public-ip"], "when": 1}]}, "expected a table"),
    ],
)
def test_exposure_table_config_errors_name_the_row(data: dict[str, object], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        ExposureTable.from_mapping(data, set(by_id()))


# -- edges of the path logic, on small modules ---------------------------------------------------------------

PUBLIC_SUBNET = """
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_internet_gateway" "g" {
  vpc_id = aws_vpc.v.id
}

resource "aws_subnet" "s" {
  vpc_id                  = aws_vpc.v.id
  cidr_block              = "10.0.1.0/24"
  map_public_ip_on_launch = true
}

resource "aws_route_table" "r" {
  vpc_id = aws_vpc.v.id

  route {
    cidr_block = "0.0.0.0/0"
    gateway_id = aws_internet_gateway.g.id
  }
}

resource "aws_route_table_association" "a" {
  subnet_id      = aws_subnet.s.id
  route_table_id = aws_route_table.r.id
}
"""


def _module(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> Report:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "main.tf").write_text(text)
    monkeypatch.chdir(tmp_path)
    return scan(["m"], Config(select=frozenset(REACHABILITY)))


def test_acl_denying_part_of_the_range_leaves_the_rest_reachable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _module(tmp_path, PUBLIC_SUBNET + """
resource "aws_network_acl" "n" {
  vpc_id     = aws_vpc.v.id
  subnet_ids = [aws_subnet.s.id]

  ingress {
    rule_no    = 100
    action     = "deny"
    protocol   = "tcp"
    from_port  = 20
    to_port    = 22
    cidr_block = "0.0.0.0/0"
  }

  ingress {
    rule_no    = 200
    action     = "allow"
    protocol   = "tcp"
    from_port  = 0
    to_port    = 65535
    cidr_block = "0.0.0.0/0"
  }

  egress {
    rule_no    = 100
    action     = "allow"
    protocol   = "-1"
    from_port  = 0
    to_port    = 0
    cidr_block = "0.0.0.0/0"
  }
}

resource "aws_security_group" "sg" {
  vpc_id = aws_vpc.v.id

  ingress {
    from_port   = 20
    to_port     = 25
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  ingress {
    from_port   = 21
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "i" {
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.sg.id]
}
""", monkeypatch)  # fmt: skip
    (result,) = report.results
    assert "admits 0.0.0.0/0 to 20-25/tcp" in result.finding.message
    assert "21-22/tcp" not in result.finding.message  # wholly denied by rule 100
    assert any("20-25/tcp (through the network ACL: 23/tcp)" in hop for hop in result.finding.evidence)


def test_a_route_whose_destination_is_unknown_stops_the_direct_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _module(tmp_path, PUBLIC_SUBNET + """
resource "aws_route" "to_prefix_list" {
  route_table_id             = aws_route_table.r.id
  destination_prefix_list_id = "pl-0123456789abcdef0"
  transit_gateway_id         = "tgw-0123456789abcdef0"
}

resource "aws_security_group" "sg" {
  vpc_id = aws_vpc.v.id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_instance" "i" {
  subnet_id              = aws_subnet.s.id
  vpc_security_group_ids = [aws_security_group.sg.id]
}
""", monkeypatch)  # fmt: skip
    assert report.results == []  # the prefix list might hold the client's address: not guessed


def test_load_balancer_security_groups_decide_the_front_door(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No security groups: an ALB gets its VPC's default group (members only); a classic load balancer in the
    default VPC gets ELB's default_elb group, open on its listener ports."""
    report = _module(tmp_path, PUBLIC_SUBNET + """
resource "aws_lb" "no_groups" {
  subnets = [aws_subnet.s.id]
}

resource "aws_lb_target_group" "t" {
  port     = 80
  protocol = "HTTP"
  vpc_id   = aws_vpc.v.id
}

resource "aws_lb_listener" "l" {
  load_balancer_arn = aws_lb.no_groups.arn
  port              = 80

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.t.arn
  }
}

resource "aws_lb_target_group_attachment" "a" {
  target_group_arn = aws_lb_target_group.t.arn
  target_id        = aws_instance.behind_alb.id
}

resource "aws_instance" "behind_alb" {
  subnet_id              = aws_subnet.s.id
  associate_public_ip_address = false
  vpc_security_group_ids = []
}

resource "aws_elb" "default_vpc" {
  availability_zones = ["us-east-1a"]
  instances          = [aws_instance.behind_classic.id]

  listener {
    instance_port     = 80
    instance_protocol = "http"
    lb_port           = 80
    lb_protocol       = "http"
  }
}

resource "aws_instance" "behind_classic" {
  associate_public_ip_address = false
  vpc_security_group_ids      = []
}
""", monkeypatch)  # fmt: skip
    assert _reachability(report) == {("internet-reachable", "aws_instance.behind_classic")}
    (finding,) = [r.finding for r in report.results]
    assert "default_elb" in finding.evidence[1]


def test_default_security_group_kept_open_to_its_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _module(tmp_path, """
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_subnet" "s" {
  vpc_id     = aws_vpc.v.id
  cidr_block = "10.0.1.0/24"
}

resource "aws_default_security_group" "default" {
  vpc_id = aws_vpc.v.id

  ingress {
    protocol  = -1
    self      = true
    from_port = 0
    to_port   = 0
  }
}

resource "aws_instance" "no_group" {
  subnet_id = aws_subnet.s.id
}
""", monkeypatch)  # fmt: skip
    (result,) = report.results
    assert result.finding.resource.address == "aws_instance.no_group"
    assert "every instance launched without a security group" in result.finding.message
    assert result.patch is not None and result.patch.applicability is Applicability.UNSAFE
    assert "-  ingress {" in (result.patch.diff or "")


def test_self_reference_cannot_join_other_sources_in_a_standalone_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _module(tmp_path, """
resource "aws_vpc" "v" {
  cidr_block = "10.0.0.0/16"
}

resource "aws_security_group" "sg" {
  vpc_id = aws_vpc.v.id
}

resource "aws_security_group_rule" "r" {
  type              = "ingress"
  security_group_id = aws_security_group.sg.id
  protocol          = "-1"
  from_port         = 0
  to_port           = 0
  cidr_blocks       = ["10.0.0.0/16", "192.168.1.0/24"]
}
""", monkeypatch)  # fmt: skip
    (result,) = report.results
    assert result.patch is not None and result.patch.applicability is Applicability.DISPLAY_ONLY
    assert "cannot be combined" in result.patch.reason


@pytest.mark.parametrize(
    ("rule", "patched"),
    [
        (  # a multi-line list holding only the VPC block, with a comment
            '    cidr_blocks = [\n      "10.0.0.0/16", # the VPC\n    ]\n',
            "    self        = true\n",
        ),
        (  # already self-referencing: the CIDR attribute just goes
            '    self        = true\n    cidr_blocks = ["10.0.0.0/16"]\n',
            "    self        = true\n",
        ),
        (  # the VPC block first of two, on their own lines
            '    cidr_blocks = [\n      "10.0.0.0/16",\n      "192.168.1.0/24",\n    ]\n',
            '    cidr_blocks = [\n      "192.168.1.0/24",\n    ]\n    self        = true\n',
        ),
    ],
)
def test_self_reference_patch_keeps_the_file_style(
    rule: str, patched: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    head = 'resource "aws_vpc" "v" {\n  cidr_block = "10.0.0.0/16"\n}\n\nresource "aws_security_group" "sg" {\n  vpc_id = aws_vpc.v.id\n\n  ingress {\n    protocol    = "-1"\n    from_port   = 0\n    to_port     = 0\n'  # fmt: skip
    tail = "  }\n}\n"
    report = _module(tmp_path, head + rule + tail, monkeypatch)
    diff, _ = combined_patch(report, unsafe=True)
    (tmp_path / "all.diff").write_text(diff)
    subprocess.run(["git", "apply", "all.diff"], cwd=tmp_path, check=True)
    assert (tmp_path / "m" / "main.tf").read_text() == head + patched + tail


def test_trusted_cidrs_are_never_internet_sources(workdir: Path) -> None:
    case = ["fixtures/terraform/internet_reachable"]
    select = frozenset({"internet-reachable"})
    before = {r.finding.resource.name for r in scan(case, Config(select=select)).results}
    after = {r.finding.resource.name for r in scan(case, Config(select=select, trusted_cidrs=("198.51.100.0/24",))).results}  # fmt: skip
    assert before - after == {"fail_ssh_from_office_range"}  # its group admits only the trusted office range


def test_exposure_table_from_the_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .conftest import FIXTURES

    (tmp_path / ".git").mkdir()
    shutil.copytree(FIXTURES / "terraform" / "three_tier", tmp_path / "infra")
    config = tmp_path / ".iac-exposure.toml"
    config.write_text('[exposures]\nimpact = [{level = "high", any = ["vpc-reachable"]}]\n')
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scan", "infra", "--format", "json"])
    rated = {
        e["resource"]: (e["likelihood"], e["impact"], e["severity"]) for e in json.loads(result.output)["exposures"]
    }
    assert rated["aws_instance.db"] == ("low", "high", "medium")  # built-in likelihood rows kept
    config.write_text("[exposures]\nlikelyhood = []\n")
    result = CliRunner().invoke(main, ["scan", "infra"])
    assert result.exit_code == 2 and "exposures: unknown key 'likelyhood'" in result.output


def test_readme_exposure_table_is_the_built_in_one(tmp_path: Path) -> None:
    from iac_exposure import config_file

    from .conftest import ROOT

    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Exposures.*?```toml\n(.*?)```", text, re.DOTALL)
    assert block
    (tmp_path / "pyproject.toml").write_text(block.group(1))
    assert config_file.load(tmp_path / "pyproject.toml").exposure_table == DEFAULT_TABLE


def test_a_cidr_set_in_a_variable_is_not_rewritten_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _module(tmp_path, """
variable "vpc_cidr" {
  default = "10.0.0.0/16"
}

resource "aws_vpc" "v" {
  cidr_block = var.vpc_cidr
}

resource "aws_security_group" "sg" {
  vpc_id = aws_vpc.v.id

  ingress {
    protocol    = "-1"
    from_port   = 0
    to_port     = 0
    cidr_blocks = [var.vpc_cidr]
  }
}
""", monkeypatch)  # fmt: skip
    (result,) = report.results
    assert result.patch is not None and result.patch.applicability is Applicability.DISPLAY_ONLY
    assert result.patch.reason == "the value comes from var.vpc_cidr; change it where it is set"
