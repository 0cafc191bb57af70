"""The same findings from a check run serially, in worker processes, cold and warm.

The benchmark corpus (bench/corpus.py, one unit: 73 files with violations of
every boundary) and the drifting fixture are checked four ways; the worker
thresholds (extraction, Rego queries) are lowered so that small repos take the
parallel paths too.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine.evaluate.run as evaluation
import engine.extract.batch as batch
from engine.config import Config
from engine.core.finding import Finding
from engine.core.resources import shipped_policies
from engine.pack import Pack, load_policies, read_pack
from engine.pipeline import Options, run
from tests.support import REPO, run_check

NOW = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("corpus") / "repo"
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "corpus.py"), str(dest), "--copies", "1", "--git"],
        check=True,
        capture_output=True,
    )
    return dest


def findings(root: Path, jobs: int, targets: list[str] | None = None) -> list[Finding]:
    pack = load_policies([shipped_policies()])
    return run_check(pack, root, targets or [], None, NOW, jobs=jobs).findings


def calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[int]:
    """Count the calls of ``module.name`` (one 1 per call)."""
    counted: list[int] = []
    original = getattr(module, name)

    def counting(*args: object) -> object:
        counted.append(1)
        return original(*args)

    monkeypatch.setattr(module, name, counting)
    return counted


@pytest.mark.parametrize("repo", ["drifting", "corpus"])
def test_serial_parallel_cold_and_warm_agree(
    repo: str, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = corpus if repo == "corpus" else REPO / "fixtures" / "repos" / "gf-drifting"
    serial = findings(root, jobs=1)
    assert len({f.rule for f in serial}) > 10
    monkeypatch.setattr(batch, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(batch, "BATCH_FILES", 2)
    monkeypatch.setattr(evaluation, "PARALLEL_MIN_CANDIDATES", 0)
    spawned = [calls(monkeypatch, module, "_in_workers") for module in (batch, evaluation)]
    assert findings(root, jobs=2) == serial
    assert all(spawned)  # extraction and queries both went to workers
    copy = tmp_path / "repo"
    shutil.copytree(root, copy)
    pack = Pack(read_pack([shipped_policies()]), Config())
    for mode in ("cold", "warm"):
        result = run(pack, copy, Options(today=NOW, jobs=2, use_cache=True))
        assert result.findings == serial, mode


def test_a_check_of_paths_reports_what_the_whole_check_finds_there(corpus: Path) -> None:
    whole = findings(corpus, jobs=1)
    docs = sorted({f.path for f in whole if f.path.endswith(".md")})[:3]
    workflow = next(f.path for f in whole if f.path.startswith(".github/workflows/"))
    for path in [*docs, workflow]:
        assert findings(corpus, jobs=1, targets=[path]) == [f for f in whole if f.path == path]
