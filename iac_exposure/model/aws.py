"""AWS nouns, format-free. Adapters build them; `Model` links them; traits read them."""

from __future__ import annotations

from enum import Enum
from typing import Any

from .._records import record
from ..source import Span
from .values import Origin, Sourced

AnySourced = Sourced[Any]

# A field added after the first adapters were written: DEFAULT and located nowhere until an adapter fills it.
UNSET: AnySourced = Sourced(None, Origin.DEFAULT, "", None)


@record
class Resource:
    address: str  # unique in the model: `aws_instance.web`, `module.net.aws_subnet.a`, `WebServer`
    type: str  # as the user wrote it: `aws_instance`, `AWS::EC2::Instance`
    name: str  # the label / logical id
    span: Span | None  # the whole block
    aliases: tuple[str, ...]  # literal names/ids other resources may use for it (`name = "web-sg"`)


@record
class ResourceRef(Resource):
    """What a report needs of a resource once its unit is analysed and patched: its names, where it is, and
    whether it is compute (exposures are about compute). A finding keeps this instead of the whole model."""

    compute: bool = False


def is_compute(resource: Resource) -> bool:
    """An instance, launch template, launch configuration or Auto Scaling group (or a reference to one)."""
    if type(resource) is ResourceRef:
        return resource.compute
    return isinstance(resource, (Instance, LaunchTemplate, LaunchConfiguration, AutoScalingGroup))


def ref(resource: Resource) -> ResourceRef:
    if type(resource) is ResourceRef:
        return resource
    return ResourceRef(resource.address, resource.type, resource.name, resource.span, (), is_compute(resource))


class ComputeKind(str, Enum):
    INSTANCE = "instance"
    SPOT_INSTANCE_REQUEST = "spot instance request"
    LAUNCH_TEMPLATE = "launch template"
    LAUNCH_CONFIGURATION = "launch configuration"
    AUTOSCALING_GROUP = "auto scaling group"
    SPOT_FLEET = "spot fleet"
    EC2_FLEET = "EC2 fleet"


@record
class MetadataOptions:
    http_tokens: AnySourced
    http_endpoint: AnySourced


@record
class LaunchSettings:
    """What a launch source decides about the instances it launches. Each field may be DEFAULT."""

    metadata_options: MetadataOptions
    associate_public_ip_address: AnySourced  # bool, on the primary (device index 0) new interface
    security_groups: AnySourced  # tuple of Sourced ids/names/Refs
    subnets: AnySourced  # tuple of Sourced subnet ids/Refs
    iam_instance_profile: AnySourced  # name/ARN/Ref
    image_id: AnySourced
    existing_primary_interface: bool  # eth0 is an existing ENI: never an auto-assigned public IP
    # IPv6 addresses of the primary interface: a count (int) or the addresses (tuple); DEFAULT: the subnet decides
    ipv6_addresses: AnySourced = UNSET


@record
class Instance(Resource):
    """An instance, a spot instance request, or what one launch specification or launch template config of a
    fleet launches (`kind`; a fleet member's address names the specification, its name is the fleet's)."""

    kind: ComputeKind
    settings: LaunchSettings
    launch_template: AnySourced  # Ref/id/name of the template it launches from


@record
class LaunchTemplate(Resource):
    settings: LaunchSettings


@record
class LaunchConfiguration(Resource):
    settings: LaunchSettings


@record
class AutoScalingGroup(Resource):
    launch_templates: tuple[AnySourced, ...]  # LaunchTemplate refs (plain and mixed instances policy)
    launch_configuration: AnySourced
    subnets: AnySourced  # vpc_zone_identifier / VPCZoneIdentifier
    target_groups: AnySourced = UNSET  # tuple of TargetGroup refs/ARNs its instances register with
    load_balancers: AnySourced = UNSET  # tuple of classic LoadBalancer refs/names


@record
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


@record
class SecurityGroup(Resource):
    is_default: bool  # the VPC's default group
    vpc: AnySourced


@record
class NetworkAclEntry(Resource):
    network_acl: AnySourced
    rule_number: AnySourced
    action: AnySourced  # "allow" | "deny"
    egress: bool
    protocol: AnySourced
    from_port: AnySourced
    to_port: AnySourced
    cidr: AnySourced


@record
class NetworkAcl(Resource):
    is_default: bool
    subnets: AnySourced  # tuple of subnet refs
    vpc: AnySourced = UNSET  # its VPC; for a default ACL, the VPC whose subnets without an association use it


