"""Terraform data sources that choose an image: `data "aws_ami"` and `data "aws_ssm_parameter"`.

In HCL mode neither is read: the AMI id stays unknown, while what selects it (name filters, owners, the
parameter path) is known and is what the end-of-life check reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ...model.aws import ImageLookup, Resource, SsmParameter
from ...model.values import Sourced, unknown
from .common import ResourceBlock

AnySourced = Sourced[Any]


def adapt_ami_lookup(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    patterns: list[AnySourced] = []
    for block in r.all("filter"):
        if block.get("name").value != "name":
            continue
        values = block.get("values")
        # an unknown list stays one unknown pattern: the selection is then not known
        patterns.extend(values.items() if values.known and isinstance(values.value, tuple) else (values,))
    regex = r.get("name_regex")
    if regex.explicit or not regex.known:
        patterns.append(regex)
    yield ImageLookup(
        res.address, res.type, res.name, r.span, (),
        r.get("owners").items(), tuple(patterns), r.get_bool("most_recent"),
        unknown("id", r.span), unknown("name", r.span),
    )  # fmt: skip


def adapt_ssm_parameter(res: ResourceBlock) -> Iterator[Resource]:
    r = res.reader
    yield SsmParameter(res.address, res.type, res.name, r.span, (), r.get("name"), unknown("value", r.span))
