"""Raw EC2 launch-template JSON: the three documents the AWS CLI reads and writes.

- bare `LaunchTemplateData` (what `create-launch-template --launch-template-data file://…` takes),
- `{"LaunchTemplateData": …}` (`get-launch-template-data` output; also `create-launch-template --cli-input-json`),
- `{"LaunchTemplateVersions": […]}` (`describe-launch-template-versions` output: each version analysed).

Member names are those of botocore's ec2 `RequestLaunchTemplateData`/`ResponseLaunchTemplateData` shapes.
"""

from __future__ import annotations

from typing import Any

from .._records import record
from .json_spans import JsonNode

LAUNCH_TEMPLATE_DATA_KEYS = frozenset(
    {
        "BlockDeviceMappings", "CapacityReservationSpecification", "CpuOptions", "CreditSpecification",
        "DisableApiStop", "DisableApiTermination", "EbsOptimized", "ElasticGpuSpecifications",
        "ElasticInferenceAccelerators", "EnclaveOptions", "HibernationOptions", "IamInstanceProfile", "ImageId",
        "InstanceInitiatedShutdownBehavior", "InstanceMarketOptions", "InstanceRequirements", "InstanceType",
        "KernelId", "KeyName", "LicenseSpecifications", "MaintenanceOptions", "MetadataOptions", "Monitoring",
        "NetworkInterfaces", "NetworkPerformanceOptions", "Operator", "Placement", "PrivateDnsNameOptions",
        "RamDiskId", "SecondaryInterfaces", "SecurityGroupIds", "SecurityGroups", "TagSpecifications", "UserData",
    }
)  # fmt: skip
# `get-launch-template-data` output and `create-launch-template(-version) --cli-input-json` input
_WRAPPER_KEYS = frozenset(
    {
        "LaunchTemplateData", "LaunchTemplateName", "LaunchTemplateId", "VersionDescription", "SourceVersion",
        "ClientToken", "DryRun", "Operator", "TagSpecifications", "ResolveAlias",
    }
)  # fmt: skip
_DESCRIBE_KEYS = frozenset({"LaunchTemplateVersions", "NextToken"})


def is_launch_template(data: Any) -> bool:
    """Whether decoded JSON is one of the three launch-template documents (CloudFormation never is)."""
    if not isinstance(data, dict) or not data:
        return False
    keys = set(data)
    if "LaunchTemplateVersions" in data:
        return keys <= _DESCRIBE_KEYS and isinstance(data["LaunchTemplateVersions"], list)
    if "LaunchTemplateData" in data:
        return keys <= _WRAPPER_KEYS and isinstance(data["LaunchTemplateData"], dict)
    return keys <= LAUNCH_TEMPLATE_DATA_KEYS


@record
class LaunchTemplateDocument:
    """One launch-template data object to analyse, with what the document says about it."""

    data: JsonNode  # the LaunchTemplateData object
    name: str | None  # LaunchTemplateName, when the document has one
    version: int | None  # VersionNumber (describe output)
    default: bool  # DefaultVersion (describe output)
    shape: str  # "LaunchTemplateData" | "LaunchTemplateVersion"


def documents(root: JsonNode) -> list[LaunchTemplateDocument]:
    """The data objects of a document `is_launch_template` accepted."""
    versions = root.get("LaunchTemplateVersions")
    if versions is not None:
        found = []
        for item in versions.value if versions.is_array else []:
            data = item.get("LaunchTemplateData")
            if data is None or not data.is_object:
                continue
            number = _scalar(item, "VersionNumber")
            found.append(
                LaunchTemplateDocument(
                    data,
                    _str(item, "LaunchTemplateName") or _str(item, "LaunchTemplateId"),
                    number if isinstance(number, int) and not isinstance(number, bool) else None,
                    _scalar(item, "DefaultVersion") is True,
                    "LaunchTemplateVersion",
                )
            )
        return found
    data = root.get("LaunchTemplateData")
    if data is not None:
        return [LaunchTemplateDocument(data, _str(root, "LaunchTemplateName"), None, False, "LaunchTemplateData")]
    return [LaunchTemplateDocument(root, None, None, False, "LaunchTemplateData")]


def _scalar(node: JsonNode, key: str) -> Any:
    child = node.get(key)
    return child.value if child is not None and not (child.is_object or child.is_array) else None


def _str(node: JsonNode, key: str) -> str | None:
    value = _scalar(node, key)
    return value if isinstance(value, str) and value else None
