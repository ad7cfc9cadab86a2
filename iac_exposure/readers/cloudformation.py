"""CloudFormation templates: `*.yaml`, `*.yml`, `*.json`, `*.template` whose content is a template.

A file is a template when it has `AWSTemplateFormatVersion`, or `Resources` holding `AWS::` types
(`is_cloudformation`, a pure function other JSON readers call to stay disjoint). Other YAML and JSON is skipped
silently, and cheaply: a file that does not even mention `AWS` is never decoded, so cfn-lint (slow to import)
is loaded only when a template is present. A file that looks like a template but does not decode is a
`parse-error`. Each template is a unit of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..config import Config
from ..diagnostics import Diagnostic
from ..source import SourceFile
from . import Unit, Variant, read_text

SUFFIXES = (".yaml", ".yml", ".json", ".template")
# a file that mentions neither is not decoded at all
_MENTIONS = ("AWSTemplateFormatVersion", "AWS::")
# for a JSON reader that dispatches on content: what makes an undecodable JSON file look like a template
MARKERS = ('"AWSTemplateFormatVersion"', '"AWS::')
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
            text = read_text(path, failed)
            if text is None:
                yield failed
            elif any(mention in text for mention in _MENTIONS):
                found = unit(path, text, None, config)
                if found.files or found.diagnostics:
                    yield found


def unit(path: Path, text: str, data: Any, config: Config) -> Unit:
    """The unit of one template (nothing in it when the text is not a template)."""
    from ..adapters.cloudformation.template import adapt_template
    from ..parsers import ParseError
    from ..parsers.cloudformation import parse, to_data

    found = Unit()
    kind = "cfn-json" if text.lstrip().startswith("{") else "cfn-yaml"
    source = SourceFile(path, text, kind)
    try:
        root = parse(source)
    except ParseError as exc:
        if _LOOKS_LIKE.search(text):
            found.files.append(source)
            found.diagnostics.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
        return found
    if not is_cloudformation(to_data(root, depth=4)):
        return found
    found.files.append(source)
    readings = adapt_template(root, dict(config.parameters))
    if len(readings) == 1:
        found.resources = readings[0][1]
    else:
        found.variants = [
            Variant(tuple((f"condition {name}", "true" if value else "false") for name, value in assumed.items()),
                    resources)
            for assumed, resources in readings
        ]  # fmt: skip
    return found


READER = CloudFormationReader()
