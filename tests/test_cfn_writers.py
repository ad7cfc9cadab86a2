"""The CloudFormation YAML and JSON writers, table-driven: (template, remedy on a value of it, expected text)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from iac_exposure.model.aws import Resource
from iac_exposure.model.values import Origin, Sourced
from iac_exposure.parsers.cloudformation import Node, parse, to_data
from iac_exposure.patches import cfn_json, cfn_yaml
from iac_exposure.patches.edits import Edit, apply_edits
from iac_exposure.patches.remedies import (
    Action,
    NewInput,
    RemoveBlock,
    RemoveItem,
    ReplaceItem,
    ReplaceWithInput,
    SetValue,
)
from iac_exposure.patches.render import PatchContext, Unpatchable
from iac_exposure.source import SourceFile

IPV4 = NewInput("trusted_cidr", "The CIDR trusted where ingress was open to the internet (0.0.0.0/0)", False)
IPV6 = NewInput("trusted_ipv6_cidr", "The IPv6 CIDR trusted where ingress was open to the internet (::/0)", True)
Path_ = tuple[Any, ...]


def _file(text: str) -> SourceFile:
    kind = "cfn-json" if text.lstrip().startswith("{") else "cfn-yaml"
    return SourceFile(Path("template.json" if kind == "cfn-json" else "template.yaml"), text, kind)


def _node(root: Node, path: Path_) -> Node:
    node = root
    for step in path:
        node = node.value[step]
    return node


def value_at(file: SourceFile, *path: Any, value: Any = None) -> Sourced[Any]:
    """The value at `path` as an adapter reads it: its own span (a mapping or list: with its key)."""
    node = _node(parse(file), path)
    span = node.entry if isinstance(node.value, (dict, tuple)) and "Fn::" not in str(node.value) else node.span
    return Sourced(to_data(node) if value is None else value, Origin.EXPLICIT, str(path[-1]), span)


def absent(file: SourceFile, *path: Any, missing: tuple[str, ...]) -> Sourced[Any]:
    """An absent value: DEFAULT, anchored on the mapping at `path`, with the keys to create."""
    node = _node(parse(file), path)
    return Sourced(None, Origin.DEFAULT, missing[-1], node.entry, missing)


def resource(file: SourceFile, name: str) -> Resource:
    node = parse(file).value["Resources"].value[name]
    return Resource(name, "AWS::EC2::EIP", name, node.entry, ())


def patched(file: SourceFile, *actions: Action) -> str:
    """The text once every action's edits are applied together (after a first planning pass, as a scan does)."""
    writer = cfn_json if file.format == "cfn-json" else cfn_yaml
    ctx = PatchContext([file], {})
    for action in actions:
        writer.edits(action, ctx)
    edits: list[Edit] = [e for action in actions for e in writer.edits(action, ctx)]
    text, skipped = apply_edits(file.text, edits)
    assert not skipped
    return text


YAML_INSTANCE = """\
Resources:
  Web:
    Type: AWS::EC2::Instance
    Properties:
      ImageId: ami-0c02fb55956c7d316  # pinned
      NetworkInterfaces:
        - DeviceIndex: "0"
          SubnetId: subnet-0a1b2c3d

  # next
  Other:
    Type: AWS::EC2::EIP
"""


def test_yaml_inserts_a_block_mapping_after_the_last_line_of_the_mapping() -> None:
    file = _file(YAML_INSTANCE)
    target = absent(file, "Resources", "Web", "Properties", missing=("MetadataOptions", "HttpTokens"))
    assert patched(file, SetValue(target, "required")) == YAML_INSTANCE.replace(
        "          SubnetId: subnet-0a1b2c3d\n",
        "          SubnetId: subnet-0a1b2c3d\n      MetadataOptions:\n        HttpTokens: required\n",
    )


