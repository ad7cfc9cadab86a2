"""Launch-template JSON → `LaunchTemplate` resources.

Values written in the document are EXPLICIT with the span of their JSON value; absent ones are DEFAULT,
anchored on the innermost object that exists, with the keys a patch must create under it. Security group
ids, subnet ids and instance profile ARNs name things outside the file: they are kept as written and the
model cannot resolve them, so nothing about those groups, subnets or roles is guessed.
"""

from __future__ import annotations

from typing import Any

from ..model.aws import LaunchSettings, LaunchTemplate, MetadataOptions
from ..model.values import Origin, Sourced, default
from ..parsers.json_spans import JsonNode
from ..parsers.launch_template import LaunchTemplateDocument
from ..source import SourceFile, Span

AnySourced = Sourced[Any]


class _Object:
    """A JSON object of the document, or an absent one (`node is None`) to be created under `anchor`."""

    def __init__(self, file: SourceFile, node: JsonNode | None, anchor: JsonNode, path: tuple[str, ...] = ()):
        self.file = file
        self.node = node
        self.anchor = anchor
        self.path = path

    def get(self, key: str) -> AnySourced:
        child = self.node.get(key) if self.node is not None else None
        if child is None or child.value is None:
            return default(key, self._span(self.anchor), *self.path, key)
        return self._sourced(key, child)

    def child(self, key: str) -> _Object:
        found = self.node.get(key) if self.node is not None else None
        if found is not None and found.is_object:
            return _Object(self.file, found, found)
        return _Object(self.file, None, self.anchor, (*self.path, key))

    def items(self, key: str) -> list[_Object]:
        found = self.node.get(key) if self.node is not None else None
        if found is None or not found.is_array:
            return []
        return [_Object(self.file, item, item) for item in found.value if item.is_object]

    def _sourced(self, key: str, node: JsonNode) -> AnySourced:
        if node.is_array:
            items = tuple(self._sourced(key, item) for item in node.value)
            return Sourced(items, Origin.EXPLICIT, key, self._span(node))
        if node.is_object:
            members = {k: self._sourced(k, v) for k, v in node.value.items()}
            return Sourced(members, Origin.EXPLICIT, key, self._span(node))
        return Sourced(node.value, Origin.EXPLICIT, key, self._span(node))

    def _span(self, node: JsonNode) -> Span:
        return Span(self.file, node.start, node.end)


def _bool(value: AnySourced) -> AnySourced:
    """`AssociatePublicIpAddress` is a JSON boolean; a string "true" (hand-written files) reads the same."""
    if value.origin is Origin.EXPLICIT and isinstance(value.value, str):
        parsed = {"true": True, "false": False}.get(value.value.strip().lower())
        return Sourced(parsed, value.origin, value.key, value.span)
    return value


def _list(*values: AnySourced) -> AnySourced:
    """Several lists naming the same kind of thing (group ids, group names, the interface's groups) as one."""
    present = [v for v in values if v.origin is not Origin.DEFAULT]
    if not present:
        return values[0]
    items = tuple(item for v in present for item in v.items())
    return Sourced(items, Origin.EXPLICIT, present[0].key, present[0].span)


def _first(*values: AnySourced) -> AnySourced:
    return next((v for v in values if v.origin is not Origin.DEFAULT), values[0])


def adapt_launch_template(file: SourceFile, doc: LaunchTemplateDocument, address: str, name: str) -> LaunchTemplate:
    data = _Object(file, doc.data, doc.data)
    metadata = data.child("MetadataOptions")
    interfaces = data.items("NetworkInterfaces")
    # the primary interface is device index 0 (an interface without DeviceIndex is taken as eth0, as AWS does)
    primary = next((ni for ni in interfaces if ni.get("DeviceIndex").value in (None, 0)), None)
    if primary is None:
        primary = _Object(file, None, doc.data, ("NetworkInterfaces",))
    profile = data.child("IamInstanceProfile")
    subnet = primary.get("SubnetId")
    settings = LaunchSettings(
        metadata_options=MetadataOptions(
            http_tokens=metadata.get("HttpTokens"), http_endpoint=metadata.get("HttpEndpoint")
        ),
        associate_public_ip_address=_bool(primary.get("AssociatePublicIpAddress")),
        security_groups=_list(data.get("SecurityGroupIds"), data.get("SecurityGroups"), primary.get("Groups")),
        subnets=Sourced((subnet,), Origin.EXPLICIT, subnet.key, subnet.span) if subnet.explicit else subnet,
        iam_instance_profile=_first(profile.get("Arn"), profile.get("Name")),
        image_id=data.get("ImageId"),
        existing_primary_interface=primary.get("NetworkInterfaceId").explicit,
    )
    span = Span(file, doc.data.start, doc.data.end)
    aliases = (doc.name,) if doc.name else ()
    return LaunchTemplate(address, doc.shape, name, span, aliases, settings)
