"""Diffs built from edit positions: `git apply` of the diff gives exactly the edited text."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iac_exposure.patches.edits import Edit, apply_edits, edits_diff
from iac_exposure.source import SourceFile

LINE = st.text(alphabet='ab \t="{}\r\u00e9', max_size=8)


@st.composite
def text_and_edits(draw):  # type: ignore[no-untyped-def]
    lines = draw(st.lists(LINE, max_size=40))
    text = "\n".join(lines) + draw(st.sampled_from(["", "\n"]))
    file = SourceFile(Path("f.tf"), text)
    edits = []
    for _ in range(draw(st.integers(0, 6))):
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, min(len(text), start + draw(st.integers(0, 30)))))
        new = draw(st.sampled_from(["", "x", "x\n", "\n", "  y = 1\n", "z\nw", "\n\n"]))
        edits.append(Edit(file, start, end, new))
    return file, edits


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text_and_edits())
def test_git_apply_of_the_diff_gives_the_edited_text(case) -> None:  # type: ignore[no-untyped-def]
    file, edits = case
    expected, _ = apply_edits(file.text, edits)
    diff = edits_diff(file, edits)
    if expected == file.text:
        return  # edits that change nothing may still produce a (harmless) diff
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "f.tf").write_bytes(file.text.encode())
        subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=tmp, check=True, capture_output=True)
        assert (Path(tmp) / "f.tf").read_bytes().decode() == expected


def test_a_change_in_a_large_file_only_reads_the_lines_it_touches() -> None:
    text = "".join(f'resource "x" "r{i}" {{\n  a = {i}\n}}\n' for i in range(200_000))
    file = SourceFile(Path("big.tf"), text)
    at = text.index('"r150000"')
    diff = edits_diff(file, [Edit(file, at, at + 9, '"fixed"')])
    assert diff.count("\n") == 11  # two file headers, one hunk header, 3 + 3 context lines, - and +
    assert '-resource "x" "r150000" {\n+resource "x" "fixed" {\n' in diff
    assert "@@ -449998,7 +449998,7 @@" in diff


def test_an_edit_that_changes_nothing_adds_no_hunk(tmp_path: Path) -> None:
    """Found by the property test: an empty insertion at the end made a context-only hunk git rejected."""
    text = "\n\n=\n=\n=\n=\n==\n==\n==\n===\n=====\n======\n======\n======\n========\n========\n"
    file = SourceFile(Path("f.tf"), text)
    diff = edits_diff(file, [Edit(file, 0, 0, "x"), Edit(file, len(text), len(text), "")])
    assert diff.count("@@ ") == 1
    (tmp_path / "f.tf").write_text(text)
    subprocess.run(["git", "apply", "-"], input=diff.encode(), cwd=tmp_path, check=True, capture_output=True)
    assert (tmp_path / "f.tf").read_text() == "x" + text


@given(st.text(alphabet="ab\n\r\u2028", max_size=60))
def test_line_starts_are_after_each_line_feed(text: str) -> None:
    file = SourceFile(Path("f.tf"), text)
    assert list(file.line_starts()) == [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for offset in range(len(text) + 1):
        assert file.line_of(offset) == text.count("\n", 0, offset) + 1
