"""Which files a scan leaves out: the config's `exclude` patterns and, by default, what git ignores.

Both use gitignore pattern syntax, matched with `pathspec` (imported only when there is a pattern to match).
`exclude` is relative to the config file's directory (the working directory without one) and applies to
every file, named or found. `.gitignore` files apply, as git applies them, inside a git repository: the
repository's `.git/info/exclude`, then each `.gitignore` from the repository root down to the file, a
deeper one overriding; they apply to what a directory walk finds, not to files named on the command line
(pre-commit names only tracked files, and a user naming a file wants it scanned).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


def spec(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


def _relative(path: Path, base: Path) -> str | None:
    try:
        rel = os.path.relpath(path, base)
    except ValueError:  # another drive
        return None
    return None if rel.startswith("..") else Path(rel).as_posix()


class PathFilter:
    def __init__(self, config: Config) -> None:
        self._root = Path(os.path.abspath(config.root or Path.cwd()))
        self._exclude = spec(config.exclude) if config.exclude else None
        self._gitignore = config.respect_gitignore
        self._specs: dict[Path, GitIgnoreSpec | None] = {}
        self._repos: dict[Path, Path | None] = {}
        self._asked: list[str] = []  # absolute, each ending with a separator

    def ask(self, directory: Path) -> None:
        """A directory named on the command line: if git ignores it, it is scanned whole anyway (as ripgrep
        searches an ignored path it is given); the `exclude` patterns still apply."""
        if self.excluded(directory, is_dir=True):
            self._asked.append(os.path.join(os.path.abspath(directory), ""))

    def excluded(self, path: Path, is_dir: bool = False, named: bool = False) -> bool:
        text = os.path.abspath(path)
        absolute = Path(text)
        if not named and self._asked:
            inside = os.path.join(text, "")
            named = any(inside.startswith(d) for d in self._asked)
        suffix = "/" if is_dir else ""
        if self._exclude is not None:
            rel = _relative(absolute, self._root)
            if rel is not None and self._exclude.match_file(rel + suffix):
                return True
        return self._gitignore and not named and self._git_ignored(absolute, suffix)

    def _git_ignored(self, path: Path, suffix: str) -> bool:
        repo = self._repo(path.parent)
        if repo is None:
            return False
        verdict: bool | None = None
        chain = [p for p in (path.parent, *path.parent.parents) if p == repo or repo in p.parents]
        for directory in reversed(chain):  # from the repository root down: a deeper file overrides
            for ignore_file in self._ignore_files(directory, repo):
                rules = self._spec(ignore_file)
                if rules is None:
                    continue
                rel = _relative(path, directory)
                result = rules.check_file(rel + suffix).include if rel is not None else None
                if result is not None:
                    verdict = result
        return bool(verdict)

    @staticmethod
    def _ignore_files(directory: Path, repo: Path) -> tuple[Path, ...]:
        own = directory / ".gitignore"
        return (repo / ".git" / "info" / "exclude", own) if directory == repo else (own,)

    def _spec(self, ignore_file: Path) -> GitIgnoreSpec | None:
        if ignore_file not in self._specs:
            try:
                lines = ignore_file.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:  # absent (the usual case) or unreadable: nothing ignored by it
                lines = []
            self._specs[ignore_file] = spec(tuple(lines)) if any(_is_rule(line) for line in lines) else None
        return self._specs[ignore_file]

    def _repo(self, directory: Path) -> Path | None:
        if directory not in self._repos:
            self._repos[directory] = next((d for d in (directory, *directory.parents) if (d / ".git").exists()), None)
        return self._repos[directory]


def _is_rule(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def covers(patterns: tuple[str, ...], root: Path | None, path: Path) -> bool:
    """Whether gitignore-style `patterns` relative to `root` match the file `path`."""
    rel = _relative(Path(os.path.abspath(path)), Path(os.path.abspath(root or Path.cwd())))
    return rel is not None and _cached_spec(patterns).match_file(rel)


@lru_cache(maxsize=64)
def _cached_spec(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    return spec(patterns)