@record
class NetworkAclAssociation(Resource):
    network_acl: AnySourced
    subnet: AnySourced


@record
class Subnet(Resource):
    map_public_ip_on_launch: AnySourced
    is_default: bool  # a default subnet of the default VPC
    vpc: AnySourced
    assign_ipv6_address_on_creation: AnySourced = UNSET  # bool; DEFAULT False


@record
class ElasticIp(Resource):
    """An Elastic IP bound to an instance, directly or by an association resource."""

    instance: AnySourced
    network_interface: AnySourced


@record
class PolicyStatement:
    effect: AnySourced
    actions: tuple[AnySourced, ...]
    not_actions: tuple[AnySourced, ...]
    resources: tuple[AnySourced, ...]
    not_resources: tuple[AnySourced, ...]
    principals: tuple[AnySourced, ...]  # service principals (trust policies)
    node: AnySourced  # the statement itself (for removal)


@record
class PolicyDocument:
    statements: tuple[PolicyStatement, ...]
    node: AnySourced  # the whole document value
    statement_list: bool  # Statement is a list (a single statement can be removed from it)
    known: bool  # False when the text could not be evaluated


@record
class ManagedPolicy(Resource):
    """A customer managed policy (`aws_iam_policy`, `AWS::IAM::ManagedPolicy`)."""

    document: PolicyDocument
    roles: tuple[AnySourced, ...]  # roles it names itself (CFN `Roles`)


@record
class PolicyAttachment(Resource):
    """A managed policy ARN attached to roles by a resource of its own."""

    roles: AnySourced  # tuple of role refs/names
    policy_arns: AnySourced  # tuple of ARN strings or Refs to ManagedPolicy
    arn_list: bool  # the ARNs are a list the user maintains: detach one by removing it from the list


@record
class InlinePolicy(Resource):
    """An inline policy written as a resource (`aws_iam_role_policy`) or inside its role."""

    role: AnySourced
    document: PolicyDocument


@record
class IamRole(Resource):
    assume_role_policy: PolicyDocument | None
    managed_policy_arns: tuple[AnySourced, ...]
    inline_policies: tuple[InlinePolicy, ...]


@record
class InstanceProfile(Resource):
    role: AnySourced


# -- network paths: VPCs, routing, gateways ---------------------------------------------------------------


@record
class Vpc(Resource):
    cidr_block: AnySourced  # primary IPv4 CIDR; the default VPC's is DEFAULT 172.31.0.0/16
    ipv6_cidr_block: AnySourced  # DEFAULT None when it has none; UNKNOWN when Amazon assigns it
    is_default: bool  # the region's default VPC: public default subnets, an IGW, main route 0.0.0.0/0 → IGW


@record
class VpcCidrAssociation(Resource):
    """A further IPv4 or IPv6 CIDR block of a VPC."""

    vpc: AnySourced
    cidr_block: AnySourced
    ipv6: bool  # an IPv6 block (its value may be unknown: Amazon-provided or from an IPAM pool)


class RouteTarget(str, Enum):
    """Where a route sends traffic, by the attribute that names the target."""

    GATEWAY = "gateway"  # an internet gateway or a virtual private gateway (`gateway_id`/`GatewayId`), or "local"
    NAT_GATEWAY = "nat gateway"
    EGRESS_ONLY_GATEWAY = "egress-only internet gateway"
    PEERING = "vpc peering connection"
    OTHER = "other"  # transit gateway, network interface, VPC endpoint, carrier/local gateway, core network


@record
class RouteTable(Resource):
    vpc: AnySourced
    main: bool  # it is the VPC's main route table (Terraform `aws_default_route_table` adopts it)
    propagating_vpn_gateways: AnySourced = UNSET  # tuple of VpnGateway refs whose routes it receives


@record
class Route(Resource):
    """One route, inline in its table or standalone."""

    route_table: AnySourced
    destination: AnySourced  # IPv4/IPv6 CIDR (or a Ref to a VPC's `cidr_block`); UNKNOWN for a prefix list
    target: AnySourced  # Ref/id of the target; "local" for the VPC's own range
    target_kind: RouteTarget


@record
class RouteTableAssociation(Resource):
    route_table: AnySourced
    subnet: AnySourced  # DEFAULT for an edge (gateway) association, which routes no subnet


