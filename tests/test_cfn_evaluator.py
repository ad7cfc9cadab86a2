"""The CloudFormation intrinsic evaluator, table-driven: (expression in a small template, value, origin, via)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iac_exposure.adapters.cloudformation.evaluator import Evaluator
from iac_exposure.adapters.cloudformation.template import adapt_template
from iac_exposure.model.aws import IamRole
from iac_exposure.model.graph import Model
from iac_exposure.model.values import Origin, Ref, Sourced
from iac_exposure.parsers.cloudformation import parse
from iac_exposure.source import SourceFile
from iac_exposure.traits._iam import privileges

TEMPLATE = """\
Parameters:
  Cidr: {{Type: String, Default: 10.0.0.0/8}}
  NoDefault: {{Type: String}}
  Subnets: {{Type: CommaDelimitedList, Default: "subnet-a, subnet-b"}}
  Ami: {{Type: "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", Default: /aws/service/ami-amazon-linux-latest/x}}
  Env: {{Type: String, Default: dev}}
  Port: {{Type: Number, Default: 22}}
Mappings:
  ByEnv:
    dev: {{Tokens: optional, Cidr: 0.0.0.0/0}}
    prod: {{Tokens: required}}
Conditions:
  IsDev: !Equals [!Ref Env, dev]
  IsProd: !Not [Condition: IsDev]
  Unknown: !Equals [!Ref NoDefault, x]
  UnknownAndFalse: !And [Condition: Unknown, Condition: IsProd]
  UnknownOrTrue: !Or [Condition: Unknown, Condition: IsDev]
  RegionIsUsEast1: !Equals [!Ref AWS::Region, us-east-1]
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
  Probe:
    Type: AWS::EC2::Instance
    Properties:
      Value: {expression}
