"""The repo's cache lies in the checked tree, which a pull request controls: nothing
planted in it runs code or changes a finding (issue 16, docs/security.md)."""

from __future__ import annotations

import os
import pickle
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from engine.cache import DIRECTORY, KEY_FILE, Cache, key, open_cache, user_cache_directory
from engine.core.result import CheckResult
from engine.extract import kind_of
from tests.support import REPO, cli_findings, git_copy

DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
NOW = "2026-11-26"
WORKFLOW = ".github/workflows/ci.yml"


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PROOFGATE_NO_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_copy(DRIFTING, tmp_path / "repo", (DIRECTORY,))


def check(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    return cli_findings(root, "--now", NOW, *args)


class _Payload:
    """A pickle that creates ``marker`` when it is loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (f"touch '{self.marker}'",))


def _database(repo: Path) -> Path:
    return repo / DIRECTORY / "cache.sqlite3"


def _rows(database: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(database) as db:
        return [(k, e) for k, e in db.execute("SELECT kind, key FROM entries")]


def _plant(database: Path, kind: str, entry: str, blob: bytes) -> None:
    with sqlite3.connect(database) as db:
        db.execute(
            "INSERT OR REPLACE INTO entries (kind, key, value, run) VALUES (?, ?, ?, 1)",
            (kind, entry, blob),
        )


def test_a_planted_pickle_under_proofgates_own_key_never_runs(repo: Path, tmp_path: Path) -> None:
    reference = check(repo, "--no-cache")
    check(repo)  # a genuine cache, as a previous CI run would leave it
    text = (repo / WORKFLOW).read_text()
    extract_key = key("extract", kind_of(WORKFLOW), WORKFLOW, text)
    assert ("extract", extract_key) in _rows(_database(repo))  # the key is the one used
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Payload(marker))
    with sqlite3.connect(_database(repo)) as db:
        db.execute("DELETE FROM entries WHERE kind = 'result'")  # so extraction reads the cache
    for blob in (payload, b"\0" * 32 + payload):  # bare, and behind a forged MAC
        _plant(_database(repo), "extract", extract_key, blob)
        assert check(repo) == reference
        assert not marker.exists()
        with sqlite3.connect(_database(repo)) as db:  # the run replaced the planted entry
            db.execute("DELETE FROM entries WHERE kind = 'result'")


def test_a_planted_result_with_no_findings_changes_nothing(repo: Path) -> None:
    reference = check(repo, "--no-cache")
    assert reference[1]
    assert check(repo) == reference
    results = [entry for kind, entry in _rows(_database(repo)) if kind == "result"]
    assert results
    with sqlite3.connect(_database(repo)) as db:
        genuine = db.execute("SELECT value FROM entries WHERE kind = 'result'").fetchone()[0]
    clean = pickle.dumps(CheckResult([], [], [], True))
    for blob in (clean, genuine[:32] + clean):  # bare, and behind the genuine entry's MAC
        for entry in results:
            _plant(_database(repo), "result", entry, blob)
        assert check(repo) == reference


def test_an_entry_of_another_users_key_is_a_miss(repo: Path, tmp_path: Path) -> None:
    cache = Cache(tmp_path / "other" / DIRECTORY)
    cache.put("result", "k", "theirs")
    cache.close()
    (user_cache_directory() / KEY_FILE).unlink()
    from engine import cache as module

    module._secret.cache_clear()
    assert Cache(tmp_path / "other" / DIRECTORY).get("result", "k") is None
    mine = Cache(tmp_path / "other" / DIRECTORY)
    mine.put("result", "k", "mine")
    mine.close()
    assert Cache(tmp_path / "other" / DIRECTORY).get("result", "k") == "mine"


def test_an_entry_cannot_move_between_the_users_and_a_repos_cache(tmp_path: Path) -> None:
    user = Cache(user_cache_directory())
    user.put("pack", "k", "pack")
    user.close()
    with sqlite3.connect(user_cache_directory() / "cache.sqlite3") as db:
        blob = db.execute("SELECT value FROM entries").fetchone()[0]
    repo = Cache(tmp_path / DIRECTORY)
    repo.close()
    _plant(tmp_path / DIRECTORY / "cache.sqlite3", "pack", "k", blob)
    assert Cache(tmp_path / DIRECTORY).get("pack", "k") is None
    assert Cache(user_cache_directory()).get("pack", "k") == "pack"


def test_the_key_is_private_to_the_user(repo: Path) -> None:
    check(repo)
    directory = user_cache_directory()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    key_file = directory / KEY_FILE
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(key_file.read_bytes()) == 32


def test_a_key_that_cannot_be_created_turns_the_cache_off(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "read-only"
    home.mkdir()
    home.chmod(0o500)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    if os.access(home, os.W_OK):  # root writes anyway: a file where the directory goes
        home.chmod(0o700)
        (home / "cache").write_text("not a directory")
    assert not open_cache(repo).enabled
    assert check(repo) == check(repo, "--no-cache")
    assert not (repo / DIRECTORY).exists()


def test_a_key_readable_by_others_is_not_used(tmp_path: Path) -> None:
    Cache(tmp_path / DIRECTORY).close()
    key_file = user_cache_directory() / KEY_FILE
    key_file.chmod(0o644)
    from engine import cache as module

    module._secret.cache_clear()
    assert not Cache(tmp_path / DIRECTORY).enabled


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TRIGGER t AFTER INSERT ON entries BEGIN DELETE FROM entries; END",
        "CREATE VIEW v AS SELECT * FROM entries",
        "CREATE TABLE extra (x)",
        "CREATE INDEX i ON entries (value)",
    ],
    ids=["trigger", "view", "table", "index"],
)
def test_a_planted_schema_object_gets_the_file_discarded(repo: Path, sql: str) -> None:
    reference = check(repo, "--no-cache")
    check(repo)
    with sqlite3.connect(_database(repo)) as db:
        db.execute(sql)
    assert check(repo) == reference
    with sqlite3.connect(_database(repo)) as db:
        names = {name for (name,) in db.execute("SELECT name FROM sqlite_master")}
    assert names == {"entries", "meta", "sqlite_autoindex_entries_1", "sqlite_autoindex_meta_1"}
    assert check(repo) == reference


def test_a_database_of_another_shape_is_discarded(repo: Path) -> None:
    (repo / DIRECTORY).mkdir()
    with sqlite3.connect(_database(repo)) as db:
        db.execute("CREATE TABLE entries (kind, key, value, run)")  # no primary key
    reference = check(repo, "--no-cache")
    assert check(repo) == reference
    assert check(repo) == reference
    assert ("result",) in {(kind,) for kind, _ in _rows(_database(repo))}


def test_a_symlinked_cache_directory_is_not_followed(repo: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (repo / DIRECTORY).symlink_to(elsewhere, target_is_directory=True)
    reference = check(repo, "--no-cache")
    assert check(repo) == reference
    assert list(elsewhere.iterdir()) == []
    assert not open_cache(repo).enabled


@pytest.mark.parametrize("name", ["cache.sqlite3", "cache.sqlite3-wal", ".gitignore"])
def test_a_symlinked_cache_file_is_not_followed(repo: Path, tmp_path: Path, name: str) -> None:
    target = tmp_path / "victim"
    (repo / DIRECTORY).mkdir()
    (repo / DIRECTORY / name).symlink_to(target)  # dangling: writing through it creates it
    reference = check(repo, "--no-cache")
    assert check(repo) == reference
    assert not target.exists()
    assert not open_cache(repo).enabled
