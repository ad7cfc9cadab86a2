"""Launch-template JSON documents: one unit per file, one `LaunchTemplate` per data object (each version).

Names: the document's `LaunchTemplateName`, else the file's path relative to the scanned directory.
Addresses add the version of a `describe-launch-template-versions` entry (`web version 3 (default)`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config
from ..diagnostics import Diagnostic
from ..parsers.launch_template import is_launch_template
from ..source import SourceFile
from . import Unit

MARKERS: tuple[str, ...] = ('"LaunchTemplateData"', '"LaunchTemplateVersions"')


def detect(data: Any) -> bool:
    return is_launch_template(data)


def unit(source: SourceFile, data: Any, config: Config) -> Unit:
    from ..adapters.launch_template import adapt_launch_template
    from ..limits import BudgetExceeded, time_budget
    from ..parsers import ParseError
    from ..parsers.json_spans import parse_json
    from ..parsers.launch_template import documents

    path = source.path
    # a describe document's patch comes with a note: versions are immutable, create a new one
    source.format = "launch-template-versions" if "LaunchTemplateVersions" in data else "json"
    result = Unit(files=[source])
    try:
        with time_budget(config.file_time_budget):
            root = parse_json(source)
    except ParseError as exc:
        result.diagnostics.append(Diagnostic(path.as_posix(), exc.line, "parse-error", exc.message))
        return result
    except BudgetExceeded as exc:
        result.diagnostics.append(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
        return result
    fallback = relative_name(path, config.roots)
    for i, doc in enumerate(documents(root)):
        name = doc.name or fallback
        address = name
        if doc.shape == "LaunchTemplateVersion":
            address = f"{name} version {doc.version if doc.version is not None else f'#{i + 1}'}"
            address += " (default)" if doc.default else ""
        result.resources.append(adapt_launch_template(source, doc, address, name))
    return result


def relative_name(path: Path, roots: tuple[Path, ...]) -> str:
    """The path relative to the deepest scanned directory holding it (a file named itself: its name)."""
    target = path.resolve()
    best: Path | None = None
    for root in roots:
        if root == target:
            return path.name
        if root in target.parents and (best is None or len(root.parts) > len(best.parts)):
            best = root
    return target.relative_to(best).as_posix() if best is not None else path.as_posix()
