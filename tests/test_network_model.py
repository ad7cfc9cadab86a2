"""The network model is format-free: resources built the way a CloudFormation adapter fills them (logical ids,
`Fn::GetAtt VPC.CidrBlock`, `Scheme`, gateways attached by `VPCGatewayAttachment`, target group `Targets`)
give the same reachability as Terraform: the contract the CloudFormation adapters implement, checked without
them (adapters/cloudformation/routing.py and elb.py fill exactly these fields)."""

from __future__ import annotations

from typing import Any

from iac_exposure.config import Config
from iac_exposure.model.aws import (
    ComputeKind,
    GatewayAttachment,
    Instance,
    InternetGateway,
    LaunchSettings,
    Listener,
    LoadBalancer,
    MetadataOptions,
    Route,
    RouteTable,
    RouteTableAssociation,
    RouteTarget,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    TargetAttachment,
    TargetGroup,
    Vpc,
)
from iac_exposure.model.graph import Model
from iac_exposure.model.values import Origin, Ref, Sourced
from iac_exposure.patches.remedies import SetValue
from iac_exposure.traits import internet_reachable, vpc_reachable


def v(value: Any, key: str = "Value") -> Sourced[Any]:
    return Sourced(value, Origin.EXPLICIT, key, None)


def unset(key: str, value: Any = None) -> Sourced[Any]:
    return Sourced(value, Origin.DEFAULT, key, None, (key,))


def ref(logical_id: str, attribute: str = "") -> Sourced[Any]:
    return v(Ref(logical_id, attribute))


def refs(*logical_ids: str) -> Sourced[Any]:
    return v(tuple(ref(i) for i in logical_ids))


def instance(logical_id: str, subnet: str, group: str) -> Instance:
    settings = LaunchSettings(
        metadata_options=MetadataOptions(v("required", "HttpTokens"), unset("HttpEndpoint")),
        associate_public_ip_address=unset("AssociatePublicIpAddress"),
        security_groups=refs(group),
        subnets=refs(subnet),
        iam_instance_profile=unset("IamInstanceProfile"),
        image_id=v("ami-0c02fb55956c7d316", "ImageId"),
        existing_primary_interface=False,
    )
    return Instance(logical_id, "AWS::EC2::Instance", logical_id, None, (), ComputeKind.INSTANCE, settings,
                    unset("LaunchTemplate"))  # fmt: skip


def rule(logical_id: str, group: str, protocol: str, lo: int, hi: int, cidr: Sourced[Any]) -> SecurityGroupRule:
    return SecurityGroupRule(logical_id, "AWS::EC2::SecurityGroupIngress", logical_id, None, (), ref(group),
                             "ingress", v(protocol), v(lo), v(hi), (cidr,), (), False)  # fmt: skip


def group(logical_id: str) -> SecurityGroup:
    return SecurityGroup(logical_id, "AWS::EC2::SecurityGroup", logical_id, None, (), False, ref("VPC"))


NETWORK = [
    Vpc("VPC", "AWS::EC2::VPC", "VPC", None, (), v("10.0.0.0/16", "CidrBlock"), unset("Ipv6CidrBlock"), False),
    InternetGateway("IGW", "AWS::EC2::InternetGateway", "IGW", None, (), unset("VpcId")),
    GatewayAttachment("Attach", "AWS::EC2::VPCGatewayAttachment", "Attach", None, (), ref("VPC"), ref("IGW")),
    Subnet("Public", "AWS::EC2::Subnet", "Public", None, (), v(True, "MapPublicIpOnLaunch"), False, ref("VPC")),
    Subnet("Private", "AWS::EC2::Subnet", "Private", None, (), unset("MapPublicIpOnLaunch", False), False, ref("VPC")),
    RouteTable("PublicRoutes", "AWS::EC2::RouteTable", "PublicRoutes", None, (), ref("VPC"), False),
    Route("DefaultRoute", "AWS::EC2::Route", "DefaultRoute", None, (), ref("PublicRoutes"),
          v("0.0.0.0/0", "DestinationCidrBlock"), ref("IGW"), RouteTarget.GATEWAY),
    RouteTableAssociation("PublicAssoc", "AWS::EC2::SubnetRouteTableAssociation", "PublicAssoc", None, (),
                          ref("PublicRoutes"), ref("Public")),
]  # fmt: skip


def test_direct_path_from_cloudformation_shaped_resources() -> None:
    model = Model([
        *NETWORK,
        group("WebSG"),
        rule("WebHttps", "WebSG", "6", 443, 443, v("0.0.0.0/0", "CidrIp")),
        instance("Web", "Public", "WebSG"),
    ])  # fmt: skip
    (finding,) = internet_reachable.check(model, Config())
    assert finding.resource.address == "Web"
    assert "route 0.0.0.0/0 → IGW (AWS default, not in the code)" in finding.evidence  # no spans in this test


def test_load_balancer_scheme_and_targets_from_cloudformation_shaped_resources() -> None:
    model = Model([
        *NETWORK,
        group("AlbSG"),
        rule("AlbHttp", "AlbSG", "tcp", 80, 80, v("0.0.0.0/0", "CidrIp")),
        group("AppSG"),
        LoadBalancer("Alb", "AWS::ElasticLoadBalancingV2::LoadBalancer", "Alb", None, (),
                     internal=unset("Scheme", "internet-facing"), internal_literal="internal",
                     load_balancer_type=unset("Type", "application"), security_groups=refs("AlbSG"),
                     subnets=refs("Public"), instances=unset("Instances")),
        Listener("Http", "AWS::ElasticLoadBalancingV2::Listener", "Http", None, (), ref("Alb"), v(80, "Port"),
                 v("HTTP", "Protocol"), unset("Certificates"), (ref("AppTargets"),)),
        TargetGroup("AppTargets", "AWS::ElasticLoadBalancingV2::TargetGroup", "AppTargets", None, (),
                    unset("TargetType", "instance"), v(8080, "Port"), v("HTTP", "Protocol")),
        TargetAttachment("AppTargets.Targets[0]", "AWS::ElasticLoadBalancingV2::TargetGroup", "AppTargets", None,
                         (), ref("AppTargets"), ref("App")),
        instance("App", "Private", "AppSG"),
    ])  # fmt: skip
    (finding,) = internet_reachable.check(model, Config())
    assert finding.resource.address == "App" and finding.source_resource.address == "Alb"
    assert finding.remedy is not None and isinstance(finding.remedy.action, SetValue)
    assert finding.remedy.action.value == "internal"  # `Scheme: internal`, in the template's own spelling


def test_vpc_cidr_written_as_getatt() -> None:
    model = Model([
        *NETWORK,
        group("DbSG"),
        rule("DbFromVpc", "DbSG", "-1", -1, -1, ref("VPC", "CidrBlock")),
        instance("Db", "Private", "DbSG"),
    ])  # fmt: skip
    (finding,) = vpc_reachable.check(model, Config())
    assert finding.resource.address == "Db"
    assert finding.message == "Ingress from 10.0.0.0/16 (the VPC's CIDR block) to all ports and protocols in DbSG"
