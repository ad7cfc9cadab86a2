"""Terraform load balancing: ALB/NLB/GWLB and classic ELB, listeners and their rules, target groups, targets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import (
    Listener,
    ListenerRule,
    LoadBalancer,
    Resource,
    TargetAttachment,
    TargetGroup,
)
from ...model.values import Origin, Ref, Sourced, default, join_lists
from .common import BlockReader, ResourceBlock, first_set

AnySourced = Sourced[Any]


def adapt_load_balancer(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    subnets = join_lists(
        r.get("subnets"),
        *[m.get("subnet_id") for m in r.all("subnet_mapping")],
    )
    if res.type == "aws_elb":
        yield from _classic(res, subnets)
        return
    yield LoadBalancer(
        res.address, res.type, res.name, r.span, res.aliases("name"),
        internal=r.get_bool("internal", False),
        internal_literal=True,
        load_balancer_type=r.get("load_balancer_type", "application"),
        security_groups=r.get("security_groups"),
        subnets=subnets,
        instances=default("instances", r.span),
    )  # fmt: skip


def _classic(res: ResourceBlock, subnets: AnySourced) -> Iterator[Resource]:
    r = res.reader
    yield LoadBalancer(
        res.address, res.type, res.name, r.span, res.aliases("name"),
        internal=r.get_bool("internal", False),
        internal_literal=True,
        load_balancer_type=Sourced("classic", Origin.DEFAULT, "load_balancer_type", r.span),
        security_groups=r.get("security_groups"),
        subnets=subnets,
        instances=r.get("instances"),
    )  # fmt: skip
    lb = Sourced(Ref(res.address), Origin.EXPLICIT, "load_balancer", r.span)
    for i, block in enumerate(r.all("listener")):
        yield Listener(
            f"{res.address}.listener[{i}]", res.type, res.name, block.span, (),
            load_balancer=lb,
            port=block.get("lb_port"),
            protocol=block.get("lb_protocol"),
            certificate=block.get("ssl_certificate_id"),
            target_groups=(),
            instance_port=block.get("instance_port"),
        )  # fmt: skip


def _forwards(actions: list[BlockReader]) -> tuple[AnySourced, ...]:
    """The target groups a list of actions forwards to (`target_group_arn` or `forward { target_group }`)."""
    found: list[AnySourced] = []
    for action in actions:
        arn = action.get("target_group_arn")
        if arn.origin is not Origin.DEFAULT:
            found.append(arn)
        for group in action.nested("forward").all("target_group"):
            found.append(group.get("arn"))
    return tuple(found)


def adapt_listener(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield Listener(
        res.address, res.type, res.name, r.span, (),
        load_balancer=r.get("load_balancer_arn"),
        port=r.get("port"),
        protocol=r.get("protocol"),
        certificate=r.get("certificate_arn"),
        target_groups=_forwards(r.all("default_action")),
    )  # fmt: skip


def adapt_listener_rule(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield ListenerRule(res.address, res.type, res.name, r.span, (), r.get("listener_arn"), _forwards(r.all("action")))


def adapt_target_group(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield TargetGroup(
        res.address, res.type, res.name, r.span, res.aliases("name"),
        r.get("target_type", "instance"), r.get("port"), r.get("protocol"),
    )  # fmt: skip


def adapt_target_attachment(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    if res.type == "aws_elb_attachment":
        group, target = r.get("elb"), r.get("instance")
    elif res.type == "aws_autoscaling_attachment":
        group, target = (
            first_set(r, "lb_target_group_arn", "alb_target_group_arn", "elb"),
            r.get("autoscaling_group_name"),
        )
    elif res.type == "aws_autoscaling_traffic_source_attachment":
        group, target = r.nested("traffic_source").get("identifier"), r.get("autoscaling_group_name")
    else:
        group, target = r.get("target_group_arn"), r.get("target_id")
    yield TargetAttachment(res.address, res.type, res.name, r.span, (), group, target)
