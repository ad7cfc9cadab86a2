"""Terraform compute: instances, spot requests, launch templates/configurations, auto scaling groups, EIPs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import (
    AutoScalingGroup,
    ComputeKind,
    ElasticIp,
    Instance,
    LaunchConfiguration,
    LaunchSettings,
    LaunchTemplate,
    MetadataOptions,
    Resource,
)
from ...model.values import Origin, Sourced, as_list, default, join_lists
from .common import BlockReader, ResourceBlock, first_set

AnySourced = Sourced[Any]


def _metadata(block: BlockReader, tokens_default: str | None = None) -> MetadataOptions:
    md = block.nested("metadata_options")
    return MetadataOptions(http_tokens=md.get("http_tokens", tokens_default), http_endpoint=md.get("http_endpoint"))


def adapt_instance(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    primary_eni = (
        any(ni.get("device_index").value in (0, "0") for ni in r.all("network_interface"))
        or r.nested("primary_network_interface").present
    )
    settings = LaunchSettings(
        metadata_options=_metadata(r),
        associate_public_ip_address=r.get_bool("associate_public_ip_address"),
        security_groups=join_lists(r.get("vpc_security_group_ids"), r.get("security_groups")),
        subnets=as_list(r.get("subnet_id")),
        iam_instance_profile=r.get("iam_instance_profile"),
        image_id=r.get("ami"),
        existing_primary_interface=primary_eni,
        ipv6_addresses=first_set(r, "ipv6_address_count", "ipv6_addresses"),
    )
    kind = ComputeKind.SPOT_INSTANCE_REQUEST if res.type == "aws_spot_instance_request" else ComputeKind.INSTANCE
    template = first_set(r.nested("launch_template"), "id", "name")
    yield Instance(res.address, res.type, res.name, r.span, (), kind, settings, template)


def adapt_launch_template(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    interfaces = r.all("network_interfaces")
    primary = next((ni for ni in interfaces if ni.get("device_index").value in (None, 0, "0")), None)
    if primary is None:  # no interface for eth0: one would be added
        primary = BlockReader(r.ev, None, r.span, ("network_interfaces",))
    profile = r.nested("iam_instance_profile")
    settings = LaunchSettings(
        metadata_options=_metadata(r),
        associate_public_ip_address=primary.get_bool("associate_public_ip_address"),
        security_groups=join_lists(
            r.get("vpc_security_group_ids"), r.get("security_group_names"), primary.get("security_groups")
        ),
        subnets=as_list(primary.get("subnet_id")),
        iam_instance_profile=first_set(profile, "arn", "name"),
        image_id=r.get("image_id"),
        existing_primary_interface=primary.get("network_interface_id").origin is not Origin.DEFAULT,
        ipv6_addresses=first_set(primary, "ipv6_address_count", "ipv6_addresses"),
    )
    yield LaunchTemplate(res.address, res.type, res.name, r.span, res.aliases("name"), settings)


def adapt_launch_configuration(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    settings = LaunchSettings(
        # "If the parameter is not specified in the request, the default state is optional."
        metadata_options=_metadata(r, tokens_default="optional"),
        associate_public_ip_address=r.get_bool("associate_public_ip_address"),
        security_groups=as_list(r.get("security_groups")),
        subnets=default("subnet_id", r.span),  # the auto scaling group decides
        iam_instance_profile=r.get("iam_instance_profile"),
        image_id=r.get("image_id"),
        existing_primary_interface=False,
    )
    yield LaunchConfiguration(res.address, res.type, res.name, r.span, res.aliases("name"), settings)


def adapt_autoscaling_group(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    templates: list[AnySourced] = []
    plain = r.nested("launch_template")
    if plain.present:
        templates.append(first_set(plain, "id", "name"))
    mixed = r.nested("mixed_instances_policy").nested("launch_template")
    for spec_block in [mixed.nested("launch_template_specification")] + [
        o.nested("launch_template_specification") for o in mixed.all("override")
    ]:
        if spec_block.present:
            templates.append(first_set(spec_block, "launch_template_id", "launch_template_name"))
    yield AutoScalingGroup(
        res.address,
        res.type,
        res.name,
        r.span,
        res.aliases("name"),
        tuple(templates),
        r.get("launch_configuration"),
        as_list(r.get("vpc_zone_identifier")),
        target_groups=as_list(r.get("target_group_arns")),
        load_balancers=as_list(r.get("load_balancers")),
    )


def adapt_eip(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    instance = r.get("instance") if res.type == "aws_eip" else r.get("instance_id")
    eni = r.get("network_interface") if res.type == "aws_eip" else r.get("network_interface_id")
    yield ElasticIp(res.address, res.type, res.name, r.span, (), instance, eni)
