"""CloudFormation load balancing: ALB/NLB/GWLB and classic load balancers, listeners and their rules, target
groups with their targets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import Listener, ListenerRule, LoadBalancer, Resource, TargetAttachment, TargetGroup
from ...model.values import Origin, Ref, Sourced, default, join_lists
from .common import Block, ResourceEntry

AnySourced = Sourced[Any]


def adapt_load_balancer(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    subnets = join_lists(props.get("Subnets"), *[m.get("SubnetId") for m in props.items("SubnetMappings")])
    yield LoadBalancer(
        res.name, res.type, res.name, res.span, res.aliases("Name"),
        internal=props.get("Scheme", "internet-facing"),
        internal_literal="internal",
        load_balancer_type=props.get("Type", "application"),
        security_groups=props.get("SecurityGroups"),
        subnets=subnets,
        instances=default("Instances", props.span),
    )  # fmt: skip


def adapt_classic_load_balancer(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield LoadBalancer(
        res.name, res.type, res.name, res.span, res.aliases("LoadBalancerName"),
        internal=props.get("Scheme", "internet-facing"),
        internal_literal="internal",
        load_balancer_type=Sourced("classic", Origin.DEFAULT, "Type", props.span),
        security_groups=props.get("SecurityGroups"),
        subnets=props.get("Subnets"),  # none: availability zones of the default VPC
        instances=props.get("Instances"),
    )  # fmt: skip
    lb = Sourced(Ref(res.name), Origin.EXPLICIT, "LoadBalancerName", res.span)
    for i, listener in enumerate(props.items("Listeners")):
        yield Listener(
            f"{res.name}.Listeners[{i}]", res.type, res.name, listener.span, (),
            load_balancer=lb,
            port=listener.get_int("LoadBalancerPort"),
            protocol=listener.get("Protocol"),
            certificate=listener.get("SSLCertificateId"),
            target_groups=(),
            instance_port=listener.get_int("InstancePort"),
        )  # fmt: skip


def _forwards(actions: list[Block]) -> tuple[AnySourced, ...]:
    """The target groups actions forward to (`TargetGroupArn` or `ForwardConfig.TargetGroups`)."""
    found: list[AnySourced] = []
    for action in actions:
        arn = action.get("TargetGroupArn")
        if arn.origin is not Origin.DEFAULT:
            found.append(arn)
        found.extend(group.get("TargetGroupArn") for group in action.nested("ForwardConfig").items("TargetGroups"))
    return tuple(found)


def adapt_listener(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    certificates = props.items("Certificates")
    certificate = certificates[0].get("CertificateArn") if certificates else default("Certificates", props.span)
    yield Listener(
        res.name, res.type, res.name, res.span, (),
        load_balancer=props.get("LoadBalancerArn"),
        port=props.get_int("Port"),
        protocol=props.get("Protocol"),
        certificate=certificate,
        target_groups=_forwards(props.items("DefaultActions")),
    )  # fmt: skip


def adapt_listener_rule(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield ListenerRule(
        res.name, res.type, res.name, res.span, (), props.get("ListenerArn"), _forwards(props.items("Actions"))
    )


def adapt_target_group(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield TargetGroup(
        res.name, res.type, res.name, res.span, res.aliases("Name"),
        props.get("TargetType", "instance"), props.get_int("Port"), props.get("Protocol"),
    )  # fmt: skip
    group = Sourced(Ref(res.name), Origin.EXPLICIT, "TargetGroupArn", res.span)
    for i, target in enumerate(props.items("Targets")):
        yield TargetAttachment(f"{res.name}.Targets[{i}]", res.type, res.name, target.span, (), group, target.get("Id"))