def test_yaml_inserts_into_a_list_item_mapping_at_its_keys_indentation() -> None:
    file = _file(YAML_INSTANCE)
    target = absent(
        file, "Resources", "Web", "Properties", "NetworkInterfaces", 0, missing=("AssociatePublicIpAddress",)
    )
    assert patched(file, SetValue(target, False)) == YAML_INSTANCE.replace(
        "          SubnetId: subnet-0a1b2c3d\n",
        "          SubnetId: subnet-0a1b2c3d\n          AssociatePublicIpAddress: false\n",
    )


def test_yaml_uses_the_files_indentation_step() -> None:
    text = "Resources:\n    Web:\n        Type: AWS::EC2::Instance\n        Properties:\n            ImageId: ami-0c02fb55956c7d316\n"
    file = _file(text)
    target = absent(file, "Resources", "Web", "Properties", missing=("MetadataOptions", "HttpTokens"))
    assert (
        patched(file, SetValue(target, "required"))
        == text + "            MetadataOptions:\n                HttpTokens: required\n"
    )


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("MetadataOptions: {HttpEndpoint: enabled}", "MetadataOptions: {HttpEndpoint: enabled, HttpTokens: required}"),
        ("MetadataOptions: {}", "MetadataOptions: {HttpTokens: required}"),
    ],
)
def test_yaml_inserts_into_a_flow_mapping(before: str, after: str) -> None:
    text = f"Resources:\n  Web:\n    Type: AWS::EC2::Instance\n    Properties:\n      {before}\n"
    file = _file(text)
    target = absent(file, "Resources", "Web", "Properties", "MetadataOptions", missing=("HttpTokens",))
    assert patched(file, SetValue(target, "required")) == text.replace(before, after)


@pytest.mark.parametrize(
    ("written", "value", "expected"),
    [
        ("true", False, "false"),
        ('"true"', False, '"false"'),
        ("'true'", False, "'false'"),
        ("optional", "required", "required"),
        ('"optional"', "required", '"required"'),
    ],
)
def test_yaml_replaces_a_scalar_in_its_own_quoting(written: str, value: Any, expected: str) -> None:
    text = f"Resources:\n  Subnet:\n    Type: AWS::EC2::Subnet\n    Properties:\n      Flag: {written}  # keep me\n"
    file = _file(text)
    assert patched(file, SetValue(value_at(file, "Resources", "Subnet", "Properties", "Flag"), value)) == text.replace(
        f"Flag: {written}", f"Flag: {expected}"
    )


@pytest.mark.parametrize(
    "written",
    [
        "!Sub 'arn:${AWS::Partition}:iam::aws:policy/AmazonS3FullAccess'",
        "!Join ['', ['arn:', !Ref AWS::Partition, ':iam::aws:policy/AmazonS3FullAccess']]",
        "{'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonS3FullAccess'}",
    ],
)
def test_yaml_swaps_the_literal_tail_of_a_computed_arn_and_keeps_the_partition(written: str) -> None:
    text = f"Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      ManagedPolicyArns:\n        - {written}\n"
    file = _file(text)
    target = value_at(
        file, "Resources", "Role", "Properties", "ManagedPolicyArns", 0,
        value="arn:aws:iam::aws:policy/AmazonS3FullAccess",
    )  # fmt: skip
    new = patched(file, SetValue(target, "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"))
    assert new == text.replace("AmazonS3FullAccess", "AmazonS3ReadOnlyAccess")


def test_a_value_from_a_parameter_is_not_rewritten_where_it_is_used() -> None:
    file = _file("Resources:\n  Sg:\n    Type: AWS::EC2::SecurityGroup\n    Properties:\n      CidrIp: 0.0.0.0/0\n")
    target = value_at(file, "Resources", "Sg", "Properties", "CidrIp")
    via = Sourced(target.value, target.origin, target.key, target.span, (), "parameter SshLocation")
    with pytest.raises(Unpatchable, match="parameter SshLocation"):
        cfn_yaml.edits(ReplaceWithInput(via, IPV4), PatchContext([file], {}))


