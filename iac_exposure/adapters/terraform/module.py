"""One Terraform module directory (all its `*.tf` files) → model resources."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ...model.aws import Resource
from ...model.graph import OtherResource
from ...model.values import Ref
from ...parsers.terraform_hcl import HclAttribute, HclBlock
from .ami import adapt_ami_lookup, adapt_ssm_parameter
from .common import BlockReader, ResourceBlock
from .ec2 import (
    adapt_autoscaling_group,
    adapt_eip,
    adapt_instance,
    adapt_launch_configuration,
    adapt_launch_template,
)
from .elb import (
    adapt_listener,
    adapt_listener_rule,
    adapt_load_balancer,
    adapt_target_attachment,
    adapt_target_group,
)
from .evaluator import Evaluator, Scope
from .iam import adapt_instance_profile, adapt_policy, adapt_policy_attachment, adapt_role, adapt_role_policy
from .routing import (
    adapt_gateway,
    adapt_gateway_attachment,
    adapt_peering,
    adapt_route,
    adapt_route_table,
    adapt_route_table_association,
    adapt_vpc,
    adapt_vpc_cidr_association,
    adapt_vpn,
)
from .vpc import (
    adapt_network_acl,
    adapt_network_acl_association,
    adapt_network_acl_rule,
    adapt_security_group,
    adapt_security_group_rule,
    adapt_subnet,
    adapt_vpc_security_group_rule,
)

Adapter = Callable[[ResourceBlock], Iterator[Resource]]

ADAPTERS: dict[str, Adapter] = {
    "aws_instance": adapt_instance,
    "aws_spot_instance_request": adapt_instance,
    "aws_launch_template": adapt_launch_template,
    "aws_launch_configuration": adapt_launch_configuration,
    "aws_autoscaling_group": adapt_autoscaling_group,
    "aws_eip": adapt_eip,
    "aws_eip_association": adapt_eip,
    "aws_security_group": adapt_security_group,
    "aws_default_security_group": adapt_security_group,
    "aws_security_group_rule": adapt_security_group_rule,
    "aws_vpc_security_group_ingress_rule": adapt_vpc_security_group_rule,
    "aws_vpc_security_group_egress_rule": adapt_vpc_security_group_rule,
    "aws_network_acl": adapt_network_acl,
    "aws_default_network_acl": adapt_network_acl,
    "aws_network_acl_rule": adapt_network_acl_rule,
    "aws_network_acl_association": adapt_network_acl_association,
    "aws_subnet": adapt_subnet,
    "aws_default_subnet": adapt_subnet,
    "aws_iam_role": adapt_role,
    "aws_iam_instance_profile": adapt_instance_profile,
    "aws_iam_policy": adapt_policy,
    "aws_iam_role_policy": adapt_role_policy,
    "aws_iam_role_policy_attachment": adapt_policy_attachment,
    "aws_iam_policy_attachment": adapt_policy_attachment,
    "aws_iam_role_policy_attachments_exclusive": adapt_policy_attachment,
    "aws_vpc": adapt_vpc,
    "aws_default_vpc": adapt_vpc,
    "aws_vpc_ipv4_cidr_block_association": adapt_vpc_cidr_association,
    "aws_vpc_ipv6_cidr_block_association": adapt_vpc_cidr_association,
    "aws_route_table": adapt_route_table,
    "aws_default_route_table": adapt_route_table,
    "aws_route": adapt_route,
    "aws_route_table_association": adapt_route_table_association,
    "aws_main_route_table_association": adapt_route_table_association,
    "aws_internet_gateway": adapt_gateway,
    "aws_egress_only_internet_gateway": adapt_gateway,
    "aws_nat_gateway": adapt_gateway,
    "aws_vpn_gateway": adapt_gateway,
    "aws_internet_gateway_attachment": adapt_gateway_attachment,
    "aws_vpn_gateway_attachment": adapt_gateway_attachment,
    "aws_vpn_gateway_route_propagation": adapt_vpn,
    "aws_vpn_connection": adapt_vpn,
    "aws_vpn_connection_route": adapt_vpn,
    "aws_vpc_peering_connection": adapt_peering,
    "aws_lb": adapt_load_balancer,
    "aws_alb": adapt_load_balancer,
    "aws_elb": adapt_load_balancer,
    "aws_lb_listener": adapt_listener,
    "aws_alb_listener": adapt_listener,
    "aws_lb_listener_rule": adapt_listener_rule,
    "aws_alb_listener_rule": adapt_listener_rule,
    "aws_lb_target_group": adapt_target_group,
    "aws_alb_target_group": adapt_target_group,
    "aws_lb_target_group_attachment": adapt_target_attachment,
    "aws_alb_target_group_attachment": adapt_target_attachment,
    "aws_elb_attachment": adapt_target_attachment,
    "aws_autoscaling_attachment": adapt_target_attachment,
    "aws_autoscaling_traffic_source_attachment": adapt_target_attachment,
}

# data sources the model reads (addresses `data.TYPE.NAME`, as references spell them)
DATA_ADAPTERS: dict[str, Adapter] = {
    "aws_ami": adapt_ami_lookup,
    "aws_ssm_parameter": adapt_ssm_parameter,
}


def adapt_module(blocks: Iterable[HclBlock]) -> list[Resource]:
    """Every resource of one module, given the top-level blocks of all its files."""
    blocks = list(blocks)
    variables: dict[str, HclBlock] = {}
    locals_: dict[str, HclAttribute] = {}
    resources: list[HclBlock] = []
    data: list[HclBlock] = []
    for block in blocks:
        if block.type == "variable" and block.labels:
            variables[block.labels[0]] = block
        elif block.type == "locals":
            locals_.update(block.attributes)
        elif block.type == "resource" and len(block.labels) == 2:
            resources.append(block)
        elif block.type == "data" and len(block.labels) == 2 and block.labels[0] in DATA_ADAPTERS:
            data.append(block)
    scope = Scope(variables, locals_, {b.labels[0] for b in resources})
    ev = Evaluator(scope)
    out: list[Resource] = []
    for block in resources:
        rtype, name = block.labels
        if _disabled(block, ev):
            continue
        address = f"{rtype}.{name}"
        adapter = ADAPTERS.get(rtype)
        if adapter is None:
            out.append(OtherResource(address, rtype, name, block.span, (), frozenset(_references(block, ev))))
            continue
        out.extend(adapter(ResourceBlock(rtype, name, address, BlockReader(ev, block, block.span))))
    for block in data:
        rtype, name = block.labels
        if not _disabled(block, ev):
            reader = BlockReader(ev, block, block.span)
            out.extend(DATA_ADAPTERS[rtype](ResourceBlock(rtype, name, f"data.{rtype}.{name}", reader)))
    return out


def _disabled(block: HclBlock, ev: Evaluator) -> bool:
    """`count = 0` or an empty `for_each`: Terraform creates nothing."""
    count = block.attributes.get("count")
    if count is not None:
        value = ev.attribute(count)
        if value.known and value.value == 0 and not isinstance(value.value, bool):
            return True
    for_each = block.attributes.get("for_each")
    if for_each is not None:
        value = ev.attribute(for_each)
        if value.known and value.value in ((), {}):
            return True
    return False


def _references(block: HclBlock, ev: Evaluator) -> Iterator[str]:
    """The resources a block we do not model refers to (an `aws_lb` naming security groups)."""

    def walk(value: Any) -> Iterator[str]:
        inner = value.value
        if isinstance(inner, Ref):
            yield inner.address
        elif isinstance(inner, tuple):
            for item in inner:
                yield from walk(item)
        elif isinstance(inner, dict):
            for item in inner.values():
                yield from walk(item)

    for attr in block.attributes.values():
        yield from walk(ev.attribute(attr))
    for nested in block.blocks:
        yield from _references(nested, ev)
