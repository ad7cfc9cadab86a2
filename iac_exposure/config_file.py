"""Config files: `[tool.iac-exposure]` in `pyproject.toml`, or `.iac-exposure.toml` (top-level keys).

Found by walking up from the scanned path to the root of its git repository (a directory holding `.git`)
or of the filesystem; in one directory `.iac-exposure.toml` wins over `pyproject.toml`, and a
`pyproject.toml` without the table is passed over. Validated with pydantic, imported only when a file is
found: an unknown key or a bad value is an error naming the file and the key. Relative paths and patterns
in the file are relative to its directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ._records import replace
from .config import Config
from .suppressions import ResourceIgnore, Suppression

NAMES = (".iac-exposure.toml", "pyproject.toml")
TABLE = "tool.iac-exposure"


class ConfigError(Exception):
    """A config file that cannot be used; the message names the file and the key."""


def find(paths: Iterable[str]) -> Path | None:
    """The config file governing the scanned paths: the nearest one above their common directory."""
    absolute = [os.path.abspath(p) for p in paths] or [os.getcwd()]
    directory = Path(os.path.commonpath(absolute))
    if not directory.is_dir():
        directory = directory.parent
    for current in (directory, *directory.parents):
        for name in NAMES:
            candidate = current / name
            if candidate.is_file() and (name != "pyproject.toml" or _has_table(candidate)):
                return candidate
        if (current / ".git").exists():  # the repository root (a worktree or submodule has a .git file)
            return None
    return None


def _has_table(pyproject: Path) -> bool:
    # cheap textual test first: most pyproject.toml files have no such table and need no TOML parse
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "iac-exposure" in text and _table(_parse(pyproject, text), pyproject) is not None


def _shown(path: Path) -> str:
    from .api import display_path

    return display_path(path).as_posix()


def _parse(path: Path, text: str) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_shown(path)}: not valid TOML: {exc}") from None


def _table(document: dict[str, Any], path: Path) -> dict[str, Any] | None:
    if path.name != "pyproject.toml":
        return document
    table = document.get("tool", {}).get("iac-exposure")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"{_shown(path)}: [{TABLE}] must be a table")
    return table


def load(path: Path) -> Config:
    """The settings of the config file at `path` (defaults for what it does not set)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{_shown(path)}: cannot read: {exc}") from None
    table = _table(_parse(path, text), path)
    if table is None:
        raise ConfigError(f"{_shown(path)}: no [{TABLE}] table")
    return _validated(table, path)


def _validated(table: dict[str, Any], path: Path) -> Config:
    from pydantic import ValidationError

    from .config_model import FileSettings

    shown = _shown(path)
    where = f"{shown}: [{TABLE}]" if path.name == "pyproject.toml" else f"{shown}:"
    try:
        settings = FileSettings.model_validate(table)
    except ValidationError as exc:
        lines = [_describe(error) for error in exc.errors()]
        raise ConfigError(f"{where} " + ("\n  ".join(["invalid settings:", *lines]) if len(lines) > 1 else lines[0]))
    root = Path(os.path.abspath(path.parent))
    given = settings.model_fields_set
    values: dict[str, Any] = {name: getattr(settings, name) for name in given & _PLAIN}
    if "select" in given:
        values["select"] = frozenset(settings.select)
    if "ignore" in given:
        values["ignore"] = frozenset(settings.ignore)
    if "trusted_cidrs" in given:
        values["trusted_cidrs"] = tuple(settings.trusted_cidrs)
    if "exclude" in given:
        values["exclude"] = tuple(settings.exclude)
    if "vulnerabilities" in given:
        missing = [f for f in settings.vulnerabilities if not (root / f).is_file()]
        if missing:
            raise ConfigError(f"{where} vulnerabilities: no such file: {missing[0]} (relative to {root})")
        values["vulnerability_files"] = tuple(str(root / f) for f in settings.vulnerabilities)
    if "exposures" in given:
        from .exposures import ExposureTable
        from .traits import by_id

        try:
            values["exposure_table"] = ExposureTable.from_mapping(settings.exposures, set(by_id()))
        except ValueError as exc:
            raise ConfigError(f"{where} {exc}") from None
    values["resource_ignores"] = tuple(
        ResourceIgnore(e.resource, tuple(e.paths),
                       Suppression(tuple(e.traits), e.reason.strip(), e.until, "config", shown, None))
        for e in settings.per_resource_ignores
    )  # fmt: skip
    return replace(Config(), root=root, source=path, **values)


_PLAIN = {"fail_on", "imds_account_default", "epss_threshold", "respect_gitignore", "suppression_reason"}


def _describe(error: Any) -> str:
    """One pydantic error as `key: problem (got value)`, with a did-you-mean for unknown keys."""
    from .config_model import FileSettings, ResourceIgnoreSettings

    loc = error["loc"]
    parts = [str(p) if isinstance(p, str) else f"[{p}]" for p in loc]
    key = "".join(p if p.startswith("[") or not i else f".{p}" for i, p in enumerate(parts)) or "(top level)"
    if error["type"] == "extra_forbidden":
        model = ResourceIgnoreSettings if "per-resource-ignores" in loc[:-1] else FileSettings
        keys = sorted(model.keys())
        import difflib

        close = difflib.get_close_matches(str(loc[-1]), keys, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(keys)})"
        return f"{key}: unknown key{hint}"
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    shown = error.get("input")
    got = "" if error["type"] == "missing" or isinstance(shown, dict) else f" (got {shown!r})"
    return f"{key}: {message}{got}"