YAML_SG = """\
AWSTemplateFormatVersion: "2010-09-09"
{parameters}
# the stack's resources
Resources:
  Sg:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: ssh
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 0.0.0.0/0}}
        - IpProtocol: tcp
          FromPort: 3389
          ToPort: 3389
          CidrIpv6: ::/0
"""

YAML_TRUSTED = """\
  TrustedCidr:
    Type: String
    Description: The CIDR trusted where ingress was open to the internet (0.0.0.0/0)
    AllowedPattern: '^(\\d{1,3}\\.){3}\\d{1,3}/([1-9]|[12]\\d|3[0-2])$'
    ConstraintDescription: Must be an IPv4 CIDR narrower than the whole internet.
"""

YAML_TRUSTED_V6 = """\
  TrustedIpv6Cidr:
    Type: String
    Description: The IPv6 CIDR trusted where ingress was open to the internet (::/0)
    AllowedPattern: '^[0-9a-fA-F:.]+/([1-9]|[1-9]\\d|1[01]\\d|12[0-8])$'
    ConstraintDescription: Must be an IPv6 CIDR narrower than the whole internet.
"""


def _cidr_actions(file: SourceFile) -> tuple[Action, Action]:
    ingress = ("Resources", "Sg", "Properties", "SecurityGroupIngress")
    return (
        ReplaceWithInput(value_at(file, *ingress, 0, "CidrIp"), IPV4),
        ReplaceWithInput(value_at(file, *ingress, 1, "CidrIpv6"), IPV6),
    )


def test_yaml_world_cidrs_become_refs_to_new_parameters_appended_to_the_section() -> None:
    params = "Parameters:\n  KeyName:\n    Type: String\n"
    file = _file(YAML_SG.format(parameters=params))
    expected = YAML_SG.format(parameters=params + YAML_TRUSTED + YAML_TRUSTED_V6)
    expected = expected.replace("CidrIp: 0.0.0.0/0}", "CidrIp: !Ref TrustedCidr}")
    expected = expected.replace("CidrIpv6: ::/0", "CidrIpv6: !Ref TrustedIpv6Cidr")
    assert patched(file, *_cidr_actions(file)) == expected


def test_yaml_a_template_without_parameters_gets_one_section_before_its_resources_and_their_comment() -> None:
    file = _file(YAML_SG.format(parameters=""))
    expected = YAML_SG.format(parameters="\nParameters:\n" + YAML_TRUSTED + YAML_TRUSTED_V6)
    expected = expected.replace("CidrIp: 0.0.0.0/0}", "CidrIp: !Ref TrustedCidr}")
    expected = expected.replace("CidrIpv6: ::/0", "CidrIpv6: !Ref TrustedIpv6Cidr")
    assert patched(file, *_cidr_actions(file)) == expected


def test_yaml_a_single_patch_declares_its_parameter_alone() -> None:
    file = _file(YAML_SG.format(parameters=""))
    ipv4, _ = _cidr_actions(file)
    expected = YAML_SG.format(parameters="\nParameters:\n" + YAML_TRUSTED)
    assert patched(file, ipv4) == expected.replace("CidrIp: 0.0.0.0/0}", "CidrIp: !Ref TrustedCidr}")


def test_yaml_new_parameter_names_never_collide_and_long_form_templates_get_long_form_refs() -> None:
    text = "Resources:\n  TrustedCidr:\n    Type: AWS::EC2::SecurityGroupIngress\n    Properties:\n      GroupId: {Ref: Sg}\n      IpProtocol: '-1'\n      CidrIp: 0.0.0.0/0\n"
    file = _file(text)
    new = patched(file, ReplaceWithInput(value_at(file, "Resources", "TrustedCidr", "Properties", "CidrIp"), IPV4))
    assert "CidrIp: {Ref: TrustedCidr2}" in new
    assert new.startswith("Parameters:\n  TrustedCidr2:\n    Type: String\n")


