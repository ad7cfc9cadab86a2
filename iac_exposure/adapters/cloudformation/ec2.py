"""CloudFormation compute: instances, launch templates/configurations, auto scaling groups, fleets, EIPs."""

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
from .common import Block, ResourceEntry

AnySourced = Sourced[Any]


def _metadata(block: Block, tokens_default: str | None = None) -> MetadataOptions:
    md = block.nested("MetadataOptions")
    return MetadataOptions(http_tokens=md.get("HttpTokens", tokens_default), http_endpoint=md.get("HttpEndpoint"))


def _first_either(block: Block, *names: str) -> AnySourced:
    """The first of several alternative properties that is set (`LaunchTemplateId` or `LaunchTemplateName`)."""
    for name in names:
        value = block.get(name)
        if value.origin is not Origin.DEFAULT:
            return value
    return block.get(names[0])


def _is_primary(interface: Block, absent_means_primary: bool) -> bool:
    index = interface.get("DeviceIndex").value
    return index in (0, "0") or (index is None and absent_means_primary)


def _primary_interface(props: Block, absent_means_primary: bool) -> Block:
    """The network interface for eth0, or an absent one (whose properties cannot be inserted alone: adding an
    interface moves the subnet and security groups onto it)."""
    for interface in props.items("NetworkInterfaces"):
        if _is_primary(interface, absent_means_primary):
            return interface
    return Block(None, props.span, ("NetworkInterfaces",))


def _unsettable(name: str, block: Block) -> AnySourced:
    """A property the block's type does not have (a spot fleet launch specification has no MetadataOptions):
    the AWS default applies and no patch can write it there."""
    return Sourced(None, Origin.DEFAULT, name, block.span, ())


