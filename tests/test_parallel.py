"""Worker processes: results come back in order, whatever fails in a worker is computed again here, and a
scan's output does not depend on the number of workers."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from iac_exposure import api
from iac_exposure import parallel as parallel_module
from iac_exposure.api import scan
from iac_exposure.config import Config
from iac_exposure.parallel import fork_imap, fork_map
from iac_exposure.reporters.json import to_dict
from iac_exposure.source import SourceFile, Span

ROOT = Path(__file__).parent.parent
PARENT = os.getpid()


def test_results_come_back_in_order_from_workers() -> None:
    progress: list[int] = []
    pids = fork_map(lambda i: (i, os.getpid()), list(range(9)), 3, progress.append)
    assert progress[-1] == 9 and progress == sorted(progress)
    assert [i for i, _ in pids] == list(range(9))
    assert PARENT not in {pid for _, pid in pids}, "every item was computed in a worker"
    assert len({pid for _, pid in pids}) == 3


def test_what_fails_in_a_worker_is_computed_here() -> None:
    def only_here(i: int) -> int:
        if os.getpid() != PARENT and i % 2:
            raise RuntimeError("worker")
        return i * 10

    assert fork_map(only_here, [0, 1, 2, 3], 2) == [0, 10, 20, 30]
    unpicklable = fork_map(lambda i: (lambda: i) if os.getpid() != PARENT else i, [1, 2], 2)
    assert unpicklable == [1, 2]


def test_a_worker_that_dies_is_made_up_for() -> None:
    def dies(i: int) -> int:
        if os.getpid() != PARENT and i == 1:
            os._exit(3)
        return i

    assert fork_map(dies, [0, 1, 2, 3], 2) == [0, 1, 2, 3]


def test_what_a_dying_worker_finished_before_is_kept() -> None:
    def late_death(i: int) -> tuple[int, bool]:
        if os.getpid() != PARENT and i == 5:
            os._exit(3)
        return i, os.getpid() != PARENT

    # items 1 and 3 were finished by the worker that died on 5: only 5 is computed here
    assert fork_map(late_death, list(range(6)), 2) == [
        (0, True),
        (1, True),
        (2, True),
        (3, True),
        (4, True),
        (5, False),
    ]


def test_spans_from_workers_share_one_file_object() -> None:
    file = SourceFile(Path("a.tf"), "resource {}\n", "hcl")
    spans = fork_map(lambda i: Span(file, i, i + 1), [0, 1, 2, 3], 2)
    assert spans[0].file is not file  # a copy made from the workers' results
    assert all(s.file is spans[0].file for s in spans)
    assert spans[0].file.text == file.text and spans[0].file.format == "hcl"


def test_files_this_process_holds_are_used_for_the_workers_references() -> None:
    held = SourceFile(Path("a.tf"), "resource {}\n", "hcl")
    changed = SourceFile(Path("b.tf"), "old\n", "hcl")
    files = {"a.tf": held, "b.tf": SourceFile(Path("b.tf"), "new\n", "hcl")}  # b.tf read again since
    spans = list(fork_imap(lambda i: Span([held, changed][i % 2], i, i + 1), [0, 1, 2, 3], 2, None,
                           lambda path, _format: files.get(path)))  # fmt: skip
    assert spans[0].file is held and spans[2].file is held  # no second copy of a file the parent holds
    assert spans[1].file is spans[3].file and spans[1].file.text == "old\n"  # the text the worker saw


@pytest.mark.parametrize("target", ["fixtures/terraform", "fixtures"])
def test_a_scan_reports_the_same_with_workers(target: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without the cache, parsed modules are kept for the whole scan; with it, each root's are parsed again
    from the cache (memory stays flat): the same report every way."""
    monkeypatch.chdir(ROOT)
    serial = to_dict(scan([target], Config(use_cache=False, jobs=1)))
    assert to_dict(scan([target], Config(cache_dir=tmp_path, jobs=1))) == serial
    assert to_dict(scan([target], Config(cache_dir=tmp_path, jobs=1))) == serial  # every file a cache hit
    monkeypatch.setattr(api, "PARALLEL_FROM", 1)
    tasks: list[int] = []

    def spy(func: Any, items: Any, jobs: int, done: Any = None, known: Any = None) -> Any:
        tasks.append(len(items))
        return fork_imap(func, items, jobs, done, known)

    monkeypatch.setattr(parallel_module, "fork_imap", spy)
    parallel = to_dict(scan([target], Config(use_cache=False, jobs=2)))
    assert to_dict(scan([target], Config(cache_dir=tmp_path, jobs=2))) == serial
    assert tasks and max(tasks) > 10, "the Terraform modules ran in workers"
    assert serial["findings"], "the comparison must be about something"
    assert parallel == serial
