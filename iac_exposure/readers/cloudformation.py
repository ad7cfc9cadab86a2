"""CloudFormation templates: `*.yaml`, `*.yml`, `*.template` (YAML or JSON) whose content is a template; `*.json`
templates come through the JSON reader's dispatcher (this module is one of its `formats()`).

A file is a template when it has `AWSTemplateFormatVersion`, or `Resources` holding `AWS::` types
(`is_cloudformation`, a pure function: the JSON formats stay disjoint). Other YAML is skipped silently, and
cheaply: a file that does not even mention `AWS` is never decoded, so cfn-lint (slow to import) is loaded only
when a template is present. A file that looks like a template but does not decode is a `parse-error`. Each
template is a unit of its own; a resource's `Metadata: {iac-exposure: {ignore: […]}}` suppresses findings.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..diagnostics import Diagnostic
from ..source import SourceFile
from . import Unit, Variant, load_source

if TYPE_CHECKING:
    from ..parsers.cloudformation import Node

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
        trim_cache(config)


def unit(source: SourceFile, data: Any, config: Config) -> Unit:
    """The unit of one template (nothing in it when the text is not a template). `data`, the document as the
    JSON reader decoded it, is not needed: the template is decoded again, with positions."""
    from ..adapters.cloudformation.template import adapt_template
    from ..limits import BudgetExceeded, time_budget
    from ..parsers import ParseError
    from ..parsers.cloudformation import to_data

    found = Unit()
    display = source.path.as_posix()
    source.format = "cfn-json" if source.text.lstrip().startswith("{") else "cfn-yaml"
    try:
        with time_budget(config.file_time_budget):
            root = _parse(source, config)
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


_uncached = False  # a template was parsed (a parse-cache miss) since the cache was last trimmed


def _parse(source: SourceFile, config: Config) -> Node:
    """The template's nodes, from the parse cache when the same text was parsed before: a hit is ~1.5x faster
    than decoding, and does not import the decoder (the patches of findings still decode their template)."""
    global _uncached
    from ..parse_cache import parse_cache
    from ..parsers.cloudformation import parse

    cache = parse_cache(config, f"cloudformation\0{_decoders()}")
    if cache is None:
        return parse(source)
    misses = cache.misses
    root = cache.get_or_parse("template", source, parse)
    _uncached = _uncached or cache.misses > misses
    return root


def trim_cache(config: Config) -> None:
    """After the templates of a scan: keep the parse cache within its bound when templates were added to it."""
    global _uncached
    from ..parse_cache import parse_cache

    cache = parse_cache(config, "cloudformation") if _uncached else None
    if cache is not None:
        cache.evict()
    _uncached = False


@functools.cache
def _decoders() -> str:
    """PyYAML's and cfn-lint's versions (what a parsed template depends on besides its text), read without
    importing them (a cache hit must not pay for that)."""
    import hashlib

    digest = hashlib.sha256()
    for package, name in (("yaml", "__init__.py"), ("cfnlint", "version.py")):
        spec = importlib.util.find_spec(package)
        try:
            digest.update(Path(spec.origin).parent.joinpath(name).read_bytes())  # type: ignore[union-attr,arg-type]
        except (OSError, AttributeError, TypeError):
            digest.update(f"no {package}".encode())
    return digest.hexdigest()


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
