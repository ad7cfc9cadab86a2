"""A scan's results stay pickled per unit (spilled to a temporary file when large) and are read back as the
report is read: the report must be the same whichever way they are held."""

from __future__ import annotations

from pathlib import Path

import pytest

from iac_exposure import results
from iac_exposure.api import Result, scan
from iac_exposure.config import Config
from iac_exposure.reporters.json import render
from iac_exposure.results import LazyResults

ROOT = Path(__file__).parent.parent


@pytest.mark.parametrize("target", ["fixtures/terraform", "fixtures"])
def test_spilled_results_read_back_the_same(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    config = Config(use_cache=False, jobs=1)
    held = scan([target], config)
    expected = render(held, show_suppressed=True)
    monkeypatch.setattr(results, "SPILL_BYTES", 1)  # every body to the temporary file
    monkeypatch.setattr(results, "_LIVE_UNITS", 1)  # and read back at every change of unit
    spilled = scan([target], config)
    assert isinstance(spilled.results, LazyResults) and len(spilled.results) > 20
    assert render(spilled, show_suppressed=True) == expected
    assert spilled.results == list(spilled.results)  # a second pass reads them again, equal


def test_lazy_results_behave_as_a_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    report = scan(["fixtures/terraform/stack"], Config(use_cache=False, jobs=1))
    found = report.results
    every = list(found)
    assert all(isinstance(r, Result) for r in every)
    assert found[0] == every[0] and found[-1] == every[-1] and found[1:3] == every[1:3]
    assert results.severities(found) == [r.finding.trait.severity.value for r in every]
    assert found != every[:-1] and found != "not results"
    with pytest.raises(IndexError):
        found[len(every)]


def test_a_body_names_the_files_it_refers_to() -> None:
    from iac_exposure.results import Bodies, body_of
    from iac_exposure.source import SourceFile, Span

    a, b = SourceFile(Path("a.tf"), "aaaa\n", "hcl"), SourceFile(Path("b.tf"), "bbbb\n", "hcl")
    body, files = body_of([], {0: None, 1: Span(a, 0, 1), 2: Span(b, 1, 2), 3: Span(a, 2, 3)})  # type: ignore[dict-item]
    assert [f.display for f in files] == ["a.tf", "b.tf"]
    bodies = Bodies(lambda path, _format: {"a.tf": a, "b.tf": b}.get(path))
    _, spans = bodies.unit(bodies.add(body))
    assert spans[1].file is a and spans[2].file is b and spans[3].file is a
