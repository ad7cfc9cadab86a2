"""The result cache: a root module's stored result is reused only while every input it read is unchanged.

Each invalidation test changes one kind of input the analysis depends on (a file of a called module, a new
file in a module directory, a variables file, a `file()` target, `modules.json`, the configuration) and
checks that the cached scan then agrees with a scan without any cache, and that the change did change the
findings (so a cache that ignored the change would fail the test).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from iac_exposure import result_cache
from iac_exposure.api import scan
from iac_exposure.config import Config
from iac_exposure.reporters.json import render

EXAMPLE = Path(__file__).parent.parent / "fixtures" / "terraform_modules_example"


class Counting:
    """Counts the stored results a scan reuses and the results it stores."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hits = self.puts = 0
        get, put = result_cache.ResultCache.get, result_cache.ResultCache.put

        def counted_get(cache: result_cache.ResultCache, key: str, reuse: Any, load: bool = True) -> Any:
            value = get(cache, key, reuse, load)
            self.hits += load and value is not None  # a check before the load is not a second hit
            return value

        def counted_put(cache: result_cache.ResultCache, key: str, inputs: Any, value: Any) -> None:
            self.puts += 1
            put(cache, key, inputs, value)

        monkeypatch.setattr(result_cache.ResultCache, "get", counted_get)
        monkeypatch.setattr(result_cache.ResultCache, "put", counted_put)

    def reset(self) -> None:
        self.hits = self.puts = 0


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(EXAMPLE, tmp_path / "repo")
    monkeypatch.chdir(tmp_path / "repo")
    return tmp_path / "repo"


def report(paths: list[str], cache: Path | None, **settings: Any) -> str:
    config = Config(cache_dir=cache, use_cache=cache is not None, **{"jobs": 1, **settings})
    return render(scan(paths, config))


def test_a_second_scan_reuses_every_result_and_reports_the_same(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counting = Counting(monkeypatch)
    cache = tmp_path / "cache"
    first = report(["."], cache)
    assert counting.hits == 0 and counting.puts == 4  # the calls of 3 directories, 1 root module
    counting.reset()
    assert report(["."], cache) == first == report(["."], None)
    assert counting.hits == 4 and counting.puts == 0


def test_a_named_file_reuses_its_result(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    counting = Counting(monkeypatch)
    cache = tmp_path / "cache"
    named = ["modules/network/sg.tf"]
    first = report(named, cache)
    counting.reset()
    assert report(named, cache) == first == report(named, None)
    assert counting.hits == 2 and counting.puts == 0
    assert report(["."], cache) != first  # another scan of the same files is another result


Change = Callable[[Path], None]


def _edit(path: str, old: str, new: str) -> Change:
    def change(repo: Path) -> None:
        text = (repo / path).read_text()
        assert old in text
        (repo / path).write_text(text.replace(old, new))

    return change


def _write(path: str, text: str) -> Change:
    def change(repo: Path) -> None:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(text)

    return change


def _remove(path: str) -> Change:
    return lambda repo: (repo / path).unlink()


CHANGES: dict[str, Change] = {
    # a file of a module the root calls (links cross files and modules)
    "called module's file": _edit("modules/compute/iam.tf", '"*"]\n    resources', '"ec2:Describe*"]\n    resources'),
    # a file added to a module directory: the listing, not any file read before
    "new file in a module": _write(
        "modules/compute/imds.tf",
        'resource "aws_instance" "extra" {\n  ami = "ami-0c1c30571d2dae5c9"\n  instance_type = "t3.micro"\n}\n',
    ),
    "file removed": _remove("modules/compute/iam.tf"),
    "variables file": _edit("envs/prod/terraform.tfvars", '"0.0.0.0/0"', '"10.0.0.0/8"'),
    "variables file removed": _remove("envs/prod/terraform.tfvars"),
    "auto variables file added": _write("envs/prod/ssh.auto.tfvars", 'ssh_cidr = "10.1.0.0/16"\n'),
}


@pytest.mark.parametrize("change", list(CHANGES), ids=list(CHANGES))
def test_a_changed_input_is_noticed(repo: Path, tmp_path: Path, change: str) -> None:
    cache = tmp_path / "cache"
    before = report(["."], cache)
    assert report(["."], cache) == before
    CHANGES[change](repo)
    after = report(["."], cache)
    assert after == report(["."], None)
    assert after != before


def test_a_file_function_target_is_an_input(repo: Path, tmp_path: Path) -> None:
    policy = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "%s", "Resource": "*"}]}\n'
    (repo / "modules/compute/policy.json").write_text(policy % "s3:GetObject")
    extra = (
        'resource "aws_iam_role_policy" "from_file" {\n  role   = aws_iam_role.web.id\n'
        '  policy = file("${path.module}/policy.json")\n}\n'
    )
    (repo / "modules/compute/from_file.tf").write_text(extra)
    cache = tmp_path / "cache"
    before = report(["."], cache)
    (repo / "modules/compute/policy.json").write_text(policy % "*")
    after = report(["."], cache)
    assert after == report(["."], None)
    assert after.count('"trait"') > before.count('"trait"')


