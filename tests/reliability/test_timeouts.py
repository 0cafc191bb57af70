"""A regex time-out is each record's own finding, in every run, and never cached."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine.cache import DIRECTORY
from engine.pack import Pack, load_policies
from engine.pipeline import Options, run
from tests.reliability.support import write_files

POLICY = (
    'pattern doubled = /^(a|aa)+$/\n\npolicy slow {\n  rationale "r"\n  fix "f"\n\n'
    '  deny\n    for s in sentences\n    where s.text matches doubled\n    message "m"\n}\n'
)
TEXT = "a" * 3000 + "b\n"  # short enough to be shared by value, long enough to time out


def timeouts(root: Path, pack: Pack, use_cache: bool = False) -> list[str]:
    result = run(pack, root, Options(use_cache=use_cache))
    return sorted(f.path for f in result.findings if f.rule == "check-timeout")


def test_the_same_text_times_out_in_each_file_and_in_each_run(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "slow.policy").write_text(POLICY)
    root = write_files(tmp_path / "repo", {"docs/a.md": TEXT, "docs/b.md": TEXT})
    pack = Pack.of(load_policies([tmp_path / "pack"]))
    assert timeouts(root, pack) == ["docs/a.md", "docs/b.md"]
    assert timeouts(root, pack) == ["docs/a.md", "docs/b.md"]  # nothing kept from run 1


def test_a_result_with_a_time_out_is_not_cached(tmp_path: Path) -> None:
    (tmp_path / "pack").mkdir()
    (tmp_path / "pack" / "slow.policy").write_text(POLICY)
    root = write_files(tmp_path / "repo", {"docs/a.md": TEXT})
    pack = Pack.of(load_policies([tmp_path / "pack"]))
    assert timeouts(root, pack, use_cache=True) == ["docs/a.md"]
    with sqlite3.connect(root / DIRECTORY / "cache.sqlite3") as db:
        kinds = {kind for (kind,) in db.execute("SELECT kind FROM entries")}
    assert "extract" in kinds or "ledger" in kinds or kinds == set()  # the cache was on
    assert "result" not in kinds
