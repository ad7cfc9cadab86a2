"""The model: every resource of a scan, with links resolved once here (never in traits)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from functools import cached_property
from typing import Any, TypeVar

from .._records import record, replace
from .aws import (
    AutoScalingGroup,
    ComputeKind,
    ElasticIp,
    IamRole,
    ImageLookup,
    InlinePolicy,
    Instance,
    InstanceProfile,
    LaunchConfiguration,
    LaunchSettings,
    LaunchTemplate,
    LoadBalancer,
    ManagedPolicy,
    MetadataOptions,
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    PolicyAttachment,
    PolicyDocument,
    Resource,
    SecurityGroup,
    SecurityGroupRule,
    SsmParameter,
    Subnet,
)
from .inspector import InspectorFinding, InspectorFindings
from .network import NetworkLinks
from .values import Origin, Ref, Sourced, unknown

R = TypeVar("R", bound=Resource)
AnySourced = Sourced[Any]


@record
class OtherResource(Resource):
    """A resource the model does not analyse, kept for the references it makes (an `aws_lb` naming SGs)."""

    references: frozenset[str]


@record
class Grant:
    """One way a role gets permissions: a managed policy ARN or a policy document."""

    holder: Resource  # where the grant is written (role, attachment, inline policy, managed policy)
    policy_arn: AnySourced | None
    document: PolicyDocument | None
    detach_item: AnySourced | None  # a list element whose removal detaches it
    detach_block: Resource | None  # a block whose removal detaches it


@record
class Image:
    """The image a launch source's instances run, as far as the files (and a plan) tell.

    Any format fills it the same way: the launch source's image setting is a literal AMI id, a
    `resolve:ssm:PATH` string (launch templates, RunInstances), a `{{resolve:ssm:PATH}}` dynamic reference
    (CloudFormation), or a `Ref` to an `ImageLookup` / `SsmParameter` resource.
    """

    setting: AnySourced  # the launch source's image attribute (`ami`, `image_id`, `ImageId`), as it has it
    ami_id: AnySourced  # the AMI id when known (written, or resolved by a plan); UNKNOWN otherwise
    name: AnySourced  # the AMI name when a plan resolved it; UNKNOWN otherwise
    name_filters: tuple[AnySourced, ...]  # the AMI name patterns a lookup selects by
    owners: tuple[AnySourced, ...]
    parameter: AnySourced  # the SSM parameter path it resolves through (value: the path); UNKNOWN if none
    lookup: Resource | None  # the data source / parameter declaration that selects it
    findings: tuple[InspectorFinding, ...]  # Inspector findings on the AMI id
    platforms: tuple[str, ...]  # Inspector `platform` values of instances running the AMI


@record
class Compute:
    """A resource that launches instances, with its effective settings and resolved links."""

    resource: Resource
    kind: ComputeKind
    settings: LaunchSettings
    template: Resource | None  # the launch template / configuration the settings come from
    security_groups: tuple[SecurityGroup, ...]
    security_groups_known: bool  # every group it names is in the model
    subnets: tuple[Subnet, ...]
    subnets_known: bool
    default_vpc: bool  # no subnet at all: a default subnet of the default VPC
    network_acls: tuple[NetworkAcl, ...]
    elastic_ips: tuple[ElasticIp, ...]
    profile: InstanceProfile | None
    role: IamRole | None
    image: Image | None = None  # None: the launch source names no image (a template left to its users)

    @property
    def patch_target(self) -> Resource:
        """Where launch settings are fixed: the template for its members, never an auto scaling group."""
        return self.template or self.resource


class Model:
    def __init__(self, resources: Iterable[Resource], inspector: InspectorFindings | None = None) -> None:
        self.inspector = inspector or InspectorFindings()
        self.resources: dict[str, Resource] = {}
        for res in resources:
            self.resources.setdefault(res.address, res)
        self._by_type: dict[type, list[Resource]] = defaultdict(list)
        for res in self.resources.values():
            self._by_type[type(res)].append(res)
        # a block whose instances (count/for_each) differ is one resource per instance (`aws_x.y["k"]`);
        # a reference to the block without a key names them all
        self._instances: dict[str, list[Resource]] = defaultdict(list)
        for res in self.resources.values():
            block = _INSTANCE_KEY.sub("", res.address)
            if block != res.address:
                self._instances[block].append(res)
        self._aliases: dict[tuple[type, str], Resource] = {}
        for res in self.resources.values():
            for alias in res.aliases:
                self._aliases.setdefault((type(res), alias), res)
        self.rules_of: dict[str, list[SecurityGroupRule]] = defaultdict(list)
        self.standalone_rules: list[SecurityGroupRule] = []
        for rule in self.of_type(SecurityGroupRule):
            group, _ = self.resolve(rule.security_group, SecurityGroup)
            if group is not None:
                self.rules_of[group.address].append(rule)
            else:
                self.standalone_rules.append(rule)
        self.entries_of: dict[str, list[NetworkAclEntry]] = defaultdict(list)
        for entry in self.of_type(NetworkAclEntry):
            acl, _ = self.resolve(entry.network_acl, NetworkAcl)
            if acl is not None:
                self.entries_of[acl.address].append(entry)
        self.acls_of_subnet: dict[str, list[NetworkAcl]] = defaultdict(list)
        self.subnets_of_acl: dict[str, list[Subnet]] = defaultdict(list)
        for acl in self.of_type(NetworkAcl):
            for item in acl.subnets.items():
                self._associate(acl, item)
        for assoc in self.of_type(NetworkAclAssociation):
            acl, _ = self.resolve(assoc.network_acl, NetworkAcl)
            if acl is not None:
                self._associate(acl, assoc.subnet)
        self.referenced_by_others: set[str] = set()
        for other in self.of_type(OtherResource):
            for address in other.references:
                self.referenced_by_others.add(address)
                self.referenced_by_others.update(r.address for r in self.addressed(address))
        for lb in self.of_type(LoadBalancer):  # a group guarding a load balancer is not an EC2 exposure
            for group in self.resolve_all(lb.security_groups, SecurityGroup)[0]:
                self.referenced_by_others.add(group.address)
        self.compute: tuple[Compute, ...] = tuple(self._link_compute())

    @cached_property
    def network(self) -> NetworkLinks:
        """Routes, gateways, network ACLs and load balancer paths, resolved on first use."""
        return NetworkLinks(self)

    # -- lookups -------------------------------------------------------------------------------------

    def addressed(self, address: str) -> list[Resource]:
        """What a reference by address names: the resource; the block of an instance (`aws_x.y[0]` when its
        instances are one resource); or every instance of a block whose instances differ."""
        found = self.resources.get(address)
        if found is not None:
            return [found]
        block = _INSTANCE_KEY.sub("", address)
        if block != address and block in self.resources:
            return [self.resources[block]]
        return self._instances.get(block, [])

    def of_type(self, cls: type[R]) -> list[R]:
        return self._by_type.get(cls, [])  # type: ignore[return-value]

    def resolve(self, value: AnySourced, cls: type[R] | tuple[type[R], ...]) -> tuple[R | None, bool]:
        """(resource, known): (None, True) when unset; (None, False) when it names something unknown."""
        classes = cls if isinstance(cls, tuple) else (cls,)
        ref = value.value
        if value.origin is Origin.UNKNOWN:
            return None, False
        if ref is None:
            return None, True
        if isinstance(ref, Ref):
            found = next(iter(self.addressed(ref.address)), None)
            if isinstance(found, classes):
                return found, True
            return None, False
        if isinstance(ref, str):
            for klass in classes:
                hit = self._aliases.get((klass, ref)) or self._aliases.get((klass, _arn_name(ref)))
                if hit is not None:
                    return hit, True  # type: ignore[return-value]
        return None, False

    def resolve_all(self, value: AnySourced, cls: type[R]) -> tuple[list[R], bool]:
        found: list[R] = []
        known = value.known
        for item in value.items():
            res, ok = self.resolve(item, cls)
            known = known and ok
            ref = item.value
            every = [r for r in self.addressed(ref.address) if isinstance(r, cls)] if isinstance(ref, Ref) else [res]
            for one in every:
                if one is not None and one not in found:
                    found.append(one)
        return found, known

    def rules(self, group: SecurityGroup) -> list[SecurityGroupRule]:
        return self.rules_of.get(group.address, [])

    def acl_entries(self, acl: NetworkAcl) -> list[NetworkAclEntry]:
        return self.entries_of.get(acl.address, [])

    def compute_using_group(self, group: SecurityGroup) -> list[Compute]:
        return [c for c in self.compute if group in c.security_groups]

    def compute_using_acl(self, acl: NetworkAcl) -> list[Compute]:
        return [c for c in self.compute if acl in c.network_acls]

    def compute_with_role(self, role: IamRole) -> list[Compute]:
        return [c for c in self.compute if c.role is role]

    def grants(self, role: IamRole) -> Iterator[Grant]:
        """Every policy the role holds, wherever it is written."""
        for arn in role.managed_policy_arns:
            yield from self._managed(role, arn, detach_item=arn, detach_block=None)
        for inline in role.inline_policies:
            yield Grant(inline, None, inline.document, None, inline)
        for policy in self.of_type(InlinePolicy):
            found, _ = self.resolve(policy.role, IamRole)
            if found is role:
                yield Grant(policy, None, policy.document, None, policy)
        for att in self.of_type(PolicyAttachment):
            roles = att.roles.items()
            arns = att.policy_arns.items()
            for item in roles:
                if self.resolve(item, IamRole)[0] is not role:
                    continue
                for arn in arns:
                    if att.arn_list:
                        yield from self._managed(att, arn, detach_item=arn, detach_block=None)
                    elif len(roles) > 1:
                        yield from self._managed(att, arn, detach_item=item, detach_block=None)
                    else:
                        yield from self._managed(att, arn, detach_item=None, detach_block=att)
        for managed in self.of_type(ManagedPolicy):
            for item in managed.roles:
                found, _ = self.resolve(item, IamRole)
                if found is role:
                    detach_item = item if len(managed.roles) > 1 else None
                    yield Grant(managed, None, managed.document, detach_item, None if detach_item else managed)

    def _managed(
        self, holder: Resource, arn: AnySourced, detach_item: AnySourced | None, detach_block: Resource | None
    ) -> Iterator[Grant]:
        policy, _ = self.resolve(arn, ManagedPolicy)
        if policy is not None:
            yield Grant(holder, None, policy.document, detach_item, detach_block)
        else:
            yield Grant(holder, arn, None, detach_item, detach_block)

    def ec2_trusted(self, role: IamRole) -> bool:
        doc = role.assume_role_policy
        if doc is None:
            return False
        for st in doc.statements:
            if str(st.effect.value).lower() != "allow":
                continue
            if any(str(p.value).lower().startswith("ec2.amazonaws.com") for p in st.principals):
                return True
        return False

    # -- linking ---------------------------------------------------------------------------------------

    def _associate(self, acl: NetworkAcl, subnet_value: AnySourced) -> None:
        subnet, _ = self.resolve(subnet_value, Subnet)
        if subnet is not None:
            self.acls_of_subnet[subnet.address].append(acl)
            self.subnets_of_acl[acl.address].append(subnet)

    def _link_compute(self) -> Iterator[Compute]:
        for inst in self.of_type(Instance):
            template, known = self.resolve(inst.launch_template, LaunchTemplate)
            settings = inst.settings
            if template is not None or not known:
                settings = _inherit(settings, template.settings if template else None)
            yield self._compute(inst, inst.kind, settings, template)
        for lt in self.of_type(LaunchTemplate):
            yield self._compute(lt, ComputeKind.LAUNCH_TEMPLATE, lt.settings, None, launched=False)
        for lc in self.of_type(LaunchConfiguration):
            yield self._compute(lc, ComputeKind.LAUNCH_CONFIGURATION, lc.settings, None, launched=False)
        for asg in self.of_type(AutoScalingGroup):
            sources: list[tuple[Resource | None, LaunchSettings | None]] = []
            for ref in (*asg.launch_templates, asg.launch_configuration):
                if ref.origin is Origin.DEFAULT:
                    continue
                src, _ = self.resolve(ref, (LaunchTemplate, LaunchConfiguration))
                sources.append((src, src.settings if isinstance(src, (LaunchTemplate, LaunchConfiguration)) else None))
            for src, base in sources:
                if base is None:
                    continue  # a template outside the scanned files: nothing is known of its settings
                settings = replace(base, subnets=asg.subnets) if asg.subnets.origin is not Origin.DEFAULT else base
                yield self._compute(asg, ComputeKind.AUTOSCALING_GROUP, settings, src)

    def _compute(
        self,
        res: Resource,
        kind: ComputeKind,
        settings: LaunchSettings,
        template: Resource | None,
        launched: bool = True,
    ) -> Compute:
        groups, groups_known = self.resolve_all(settings.security_groups, SecurityGroup)
        if settings.security_groups.origin is Origin.DEFAULT and launched:
            groups = [g for g in self.of_type(SecurityGroup) if g.is_default]
        subnets, subnets_known = self.resolve_all(settings.subnets, Subnet)
        # a template alone does not decide the subnet: the launch does
        default_vpc = launched and settings.subnets.origin is Origin.DEFAULT
        acls: list[NetworkAcl] = []
        for subnet in subnets:
            for acl in self.acls_of_subnet.get(subnet.address, []):
                if acl not in acls:
                    acls.append(acl)
        eips = [e for e in self.of_type(ElasticIp) if self.resolve(e.instance, Instance)[0] is res]
        profile, _ = self.resolve(settings.iam_instance_profile, InstanceProfile)
        role = self.resolve(profile.role, IamRole)[0] if profile is not None else None
        return Compute(
            res, kind, settings, template, tuple(groups), groups_known, tuple(subnets), subnets_known,
            default_vpc, tuple(acls), tuple(eips), profile, role, self._image(settings.image_id),
        )  # fmt: skip

    def _image(self, setting: AnySourced) -> Image | None:
        if setting.origin is Origin.DEFAULT:
            return None
        none = unknown(setting.key, setting.span)
        ami_id, name, parameter = none, none, none
        filters: tuple[AnySourced, ...] = ()
        owners: tuple[AnySourced, ...] = ()
        lookup: Resource | None = None
        value = setting.value
        if setting.known and isinstance(value, str):
            path = ssm_path(value)
            if path is not None:
                parameter = Sourced(path, setting.origin, setting.key, setting.span, (), setting.via)
            elif value.startswith("ami-"):
                ami_id = setting
        elif setting.known and isinstance(value, Ref):
            lookup = self.resources.get(value.address)
            if isinstance(lookup, ImageLookup):
                ami_id, name, filters, owners = lookup.image_id, lookup.image_name, lookup.name_filters, lookup.owners
            elif isinstance(lookup, SsmParameter):
                parameter = lookup.path
                if isinstance(lookup.value.value, str) and lookup.value.value.startswith("ami-"):
                    ami_id = lookup.value
            else:
                lookup = None  # an AMI built or copied in the same configuration: nothing known of it
        found = self.inspector.by_image.get(ami_id.value, ()) if isinstance(ami_id.value, str) else ()
        platforms = self.inspector.platforms.get(ami_id.value, ()) if isinstance(ami_id.value, str) else ()
        return Image(setting, ami_id, name, filters, owners, parameter, lookup, found, platforms)


def ssm_path(value: str) -> str | None:
    """The parameter path of `resolve:ssm:PATH[:version]` or `{{resolve:ssm:PATH[:version|label]}}`."""
    text = value.strip()
    if text.startswith("{{") and text.endswith("}}"):
        text = text[2:-2].strip()
    if not text.startswith("resolve:ssm:"):
        return None
    rest = text[len("resolve:ssm:") :]
    if rest.startswith("arn:"):  # arn:aws:ssm:REGION:ACCOUNT:parameter/PATH
        _, _, rest = rest.partition(":parameter")
    path = rest.split(":", 1)[0]  # parameter names cannot hold ':'; what follows is a version or label
    return path or None


_INSTANCE_KEY = re.compile(r'\[(?:\d+|"(?:[^"\\]|\\.)*")\]$')  # the last key: the instance of a resource


def _arn_name(value: str) -> str:
    """`arn:aws:iam::1:instance-profile/web` → `web`; other strings unchanged."""
    if value.startswith("arn:"):
        return value.rsplit("/", 1)[-1]
    return value


def _inherit(own: LaunchSettings, base: LaunchSettings | None) -> LaunchSettings:
    """An instance's own settings override its template's; an unknown template makes unset ones unknown."""

    def pick(mine: AnySourced, theirs: AnySourced | None) -> AnySourced:
        if mine.origin is not Origin.DEFAULT:
            return mine
        if theirs is None:
            return unknown(mine.key, mine.span)
        return theirs

    theirs_md = base.metadata_options if base else None
    return LaunchSettings(
        metadata_options=MetadataOptions(
            http_tokens=pick(own.metadata_options.http_tokens, theirs_md.http_tokens if theirs_md else None),
            http_endpoint=pick(own.metadata_options.http_endpoint, theirs_md.http_endpoint if theirs_md else None),
        ),
        # both unset: keep the instance's own default, so the patch lands on the instance
        associate_public_ip_address=(
            own.associate_public_ip_address
            if base is not None and base.associate_public_ip_address.origin is Origin.DEFAULT
            else pick(own.associate_public_ip_address, base.associate_public_ip_address if base else None)
        ),
        security_groups=pick(own.security_groups, base.security_groups if base else None),
        subnets=pick(own.subnets, base.subnets if base else None),
        iam_instance_profile=pick(own.iam_instance_profile, base.iam_instance_profile if base else None),
        image_id=pick(own.image_id, base.image_id if base else None),
        existing_primary_interface=own.existing_primary_interface
        or (base.existing_primary_interface if base else False),
        ipv6_addresses=pick(own.ipv6_addresses, base.ipv6_addresses if base else None),
    )