"""


def evaluate(expression: str, **parameters: str) -> Sourced[Any]:
    file = SourceFile(Path("t.yaml"), TEMPLATE.format(expression=expression), "cfn-yaml")
    root = parse(file)
    node = root.value["Resources"].value["Probe"].value["Properties"].value["Value"]
    return Evaluator(root, parameters, {}).value(node, "Value")


@pytest.mark.parametrize(
    ("expression", "value", "origin", "via"),
    [
        ("plain", "plain", Origin.EXPLICIT, None),
        ("!Ref Sg", Ref("Sg"), Origin.EXPLICIT, None),
        ("{Ref: Sg}", Ref("Sg"), Origin.EXPLICIT, None),
        ("!Ref Cidr", "10.0.0.0/8", Origin.EXPLICIT, "parameter Cidr"),
        ("!Ref Port", 22, Origin.EXPLICIT, "parameter Port"),
        ("!Ref NoDefault", None, Origin.UNKNOWN, "parameter NoDefault"),
        ("!Ref Ami", Ref("Ami"), Origin.EXPLICIT, None),
        ("!Ref AWS::Region", None, Origin.UNKNOWN, "AWS::Region"),
        ("!Ref Missing", None, Origin.UNKNOWN, "Missing"),
        ("!GetAtt Sg.GroupId", Ref("Sg", "GroupId"), Origin.EXPLICIT, None),
        ("!GetAtt [Sg, GroupId]", Ref("Sg", "GroupId"), Origin.EXPLICIT, None),
        ("!Sub 'arn:${AWS::Partition}:iam::aws:policy/X'", "arn:aws:iam::aws:policy/X", Origin.EXPLICIT, None),
        ("!Sub 'ec2.${AWS::URLSuffix}'", "ec2.amazonaws.com", Origin.EXPLICIT, None),
        ("!Sub '${Cidr} and ${!Literal}'", "10.0.0.0/8 and ${Literal}", Origin.EXPLICIT, None),
        ("!Sub ['${A}/${B}', {A: x, B: !Ref Env}]", "x/dev", Origin.EXPLICIT, None),
        ("!Sub '${AWS::AccountId}'", None, Origin.UNKNOWN, "${AWS::AccountId}"),
        ("!Sub '${Sg}'", None, Origin.UNKNOWN, "${Sg}"),
        ("!Sub '${Sg.GroupId}'", None, Origin.UNKNOWN, "${Sg.GroupId}"),
        ("!Join ['/', ['0.0.0.0', '0']]", "0.0.0.0/0", Origin.EXPLICIT, None),
        ("!Join [',', !Ref Subnets]", "subnet-a,subnet-b", Origin.EXPLICIT, None),
        ("!Join ['', [a, !ImportValue b]]", None, Origin.UNKNOWN, "Fn::ImportValue"),
        ("!Select [1, [a, b, c]]", "b", Origin.EXPLICIT, None),
        ("!Select [0, !Ref Subnets]", "subnet-a", Origin.EXPLICIT, "parameter Subnets"),
        ("!Select [5, [a]]", None, Origin.UNKNOWN, "Fn::Select"),
        ("!Select [0, !GetAZs '']", None, Origin.UNKNOWN, "Fn::GetAZs"),
        ("!FindInMap [ByEnv, !Ref Env, Tokens]", "optional", Origin.EXPLICIT, "Fn::FindInMap ByEnv.dev.Tokens"),
        ("!FindInMap [ByEnv, prod, Cidr]", None, Origin.UNKNOWN, "Fn::FindInMap ByEnv.prod.Cidr"),
        ("!FindInMap [ByEnv, !Ref AWS::Region, Tokens]", None, Origin.UNKNOWN, "AWS::Region"),
        ("!If [IsDev, yes-branch, no-branch]", "yes-branch", Origin.EXPLICIT, None),
        ("!If [IsProd, yes-branch, no-branch]", "no-branch", Origin.EXPLICIT, None),
        ("!If [Unknown, a, b]", None, Origin.UNKNOWN, "Fn::If Unknown"),
        ("!If [UnknownAndFalse, a, b]", "b", Origin.EXPLICIT, None),
        ("!If [UnknownOrTrue, a, b]", "a", Origin.EXPLICIT, None),
        ("!If [RegionIsUsEast1, a, b]", None, Origin.UNKNOWN, "Fn::If RegionIsUsEast1"),
        ("!ImportValue shared-vpc", None, Origin.UNKNOWN, "Fn::ImportValue"),
        ("!Base64 text", "text", Origin.EXPLICIT, None),
    ],
)
def test_intrinsics(expression: str, value: Any, origin: Origin, via: str | None) -> None:
    result = evaluate(expression)
    assert (result.plain(), result.origin, result.via) == (value, origin, via)


def test_the_default_4th_argument_of_find_in_map_applies_when_the_key_is_missing() -> None:
    found = evaluate("!FindInMap [ByEnv, prod, Cidr, {DefaultValue: 10.1.0.0/16}]")
    assert (found.value, found.via) == ("10.1.0.0/16", "Fn::FindInMap ByEnv.prod.Cidr")


def test_a_parameter_value_is_located_at_its_default_and_an_override_where_it_is_used() -> None:
    default = evaluate("!Ref Cidr")
    assert default.span is not None and default.span.text == "10.0.0.0/8"
    override = evaluate("!Ref Cidr", Cidr="0.0.0.0/0")
    assert (override.value, override.via) == ("0.0.0.0/0", "--parameter Cidr")
    assert override.span is not None and override.span.text == "!Ref Cidr"
    assert evaluate("!Ref NoDefault", NoDefault="x").value == "x"


def test_a_list_parameter_is_a_list_and_conditions_follow_overrides() -> None:
    assert evaluate("!Ref Subnets").plain() == ["subnet-a", "subnet-b"]
    assert evaluate("!If [Unknown, a, b]", NoDefault="x").value == "a"
    assert evaluate("!If [IsDev, a, b]", Env="prod").value == "b"


def test_no_value_is_dropped_from_lists_and_is_an_uninsertable_absence_in_mappings() -> None:
    assert evaluate("[a, !Ref AWS::NoValue, !If [IsProd, c, !Ref AWS::NoValue]]").plain() == ["a"]
    inside = evaluate("{A: !Ref AWS::NoValue}").value["A"]
    assert (inside.origin, inside.missing, inside.via) == (Origin.DEFAULT, (), "AWS::NoValue")


def test_each_element_keeps_its_own_span() -> None:
    items = evaluate("[10.0.0.0/8, 0.0.0.0/0]").value
    assert [item.span.text for item in items] == ["10.0.0.0/8", "0.0.0.0/0"]
    branch = evaluate("!If [IsDev, 0.0.0.0/0, 10.0.0.0/8]")
    assert branch.span is not None and branch.span.text == "0.0.0.0/0"


def test_undecidable_conditions_give_one_reading_per_combination() -> None:
    text = TEMPLATE.format(expression="!If [Unknown, a, b]") + (
        "  Maybe:\n    Type: AWS::EC2::VPC\n    Condition: RegionIsUsEast1\n"
        "  Never:\n    Type: AWS::EC2::VPC\n    Condition: IsProd\n"
    )
    root = parse(SourceFile(Path("t.yaml"), text, "cfn-yaml"))
    readings = adapt_template(root, {})
    assert [assumed for assumed, _ in readings] == [
        {"Unknown": True, "RegionIsUsEast1": True},
        {"Unknown": True, "RegionIsUsEast1": False},
        {"Unknown": False, "RegionIsUsEast1": True},
        {"Unknown": False, "RegionIsUsEast1": False},
    ]
    names = [{r.name for r in resources} for _, resources in readings]
    assert all("Never" not in n for n in names)
    assert ["Maybe" in n for n in names] == [True, False, True, False]


PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
ROLE = """\
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{{Effect: Allow, Principal: {{Service: {principal}}}, Action: sts:AssumeRole}}]
      ManagedPolicyArns:
        - {arn}
"""


def _verdict(principal: str, arn: str) -> tuple[bool, list[str]]:
    file = SourceFile(Path("t.yaml"), ROLE.format(principal=principal, arn=arn), "cfn-yaml")
    ((_, resources),) = adapt_template(parse(file), {})
    model = Model(resources)
    role = model.of_type(IamRole)[0]
    return model.ec2_trusted(role), [p.level for p in privileges(role, model)]


@pytest.mark.parametrize("policy", ["AdministratorAccess", "IAMFullAccess", "AmazonS3FullAccess", "ReadOnlyAccess"])
def test_evaluating_the_partition_as_aws_changes_no_verdict(policy: str) -> None:
    """`${AWS::Partition}` and `${AWS::URLSuffix}` are given one value; every partition gets the same verdict."""
    evaluated = _verdict("!Sub 'ec2.${AWS::URLSuffix}'", f"!Sub 'arn:${{AWS::Partition}}:iam::aws:policy/{policy}'")
    for partition in PARTITIONS:
        suffix = "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"
        assert _verdict(f"ec2.{suffix}", f"arn:{partition}:iam::aws:policy/{policy}") == evaluated, partition