@record
class MainRouteTableAssociation(Resource):
    """Makes a route table the main one of its VPC: subnets without an association use it."""

    vpc: AnySourced
    route_table: AnySourced


@record
class InternetGateway(Resource):
    vpc: AnySourced  # DEFAULT when a GatewayAttachment attaches it (or nothing does: then it is detached)


@record
class EgressOnlyInternetGateway(Resource):
    """Outbound-only IPv6: never makes an instance reachable."""

    vpc: AnySourced


@record
class NatGateway(Resource):
    """Outbound only: never makes an instance reachable."""

    subnet: AnySourced


@record
class VpnGateway(Resource):
    vpc: AnySourced  # DEFAULT when a GatewayAttachment attaches it


@record
class GatewayAttachment(Resource):
    """An internet gateway or virtual private gateway attached to a VPC by a resource of its own."""

    vpc: AnySourced
    gateway: AnySourced  # InternetGateway or VpnGateway ref/id


@record
class VpnGatewayRoutePropagation(Resource):
    """Route tables that receive the routes a virtual private gateway learns (its VPN connections' ranges)."""

    vpn_gateway: AnySourced
    route_tables: AnySourced  # tuple of RouteTable refs


@record
class VpnConnection(Resource):
    vpn_gateway: AnySourced
    static_routes_only: AnySourced  # bool; DEFAULT False: BGP, so the ranges it propagates are not in the code


@record
class VpnConnectionRoute(Resource):
    """A static route of a VPN connection: a range on the far side that the gateway propagates."""

    vpn_connection: AnySourced
    destination: AnySourced


@record
class VpcPeeringConnection(Resource):
    vpc: AnySourced  # requester
    peer_vpc: AnySourced  # accepter (an id when it is in another account or region)


# -- load balancers ------------------------------------------------------------------------------------


@record
class LoadBalancer(Resource):
    """An application, network, gateway or classic load balancer."""

    internal: AnySourced  # the scheme as written (TF `internal` bool, CFN `Scheme` string); DEFAULT: internet-facing
    internal_literal: Any  # the value of `internal` that means internal (TF True, CFN "internal"): also the fix
    load_balancer_type: AnySourced  # "application" (default) | "network" | "gateway" | "classic"
    security_groups: AnySourced  # tuple of SecurityGroup refs/ids
    subnets: AnySourced  # tuple of Subnet refs/ids (DEFAULT: a classic load balancer in the default VPC)
    instances: AnySourced  # classic: tuple of registered Instance refs/ids


@record
class Listener(Resource):
    load_balancer: AnySourced
    port: AnySourced
    protocol: AnySourced  # as written: "HTTPS", "TCP", "https" …
    certificate: AnySourced  # DEFAULT None when it has none
    target_groups: tuple[AnySourced, ...]  # the target groups its default actions forward to
    instance_port: AnySourced = UNSET  # classic: the port it forwards to on the registered instances


@record
class ListenerRule(Resource):
    listener: AnySourced
    target_groups: tuple[AnySourced, ...]  # the target groups its actions forward to


@record
class TargetGroup(Resource):
    target_type: AnySourced  # "instance" (default) | "ip" | "lambda" | "alb"
    port: AnySourced
    protocol: AnySourced


@record
class TargetAttachment(Resource):
    """Registers a target with a target group or a classic load balancer: an instance or an auto scaling group."""

    target_group: AnySourced  # TargetGroup, or classic LoadBalancer, ref/ARN/name
    target: AnySourced  # Instance or AutoScalingGroup ref/id/name


@record
class ImageLookup(Resource):
    """A search for an AMI (`data "aws_ami"`): before a plan the id is unknown, the criteria are known."""

    owners: tuple[AnySourced, ...]
    name_filters: tuple[AnySourced, ...]  # AMI name patterns (`filter { name = "name" }` values, `name_regex`)
    most_recent: AnySourced
    image_id: AnySourced  # the AMI id a plan resolved; UNKNOWN before
    image_name: AnySourced  # the AMI name a plan resolved; UNKNOWN before


@record
class SsmParameter(Resource):
    """An SSM parameter naming an AMI (`data "aws_ssm_parameter"`, a CFN `AWS::SSM::Parameter::Value<…>`
    parameter): the path is known, the AMI id only once resolved."""

    path: AnySourced  # its name: `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64`
    value: AnySourced  # the AMI id a plan resolved; UNKNOWN before