def adapt_instance(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    primary = _primary_interface(props, absent_means_primary=False)
    settings = LaunchSettings(
        metadata_options=_metadata(props),
        associate_public_ip_address=primary.get_bool("AssociatePublicIpAddress"),
        security_groups=join_lists(props.get("SecurityGroupIds"), props.get("SecurityGroups"), primary.get("GroupSet")),
        subnets=as_list(props.get("SubnetId") if not primary.present else primary.get("SubnetId")),
        iam_instance_profile=props.get("IamInstanceProfile"),
        image_id=props.get("ImageId"),
        existing_primary_interface=primary.get("NetworkInterfaceId").origin is not Origin.DEFAULT,
        ipv6_addresses=_ipv6_addresses(props if not primary.present else primary),
    )
    template = _first_either(props.nested("LaunchTemplate"), "LaunchTemplateId", "LaunchTemplateName")
    yield Instance(res.name, res.type, res.name, res.span, (), ComputeKind.INSTANCE, settings, template)


def _template_settings(data: Block) -> LaunchSettings:
    primary = _primary_interface(data, absent_means_primary=True)
    profile = data.nested("IamInstanceProfile")
    return LaunchSettings(
        metadata_options=_metadata(data),
        associate_public_ip_address=primary.get_bool("AssociatePublicIpAddress"),
        security_groups=join_lists(data.get("SecurityGroupIds"), data.get("SecurityGroups"), primary.get("Groups")),
        subnets=as_list(primary.get("SubnetId")),
        iam_instance_profile=_first_either(profile, "Arn", "Name"),
        image_id=data.get("ImageId"),
        existing_primary_interface=primary.get("NetworkInterfaceId").origin is not Origin.DEFAULT,
        ipv6_addresses=_ipv6_addresses(primary),
    )


def _ipv6_addresses(block: Block) -> AnySourced:
    """The IPv6 addresses of the primary interface: a count, or the addresses listed."""
    return _first_either(block, "Ipv6AddressCount", "Ipv6Addresses")


def adapt_launch_template(res: ResourceEntry) -> Iterator[Resource]:
    settings = _template_settings(res.props.nested("LaunchTemplateData"))
    yield LaunchTemplate(res.name, res.type, res.name, res.span, res.aliases("LaunchTemplateName"), settings)


def adapt_launch_configuration(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    settings = LaunchSettings(
        # "If the parameter is not specified in the request, the default state is optional."
        metadata_options=_metadata(props, tokens_default="optional"),
        associate_public_ip_address=props.get_bool("AssociatePublicIpAddress"),
        security_groups=as_list(props.get("SecurityGroups")),
        subnets=default("SubnetId", props.span),  # the auto scaling group decides
        iam_instance_profile=props.get("IamInstanceProfile"),
        image_id=props.get("ImageId"),
        existing_primary_interface=False,
    )
    aliases = res.aliases("LaunchConfigurationName")
    yield LaunchConfiguration(res.name, res.type, res.name, res.span, aliases, settings)


def _template_ref(spec: Block) -> AnySourced:
    return _first_either(spec, "LaunchTemplateId", "LaunchTemplateName")


def adapt_autoscaling_group(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    templates: list[AnySourced] = []
    plain = props.nested("LaunchTemplate")
    if plain.present:
        templates.append(_template_ref(plain))
    mixed = props.nested("MixedInstancesPolicy").nested("LaunchTemplate")
    specs = [mixed.nested("LaunchTemplateSpecification")]
    specs += [o.nested("LaunchTemplateSpecification") for o in mixed.items("Overrides")]
    templates.extend(_template_ref(spec) for spec in specs if spec.present)
    yield AutoScalingGroup(
        res.name,
        res.type,
        res.name,
        res.span,
        res.aliases("AutoScalingGroupName"),
        tuple(templates),
        props.get("LaunchConfigurationName"),
        as_list(props.get("VPCZoneIdentifier")),
        target_groups=as_list(props.get("TargetGroupARNs")),
        load_balancers=as_list(props.get("LoadBalancerNames")),
    )


def adapt_spot_fleet(res: ResourceEntry) -> Iterator[Resource]:
    """Each launch specification and each launch template config launches instances of its own."""
    config = res.props.nested("SpotFleetRequestConfigData")
    for i, spec in enumerate(config.items("LaunchSpecifications")):
        yield _spot_specification(res, spec, i)
    yield from _template_configs(res, config, ComputeKind.SPOT_FLEET)


def _group_ids(spec: Block) -> AnySourced:
    """`SecurityGroups: [{GroupId: …}]` as a list of group ids."""
    listed = spec.get("SecurityGroups")
    if listed.origin is not Origin.EXPLICIT:
        return listed
    ids = tuple(group.get("GroupId") for group in spec.items("SecurityGroups"))
    return Sourced(ids, Origin.EXPLICIT, listed.key, listed.span, (), listed.via)


def _spot_specification(res: ResourceEntry, spec: Block, index: int) -> Instance:
    primary = _primary_interface(spec, absent_means_primary=True)
    subnet = spec.get("SubnetId") if not primary.present else primary.get("SubnetId")
    settings = LaunchSettings(
        # a spot fleet launch specification has no MetadataOptions: the account/AMI default always applies
        metadata_options=MetadataOptions(_unsettable("HttpTokens", spec), _unsettable("HttpEndpoint", spec)),
        associate_public_ip_address=primary.get_bool("AssociatePublicIpAddress"),
        security_groups=join_lists(_group_ids(spec), primary.get("Groups")),
        subnets=_subnet_list(subnet),
        iam_instance_profile=spec.nested("IamInstanceProfile").get("Arn"),
        image_id=spec.get("ImageId"),
        existing_primary_interface=primary.get("NetworkInterfaceId").origin is not Origin.DEFAULT,
    )
    address = f"{res.name}.LaunchSpecifications[{index}]"
    span = spec.span or res.span
    no_template = _unsettable("LaunchTemplate", spec)
    return Instance(address, res.type, res.name, span, (), ComputeKind.SPOT_FLEET, settings, no_template)


def _subnet_list(value: AnySourced) -> AnySourced:
    """`SubnetId: "subnet-a, subnet-b"` (a fleet takes several, comma-separated) as a list."""
    if value.origin is Origin.EXPLICIT and isinstance(value.value, str) and "," in value.value:
        parts = tuple(
            Sourced(p.strip(), Origin.EXPLICIT, value.key, value.span, (), value.via) for p in value.value.split(",")
        )
        return Sourced(parts, Origin.EXPLICIT, value.key, value.span, (), value.via)
    return as_list(value)


def adapt_ec2_fleet(res: ResourceEntry) -> Iterator[Resource]:
    yield from _template_configs(res, res.props, ComputeKind.EC2_FLEET)


def _template_configs(res: ResourceEntry, holder: Block, kind: ComputeKind) -> Iterator[Resource]:
    """Fleet members launched from a launch template; their overrides may name the subnets."""
    for i, cfg in enumerate(holder.items("LaunchTemplateConfigs")):
        spec = cfg.nested("LaunchTemplateSpecification")
        overrides = [o.get("SubnetId") for o in cfg.items("Overrides")]
        subnet_values = [s for s in overrides if s.origin is not Origin.DEFAULT]
        span = cfg.span or res.span
        subnets = (
            join_lists(*[_subnet_list(s) for s in subnet_values]) if subnet_values else _unsettable("SubnetId", cfg)
        )
        # everything else comes from the template: a config can set none of it
        settings = LaunchSettings(
            metadata_options=MetadataOptions(_unsettable("HttpTokens", cfg), _unsettable("HttpEndpoint", cfg)),
            associate_public_ip_address=_unsettable("AssociatePublicIpAddress", cfg),
            security_groups=_unsettable("SecurityGroupIds", cfg),
            subnets=subnets,
            iam_instance_profile=_unsettable("IamInstanceProfile", cfg),
            image_id=_unsettable("ImageId", cfg),
            existing_primary_interface=False,
        )
        address = f"{res.name}.LaunchTemplateConfigs[{i}]"
        yield Instance(address, res.type, res.name, span, (), kind, settings, _template_ref(spec))


def adapt_eip(res: ResourceEntry) -> Iterator[Resource]:
    props = res.props
    yield ElasticIp(
        res.name, res.type, res.name, res.span, (), props.get("InstanceId"), props.get("NetworkInterfaceId")
    )
