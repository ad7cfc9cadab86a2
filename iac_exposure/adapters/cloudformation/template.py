"""One CloudFormation template → model resources, once per assumption about its undecidable conditions.

A condition that depends on a value only the deployment knows (a parameter without a default, the region)
cannot be decided. Rather than guess, the template is read once for each combination of such conditions
(the first `MAX_FORKED` of them that resources use; any further one leaves its `Fn::If` values UNKNOWN), so a
trait fires when either branch would; the scan then says which assumption a finding depends on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice, product
from typing import Any

from ...model.aws import Resource, SsmParameter
from ...model.graph import OtherResource
from ...model.values import Ref, Sourced, unknown
from ...parsers.cloudformation import Node
from .common import Block, ResourceEntry
from .ec2 import (
    adapt_autoscaling_group,
    adapt_ec2_fleet,
    adapt_eip,
    adapt_instance,
    adapt_launch_configuration,
    adapt_launch_template,
    adapt_spot_fleet,
)
from .elb import (
    adapt_classic_load_balancer,
    adapt_listener,
    adapt_listener_rule,
    adapt_load_balancer,
    adapt_target_group,
)
from .evaluator import SSM_VALUE, Evaluator, parameter_type
from .iam import adapt_instance_profile, adapt_managed_policy, adapt_role, adapt_role_policy
from .routing import (
    adapt_gateway,
    adapt_gateway_attachment,
    adapt_peering,
    adapt_route,
    adapt_route_table,
    adapt_route_table_association,
    adapt_vpc,
    adapt_vpc_cidr_block,
    adapt_vpn,
)
from .vpc import (
    adapt_network_acl,
    adapt_network_acl_association,
    adapt_network_acl_entry,
    adapt_security_group,
    adapt_security_group_rule,
    adapt_subnet,
)

MAX_FORKED = 4  # 16 readings at most

Adapter = Callable[[ResourceEntry], Iterator[Resource]]

ADAPTERS: dict[str, Adapter] = {
    "AWS::EC2::Instance": adapt_instance,
    "AWS::EC2::LaunchTemplate": adapt_launch_template,
    "AWS::AutoScaling::LaunchConfiguration": adapt_launch_configuration,
    "AWS::AutoScaling::AutoScalingGroup": adapt_autoscaling_group,
    "AWS::EC2::SpotFleet": adapt_spot_fleet,
    "AWS::EC2::EC2Fleet": adapt_ec2_fleet,
    "AWS::EC2::EIP": adapt_eip,
    "AWS::EC2::EIPAssociation": adapt_eip,
    "AWS::EC2::SecurityGroup": adapt_security_group,
    "AWS::EC2::SecurityGroupIngress": adapt_security_group_rule,
    "AWS::EC2::SecurityGroupEgress": adapt_security_group_rule,
    "AWS::EC2::NetworkAcl": adapt_network_acl,
    "AWS::EC2::NetworkAclEntry": adapt_network_acl_entry,
    "AWS::EC2::SubnetNetworkAclAssociation": adapt_network_acl_association,
    "AWS::EC2::Subnet": adapt_subnet,
    "AWS::IAM::Role": adapt_role,
    "AWS::IAM::InstanceProfile": adapt_instance_profile,
    "AWS::IAM::ManagedPolicy": adapt_managed_policy,
    "AWS::IAM::Policy": adapt_managed_policy,
    "AWS::IAM::RolePolicy": adapt_role_policy,
    "AWS::EC2::VPC": adapt_vpc,
    "AWS::EC2::VPCCidrBlock": adapt_vpc_cidr_block,
    "AWS::EC2::RouteTable": adapt_route_table,
    "AWS::EC2::Route": adapt_route,
    "AWS::EC2::SubnetRouteTableAssociation": adapt_route_table_association,
    "AWS::EC2::InternetGateway": adapt_gateway,
    "AWS::EC2::VPNGateway": adapt_gateway,
    "AWS::EC2::EgressOnlyInternetGateway": adapt_gateway,
    "AWS::EC2::NatGateway": adapt_gateway,
    "AWS::EC2::VPCGatewayAttachment": adapt_gateway_attachment,
    "AWS::EC2::VPNGatewayRoutePropagation": adapt_vpn,
    "AWS::EC2::VPNConnection": adapt_vpn,
    "AWS::EC2::VPNConnectionRoute": adapt_vpn,
    "AWS::EC2::VPCPeeringConnection": adapt_peering,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": adapt_load_balancer,
    "AWS::ElasticLoadBalancingV2::Listener": adapt_listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": adapt_listener_rule,
    "AWS::ElasticLoadBalancingV2::TargetGroup": adapt_target_group,
    "AWS::ElasticLoadBalancing::LoadBalancer": adapt_classic_load_balancer,
}


def adapt_template(root: Node, parameters: dict[str, str]) -> list[tuple[dict[str, bool], list[Resource]]]:
    """(assumed condition values, resources) for each reading; a single reading with no assumptions when every
    condition the resources use can be decided."""
    undecided = list(islice(Evaluator(root, parameters, {}).unknown_conditions(), MAX_FORKED))
    readings = []
    for values in product((True, False), repeat=len(undecided)):
        assumed = dict(zip(undecided, values))
        readings.append((assumed, list(_resources(Evaluator(root, parameters, assumed)))))
    return readings


def _resources(ev: Evaluator) -> Iterator[Resource]:
    yield from _ssm_parameters(ev)
    for name, node in ev.resources.items():
        kind = node.mapping.get("Type")
        if kind is None or not isinstance(kind.value, str):
            continue
        condition = node.mapping.get("Condition")
        if condition is not None and isinstance(condition.value, str) and ev.condition(condition.value) is False:
            continue  # not created
        entry = ResourceEntry(kind.value, name, node.entry, _properties(ev, node))
        adapter = ADAPTERS.get(kind.value)
        if adapter is None:
            references = frozenset(_references(entry.props.value)) if entry.props.value is not None else frozenset()
            yield OtherResource(name, kind.value, name, node.entry, (), references)
            continue
        yield from adapter(entry)


def _ssm_parameters(ev: Evaluator) -> Iterator[Resource]:
    """Parameters read from SSM Parameter Store (an AMI by its public parameter path): their path is the
    value they are given, the value they resolve to is known only at deployment."""
    for name, node in ev.parameters.items():
        kind = parameter_type(node)
        if kind.startswith(SSM_VALUE):
            given = ev.declared_value(name, "Default")
            if given is None:
                path = unknown("Default", node.entry, f"parameter {name}")
            elif given.via == f"parameter {name}":  # its default: the declaration's own value
                path = Sourced(given.value, given.origin, given.key, given.span)
            else:
                path = given
            yield SsmParameter(name, kind, name, node.entry, (), path, unknown("value", node.entry))


def _properties(ev: Evaluator, resource: Node) -> Block:
    props = resource.mapping.get("Properties")
    if props is None:
        return Block(None, resource.entry, ("Properties",))
    return Block(ev.value(props, "Properties"), props.entry)


def _references(value: Sourced[Any]) -> Iterator[str]:
    """The resources a resource we do not model refers to (a load balancer naming security groups)."""
    inner = value.value
    if isinstance(inner, Ref):
        yield inner.address
    elif isinstance(inner, tuple):
        for item in inner:
            yield from _references(item)
    elif isinstance(inner, dict):
        for item in inner.values():
            yield from _references(item)
