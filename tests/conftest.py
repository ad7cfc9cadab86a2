from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from syrupy.extensions.json import JSONSnapshotExtension
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"


class DiffSnapshotExtension(SingleFileSnapshotExtension):
    _write_mode = WriteMode.TEXT
    file_extension = "diff"


@pytest.fixture
def diff_snapshot(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(DiffSnapshotExtension)


@pytest.fixture
def json_snapshot(snapshot):  # type: ignore[no-untyped-def]
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary working directory holding a copy of fixtures/, so paths in output are stable."""
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests share one parse cache of their own, never the user's (and so exercise it on every re-scan)."""
    import os

    os.environ["IAC_EXPOSURE_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))
