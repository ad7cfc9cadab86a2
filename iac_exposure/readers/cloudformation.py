"""CloudFormation templates: `*.yaml`, `*.yml`, `*.template` (YAML or JSON) whose content is a template; `*.json`
templates come through the JSON reader's dispatcher (this module is one of its `formats()`).

A file is a template when it has `AWSTemplateFormatVersion`, or `Resources` holding `AWS::` types
(`is_cloudformation`, a pure function: the JSON formats stay disjoint). Other YAML is skipped silently, and
cheaply: a file that does not even mention `AWS` is never decoded, so cfn-lint (slow to import) is loaded only
when a template is present. A file that looks like a template but does not decode is a `parse-error`. Each
template is a unit of its own; a resource's `Metadata: {iac-exposure: {ignore: […]}}` suppresses findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import Config
from ..diagnostics import Diagnostic
from ..source import SourceFile
from . import Unit, Variant, load_source

SUFFIXES = (".yaml", ".yml", ".template")
# a file that mentions neither is not decoded at all
_MENTIONS = ("AWSTemplateFormatVersion", "AWS::")
# for the JSON reader: what makes an undecodable JSON file look like a template
MARKERS: tuple[str, ...] = ('"AWSTemplateFormatVersion"', '"Resources"')
_LOOKS_LIKE = re.compile(
    r"""^\s*["']?AWSTemplateFormatVersion["']?\s*:|["']?Type["']?\s*:\s*["']?AWS::""", re.MULTILINE
)


def is_cloudformation(data: Any) -> bool:
    """Whether decoded YAML/JSON is a CloudFormation template (SAM templates included)."""
    if not isinstance(data, dict):
        return False
    if "AWSTemplateFormatVersion" in data:
        return True
    resources = data.get("Resources")
    if not isinstance(resources, dict):
        return False
    return any(
        isinstance(r, dict) and isinstance(r.get("Type"), str) and r["Type"].startswith("AWS::")
        for r in resources.values()
    )


def detect(data: Any) -> bool:
    return is_cloudformation(data)


class CloudFormationReader:
    name = "cloudformation"

    def claims(self, path: Path) -> bool:
        return path.suffix in SUFFIXES

    def units(self, paths: list[Path], config: Config) -> Iterator[Unit]:
        for path in paths:
            failed = Unit()
            source = load_source(path, failed, config, "cfn-yaml")
            if source is None:
                yield failed
            elif any(mention in source.text for mention in _MENTIONS):
                found = unit(source, None, config)
                if found.files or found.diagnostics:
                    yield found


def unit(source: SourceFile, data: Any, config: Config) -> Unit:
    """The unit of one template (nothing in it when the text is not a template). `data`, the document as the
    JSON reader decoded it, is not needed: the template is decoded again, with positions."""
    from ..adapters.cloudformation.template import adapt_template
    from ..limits import BudgetExceeded, time_budget
    from ..parsers import ParseError
    from ..parsers.cloudformation import parse, to_data

    found = Unit()
    display = source.path.as_posix()
    source.format = "cfn-json" if source.text.lstrip().startswith("{") else "cfn-yaml"
    try:
        with time_budget(config.file_time_budget):
            root = parse(source)
            if not is_cloudformation(to_data(root, depth=4)):
                return found
            readings = adapt_template(root, dict(config.parameters))
    except ParseError as exc:
        if _LOOKS_LIKE.search(source.text):
            found.files.append(source)
            found.diagnostics.append(Diagnostic(display, exc.line, "parse-error", exc.message))
        return found
    except BudgetExceeded as exc:
        found.files.append(source)
        found.diagnostics.append(Diagnostic(display, None, "too-slow", f"parsing {exc}"))
        return found
    found.files.append(source)
    found.suppressions = _suppressions(root, display)
    if len(readings) == 1:
        found.resources = readings[0][1]
    else:
        found.variants = [
            Variant(tuple((f"condition {name}", "true" if value else "false") for name, value in assumed.items()),
                    resources)
            for assumed, resources in readings
        ]  # fmt: skip
    return found


def _suppressions(root: Any, display: str) -> dict[str, list[Any]]:
    """`Metadata: {iac-exposure: {ignore: […]}}` of each resource, by logical id (its addresses start with it)."""
    from ..parsers.cloudformation import to_data
    from ..suppressions import from_metadata

    out: dict[str, list[Any]] = {}
    resources = root.mapping.get("Resources")
    for name, node in (resources.mapping if resources is not None else {}).items():
        metadata = node.mapping.get("Metadata")
        if metadata is not None:
            found = from_metadata(to_data(metadata), display, metadata.entry.start_line)
            if found:
                out[name] = found
    return out


READER = CloudFormationReader()