def test_an_installed_module_manifest_is_an_input(repo: Path, tmp_path: Path) -> None:
    (repo / "envs/prod/main.tf").write_text('module "web" {\n  source = "app.terraform.io/acme/web/aws"\n}\n')
    for name in ("v1", "v2"):
        shutil.copytree(repo / "modules/compute", repo / f"envs/prod/.terraform/modules/{name}")
    (repo / "envs/prod/.terraform/modules/v2/iam.tf").unlink()
    manifest = repo / "envs/prod/.terraform/modules/modules.json"
    entry = '{"Modules": [{"Key": "web", "Source": "app.terraform.io/acme/web/aws", "Dir": ".terraform/modules/%s"}]}'
    manifest.write_text(entry % "v1")
    cache = tmp_path / "cache"
    before = report(["envs/prod"], cache)
    manifest.write_text(entry % "v2")
    after = report(["envs/prod"], cache)
    assert after == report(["envs/prod"], None)
    assert after != before


def test_the_configuration_is_part_of_the_key(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    every = report(["."], cache)
    only = report(["."], cache, select=frozenset({"imdsv1-allowed"}))
    assert only == report(["."], None, select=frozenset({"imdsv1-allowed"}))
    assert only != every
    assert report(["."], cache, jobs=2) == every  # how the scan runs is not part of it


def test_damaged_entries_are_computed_again(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = report(["."], cache)
    for entry in (cache / "results").rglob("*"):
        if entry.is_file():
            entry.write_bytes(entry.read_bytes()[:-7])
    counting = Counting(monkeypatch)
    assert report(["."], cache) == first
    assert counting.hits == 0 and counting.puts == 4


def test_results_with_internal_errors_are_not_stored(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from iac_exposure.traits import imdsv1_allowed

    def broken(*args: Any) -> Any:
        raise RuntimeError("a bug in a check")

    monkeypatch.setattr(imdsv1_allowed, "check", broken)
    counting = Counting(monkeypatch)
    cache = tmp_path / "cache"
    assert "internal-error" in report(["."], cache)
    assert counting.puts == 3  # the calls of each directory; not the root's result
    monkeypatch.undo()
    assert report(["."], cache) == report(["."], None)


def test_workers_store_results_the_next_scan_reuses(repo: Path, tmp_path: Path) -> None:
    for n in range(70):  # above the threshold for worker processes
        shutil.copytree(repo / "envs/prod", repo / f"envs/copy{n:02}")
    cache = tmp_path / "cache"
    cold = report(["."], cache, jobs=2)
    stored = [p for p in (cache / "results").rglob("*") if p.is_file()]
    assert len(stored) == 73 + 71  # calls of every directory, one result per root
    assert report(["."], cache, jobs=2) == cold == report(["."], None)


def test_stable_keys_do_not_depend_on_set_order() -> None:
    one = Config(select=frozenset({"a", "b", "c", "d"}))
    other = Config(select=frozenset({"d", "c", "b", "a"}))
    assert result_cache.stable(one) == result_cache.stable(other)
    assert result_cache.stable(one) != result_cache.stable(Config(select=frozenset({"a"})))


def test_the_cache_is_kept_within_its_bound(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = report(["."], cache)
    entries = [p for p in (cache / "results").rglob("*") if p.is_file()]
    assert len(entries) == 4
    limit = max(p.stat().st_size for p in entries)
    monkeypatch.setattr(result_cache, "MAX_BYTES", limit)
    CHANGES["variables file"](repo)  # something to compute and store: 5 entries, over the limit
    assert report(["."], cache) != first
    left = [p for p in (cache / "results").rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in left) <= limit and len(left) < len(entries)