@pytest.mark.parametrize(
    ("arns", "index", "expected"),
    [
        ("\n        - arn:a\n        - arn:b  # b\n        - arn:c\n", 1, "\n        - arn:a\n        - arn:c\n"),
        ("\n        - arn:a\n        - arn:b\n", 1, "\n        - arn:a\n"),
        ("\n        - arn:a\n", 0, " []\n"),
        (" [arn:a, arn:b, arn:c]\n", 1, " [arn:a, arn:c]\n"),
        (" [arn:a, arn:b]\n", 1, " [arn:a]\n"),
        (" [arn:a]\n", 0, " []\n"),
    ],
)
def test_yaml_removes_a_list_element_with_its_line_or_comma(arns: str, index: int, expected: str) -> None:
    head = "Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      ManagedPolicyArns:"
    tail = "      RoleName: app\n"
    file = _file(head + arns + tail)
    target = value_at(file, "Resources", "Role", "Properties", "ManagedPolicyArns", index)
    assert patched(file, RemoveItem(target)) == head + expected + tail


def test_yaml_removes_a_statement_mapping_of_a_block_sequence() -> None:
    text = (
        "Resources:\n  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n"
        "        Statement:\n          - Effect: Allow\n            Action: s3:GetObject\n            Resource: '*'\n"
        "          - Effect: Allow\n            Action: '*'\n            Resource: '*'\n"
    )
    file = _file(text)
    target = value_at(file, "Resources", "Policy", "Properties", "PolicyDocument", "Statement", 1)
    assert patched(file, RemoveItem(target)) == text.split("          - Effect: Allow\n            Action: '*'")[0]


def test_yaml_removes_a_resource_with_its_comment_and_one_blank_line() -> None:
    text = "Resources:\n  A:\n    Type: AWS::EC2::VPC\n\n  # the address\n  Eip:\n    Type: AWS::EC2::EIP\n\n  B:\n    Type: AWS::EC2::VPC\n"
    file = _file(text)
    assert (
        patched(file, RemoveBlock(resource(file, "Eip")))
        == "Resources:\n  A:\n    Type: AWS::EC2::VPC\n\n  B:\n    Type: AWS::EC2::VPC\n"
    )


def test_a_resource_referenced_elsewhere_is_not_removed() -> None:
    text = "Resources:\n  Eip:\n    Type: AWS::EC2::EIP\nOutputs:\n  Ip:\n    Value: !Ref Eip\n"
    file = _file(text)
    with pytest.raises(Unpatchable, match="referenced"):
        cfn_yaml.edits(RemoveBlock(resource(file, "Eip")), PatchContext([file], {}))


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("Action: s3:*", "Action: [s3:Get*, s3:List*, s3:Describe*]"),
        ("Action: 's3:*'", "Action: ['s3:Get*', 's3:List*', 's3:Describe*']"),
        ("Action: [s3:*, ec2:DescribeTags]", "Action: [s3:Get*, s3:List*, s3:Describe*, ec2:DescribeTags]"),
        (
            "Action:\n              - s3:*\n              - ec2:DescribeTags",
            "Action:\n              - s3:Get*\n              - s3:List*\n              - s3:Describe*\n              - ec2:DescribeTags",
        ),
    ],
)
def test_yaml_replaces_a_service_wildcard_by_read_only_actions(action: str, expected: str) -> None:
    text = f"Resources:\n  Policy:\n    Type: AWS::IAM::ManagedPolicy\n    Properties:\n      PolicyDocument:\n        Statement:\n          - Effect: Allow\n            {action}\n            Resource: '*'\n"
    file = _file(text)
    statement = ("Resources", "Policy", "Properties", "PolicyDocument", "Statement", 0, "Action")
    node = _node(parse(file), statement)
    target = value_at(file, *statement, *((0,) if isinstance(node.value, tuple) else ()))
    values = ("s3:Get*", "s3:List*", "s3:Describe*")
    assert patched(file, ReplaceItem(target, values)) == text.replace(action, expected)


