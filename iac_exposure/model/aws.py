"""AWS nouns, format-free. Adapters build them; `Model` links them; traits read them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from ..source import Span
from .values import Sourced

AnySourced = Sourced[Any]


@dataclass(frozen=True, slots=True)
class Resource:
    address: str  # unique in the model: `aws_instance.web`, `module.net.aws_subnet.a`, `WebServer`
    type: str  # as the user wrote it: `aws_instance`, `AWS::EC2::Instance`
    name: str  # the label / logical id
    span: Span | None  # the whole block
    aliases: tuple[str, ...]  # literal names/ids other resources may use for it (`name = "web-sg"`)


class ComputeKind(str, Enum):
    INSTANCE = "instance"
    SPOT_INSTANCE_REQUEST = "spot instance request"
    LAUNCH_TEMPLATE = "launch template"
    LAUNCH_CONFIGURATION = "launch configuration"
    AUTOSCALING_GROUP = "auto scaling group"
    SPOT_FLEET = "spot fleet"
    EC2_FLEET = "EC2 fleet"


@dataclass(frozen=True, slots=True)
class MetadataOptions:
    http_tokens: AnySourced
    http_endpoint: AnySourced


@dataclass(frozen=True, slots=True)
class LaunchSettings:
    """What a launch source decides about the instances it launches. Each field may be DEFAULT."""

    metadata_options: MetadataOptions
    associate_public_ip_address: AnySourced  # bool, on the primary (device index 0) new interface
    security_groups: AnySourced  # tuple of Sourced ids/names/Refs
    subnets: AnySourced  # tuple of Sourced subnet ids/Refs
    iam_instance_profile: AnySourced  # name/ARN/Ref
    image_id: AnySourced
    existing_primary_interface: bool  # eth0 is an existing ENI: never an auto-assigned public IP


@dataclass(frozen=True, slots=True)
class Instance(Resource):
    """An instance, a spot instance request, or what one launch specification or launch template config of a
    fleet launches (`kind`; a fleet member's address names the specification, its name is the fleet's)."""

    kind: ComputeKind
    settings: LaunchSettings
    launch_template: AnySourced  # Ref/id/name of the template it launches from


@dataclass(frozen=True, slots=True)
class LaunchTemplate(Resource):
    settings: LaunchSettings


@dataclass(frozen=True, slots=True)
class LaunchConfiguration(Resource):
    settings: LaunchSettings


@dataclass(frozen=True, slots=True)
class AutoScalingGroup(Resource):
    launch_templates: tuple[AnySourced, ...]  # LaunchTemplate refs (plain and mixed instances policy)
    launch_configuration: AnySourced
    subnets: AnySourced  # vpc_zone_identifier / VPCZoneIdentifier


@dataclass(frozen=True, slots=True)
class SecurityGroupRule(Resource):
    """One ingress or egress rule, inline in its group or standalone."""

    security_group: AnySourced  # Ref/id of the group it belongs to
    direction: str  # "ingress" | "egress"
    protocol: AnySourced  # normalised lowercase string: "tcp", "-1", "6" …
    from_port: AnySourced
    to_port: AnySourced
    cidrs: tuple[AnySourced, ...]  # every IPv4/IPv6 CIDR source, one Sourced per element
    sources: tuple[AnySourced, ...]  # security group sources (Refs/ids), and self
    self_reference: bool


@dataclass(frozen=True, slots=True)
class SecurityGroup(Resource):
    is_default: bool  # the VPC's default group
    vpc: AnySourced


@dataclass(frozen=True, slots=True)
class NetworkAclEntry(Resource):
    network_acl: AnySourced
    rule_number: AnySourced
    action: AnySourced  # "allow" | "deny"
    egress: bool
    protocol: AnySourced
    from_port: AnySourced
    to_port: AnySourced
    cidr: AnySourced


@dataclass(frozen=True, slots=True)
class NetworkAcl(Resource):
    is_default: bool
    subnets: AnySourced  # tuple of subnet refs


@dataclass(frozen=True, slots=True)
class NetworkAclAssociation(Resource):
    network_acl: AnySourced
    subnet: AnySourced


@dataclass(frozen=True, slots=True)
class Subnet(Resource):
    map_public_ip_on_launch: AnySourced
    is_default: bool  # a default subnet of the default VPC
    vpc: AnySourced


@dataclass(frozen=True, slots=True)
class ElasticIp(Resource):
    """An Elastic IP bound to an instance, directly or by an association resource."""

    instance: AnySourced
    network_interface: AnySourced


@dataclass(frozen=True, slots=True)
class PolicyStatement:
    effect: AnySourced
    actions: tuple[AnySourced, ...]
    not_actions: tuple[AnySourced, ...]
    resources: tuple[AnySourced, ...]
    not_resources: tuple[AnySourced, ...]
    principals: tuple[AnySourced, ...]  # service principals (trust policies)
    node: AnySourced  # the statement itself (for removal)


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    statements: tuple[PolicyStatement, ...]
    node: AnySourced  # the whole document value
    statement_list: bool  # Statement is a list (a single statement can be removed from it)
    known: bool  # False when the text could not be evaluated


@dataclass(frozen=True, slots=True)
class ManagedPolicy(Resource):
    """A customer managed policy (`aws_iam_policy`, `AWS::IAM::ManagedPolicy`)."""

    document: PolicyDocument
    roles: tuple[AnySourced, ...]  # roles it names itself (CFN `Roles`)


@dataclass(frozen=True, slots=True)
class PolicyAttachment(Resource):
    """A managed policy ARN attached to roles by a resource of its own."""

    roles: AnySourced  # tuple of role refs/names
    policy_arns: AnySourced  # tuple of ARN strings or Refs to ManagedPolicy
    arn_list: bool  # the ARNs are a list the user maintains: detach one by removing it from the list


@dataclass(frozen=True, slots=True)
class InlinePolicy(Resource):
    """An inline policy written as a resource (`aws_iam_role_policy`) or inside its role."""

    role: AnySourced
    document: PolicyDocument


@dataclass(frozen=True, slots=True)
class IamRole(Resource):
    assume_role_policy: PolicyDocument | None
    managed_policy_arns: tuple[AnySourced, ...]
    inline_policies: tuple[InlinePolicy, ...]


@dataclass(frozen=True, slots=True)
class InstanceProfile(Resource):
    role: AnySourced


@dataclass(frozen=True, slots=True)
class ImageLookup(Resource):
    """A search for an AMI (`data "aws_ami"`): before a plan the id is unknown, the criteria are known."""

    owners: tuple[AnySourced, ...]
    name_filters: tuple[AnySourced, ...]  # AMI name patterns (`filter { name = "name" }` values, `name_regex`)
    most_recent: AnySourced
    image_id: AnySourced  # the AMI id a plan resolved; UNKNOWN before
    image_name: AnySourced  # the AMI name a plan resolved; UNKNOWN before


@dataclass(frozen=True, slots=True)
class SsmParameter(Resource):
    """An SSM parameter naming an AMI (`data "aws_ssm_parameter"`, a CFN `AWS::SSM::Parameter::Value<…>`
    parameter): the path is known, the AMI id only once resolved."""

    path: AnySourced  # its name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`
    value: AnySourced  # the AMI id a plan resolved; UNKNOWN before
