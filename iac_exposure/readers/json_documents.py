"""JSON files: each read and decoded once, then handed to the one format that recognises its content.

Several input formats are JSON (Terraform plans, launch-template documents, CloudFormation templates), and
`discover` gives a file to the first reader that claims it; so one reader claims `*.json` and dispatches on
content to the formats of `formats()`. Each format module offers a pure `detect(data)`, the `MARKERS` that
make a file that does not decode look like it, and `unit(source, data, config)`. Detections are
disjoint (a plan has `format_version`, a template `AWSTemplateFormatVersion`/`Resources`, a launch template
only launch-template keys). A JSON document no format recognises is skipped silently; a file that does not
decode but mentions a format's markers is a parse error.

CloudFormation JSON plugs in the same way (`readers/cloudformation.py` is one of `formats()`), while the
CloudFormation reader itself claims only `.yaml`/`.yml`/`.template`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from ..config import Config
from ..diagnostics import Diagnostic
from ..limits import BudgetExceeded, time_budget
from ..source import SourceFile
from . import Unit, load_source

# Terraform's own JSON syntax and variable files are not documents of these formats
_NOT_OURS = (".tf.json", ".tfvars.json")


class JsonFormat(Protocol):
    MARKERS: tuple[str, ...]

    def detect(self, data: Any) -> bool: ...

    def unit(self, source: SourceFile, data: Any, config: Config) -> Unit:
        """The unit of a file `detect` accepted (`source.format` is the format's to set)."""


def formats() -> tuple[JsonFormat, ...]:
    from . import cloudformation, launch_template, terraform_plan

    return (terraform_plan, launch_template, cloudformation)


class JsonReader:
    name = "json"

    def claims(self, path: Path) -> bool:
        return path.suffix == ".json" and not path.name.endswith(_NOT_OURS)

    def units(self, paths: list[Path], config: Config) -> Iterator[Unit]:
        from . import cloudformation

        available = formats()
        for path in paths:
            failed = Unit()
            source = load_source(path, failed, config, "json")
            if source is None:
                yield failed
                continue
            text = source.text
            try:
                with time_budget(config.file_time_budget):
                    data = json.loads(text)
            except BudgetExceeded as exc:
                failed.diagnostics.append(Diagnostic(path.as_posix(), None, "too-slow", f"parsing {exc}"))
                yield failed
                continue
            except (ValueError, RecursionError) as exc:
                if any(marker in text for fmt in available for marker in fmt.MARKERS):
                    line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
                    failed.diagnostics.append(Diagnostic(path.as_posix(), line, "parse-error", str(exc)))
                    yield failed
                continue
            for fmt in available:
                if fmt.detect(data):
                    yield fmt.unit(source, data, config)
                    break
        cloudformation.trim_cache(config)


READER = JsonReader()