JSON_INSTANCE = """\
{
    "Resources": {
        "Web": {
            "Type": "AWS::EC2::Instance",
            "Properties": {
                "ImageId": "ami-0c02fb55956c7d316",
                "NetworkInterfaces": [
                    {"DeviceIndex": "0", "AssociatePublicIpAddress": true}
                ],
                "Tags": [],
                "MetadataOptions": {}
            }
        }
    }
}
"""


def test_json_inserts_a_member_on_its_own_line_at_the_siblings_indentation() -> None:
    file = _file(JSON_INSTANCE.replace(',\n                "MetadataOptions": {}', ""))
    target = absent(file, "Resources", "Web", "Properties", missing=("MetadataOptions", "HttpTokens"))
    assert patched(file, SetValue(target, "required")) == file.text.replace(
        '"Tags": []',
        '"Tags": [],\n                "MetadataOptions": {\n                    "HttpTokens": "required"\n                }',
    )


def test_json_inserts_into_single_line_and_empty_objects_on_their_line() -> None:
    file = _file(JSON_INSTANCE)
    interface = absent(file, "Resources", "Web", "Properties", "NetworkInterfaces", 0, missing=("SubnetId",))
    options = absent(file, "Resources", "Web", "Properties", "MetadataOptions", missing=("HttpTokens",))
    new = patched(file, SetValue(interface, "subnet-0a1b2c3d"), SetValue(options, "required"))
    assert new == JSON_INSTANCE.replace("true}", 'true, "SubnetId": "subnet-0a1b2c3d"}').replace(
        '"MetadataOptions": {}', '"MetadataOptions": {"HttpTokens": "required"}'
    )


def test_json_keeps_a_string_boolean_a_string() -> None:
    text = '{"Resources": {"Lt": {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"A": "true", "B": true}}}}\n'
    file = _file(text)
    props = ("Resources", "Lt", "Properties")
    new = patched(file, SetValue(value_at(file, *props, "A"), False), SetValue(value_at(file, *props, "B"), False))
    assert new == text.replace('"A": "true", "B": true', '"A": "false", "B": false')


JSON_SG = """\
{
\t"AWSTemplateFormatVersion": "2010-09-09",
\t"Resources": {
\t\t"Sg": {
\t\t\t"Type": "AWS::EC2::SecurityGroup",
\t\t\t"Properties": {
\t\t\t\t"GroupDescription": "ssh",
\t\t\t\t"SecurityGroupIngress": [
\t\t\t\t\t{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"},
\t\t\t\t\t{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "CidrIpv6": "::/0"}
\t\t\t\t]
\t\t\t}
\t\t}
\t}
}
"""

JSON_PARAMETERS = """\
"Parameters": {
\t\t"TrustedCidr": {
\t\t\t"Type": "String",
\t\t\t"Description": "The CIDR trusted where ingress was open to the internet (0.0.0.0/0)",
\t\t\t"AllowedPattern": "^(\\\\d{1,3}\\\\.){3}\\\\d{1,3}/([1-9]|[12]\\\\d|3[0-2])$",
\t\t\t"ConstraintDescription": "Must be an IPv4 CIDR narrower than the whole internet."
\t\t},
\t\t"TrustedIpv6Cidr": {
\t\t\t"Type": "String",
\t\t\t"Description": "The IPv6 CIDR trusted where ingress was open to the internet (::/0)",
\t\t\t"AllowedPattern": "^[0-9a-fA-F:.]+/([1-9]|[1-9]\\\\d|1[01]\\\\d|12[0-8])$",
\t\t\t"ConstraintDescription": "Must be an IPv6 CIDR narrower than the whole internet."
\t\t}
\t},
\t"""


def test_json_a_template_without_parameters_gets_one_section_in_its_own_indentation() -> None:
    file = _file(JSON_SG)
    expected = JSON_SG.replace('"Resources": {', JSON_PARAMETERS + '"Resources": {', 1)
    expected = expected.replace('"CidrIp": "0.0.0.0/0"', '"CidrIp": {"Ref": "TrustedCidr"}')
    expected = expected.replace('"CidrIpv6": "::/0"', '"CidrIpv6": {"Ref": "TrustedIpv6Cidr"}')
    assert patched(file, *_cidr_actions(file)) == expected


def test_json_new_parameters_are_appended_to_an_existing_section() -> None:
    text = JSON_SG.replace('\t"Resources"', '\t"Parameters": {\n\t\t"KeyName": {"Type": "String"}\n\t},\n\t"Resources"')
    file = _file(text)
    new = patched(file, _cidr_actions(file)[0])
    assert '\t\t"KeyName": {"Type": "String"},\n\t\t"TrustedCidr": {\n\t\t\t"Type": "String",\n' in new
    assert '"CidrIp": {"Ref": "TrustedCidr"}' in new


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (0, '[\n        "arn:b",\n        "arn:c"\n      ]'),
        (1, '[\n        "arn:a",\n        "arn:c"\n      ]'),
        (2, '[\n        "arn:a",\n        "arn:b"\n      ]'),
    ],
)
def test_json_removes_an_element_with_its_comma(index: int, expected: str) -> None:
    arns = '[\n        "arn:a",\n        "arn:b",\n        "arn:c"\n      ]'
    text = '{"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": ' + arns + "}}}}\n"
    file = _file(text)
    target = value_at(file, "Resources", "Role", "Properties", "ManagedPolicyArns", index)
    assert patched(file, RemoveItem(target)) == text.replace(arns, expected)


def test_json_removing_the_only_element_leaves_an_empty_list() -> None:
    text = '{"Resources": {"Role": {"Type": "AWS::IAM::Role", "Properties": {"ManagedPolicyArns": [\n  "arn:a"\n]}}}}\n'
    file = _file(text)
    target = value_at(file, "Resources", "Role", "Properties", "ManagedPolicyArns", 0)
    assert patched(file, RemoveItem(target)) == text.replace('[\n  "arn:a"\n]', "[]")


def test_json_removes_a_resource_member() -> None:
    text = '{\n  "Resources": {\n    "A": {"Type": "AWS::EC2::VPC"},\n    "Eip": {"Type": "AWS::EC2::EIP"},\n    "B": {"Type": "AWS::EC2::VPC"}\n  }\n}\n'
    file = _file(text)
    assert patched(file, RemoveBlock(resource(file, "Eip"))) == text.replace(
        '    "Eip": {"Type": "AWS::EC2::EIP"},\n', ""
    )


def test_json_replaces_an_action_of_a_multiline_list_by_lines_of_their_own() -> None:
    text = '{"Resources": {"P": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"Action": [\n    "s3:*",\n    "ec2:DescribeTags"\n]}}}}\n'
    file = _file(text)
    target = value_at(file, "Resources", "P", "Properties", "Action", 0)
    new = patched(file, ReplaceItem(target, ("s3:Get*", "s3:List*", "s3:Describe*")))
    assert new == text.replace('"s3:*"', '"s3:Get*",\n    "s3:List*",\n    "s3:Describe*"')


def test_an_absent_value_an_intrinsic_left_out_is_not_inserted_beside_it() -> None:
    file = _file(
        "Resources:\n  I:\n    Type: AWS::EC2::Instance\n    Properties:\n      MetadataOptions: !If [C, {HttpTokens: required}, !Ref AWS::NoValue]\n"
    )
    node = _node(parse(file), ("Resources", "I", "Properties", "MetadataOptions"))
    target = Sourced(None, Origin.DEFAULT, "HttpTokens", node.span, (), "AWS::NoValue")
    with pytest.raises(Unpatchable, match="AWS::NoValue"):
        cfn_yaml.edits(SetValue(target, "required"), PatchContext([file], {}))
