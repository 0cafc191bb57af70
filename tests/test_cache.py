"""The cache in .proofgate_cache/: warm runs give the cold run's findings, and
no edit of anything a check depends on ever meets a stale entry."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import engine.pack
import engine.pipeline
from engine.cache import DIRECTORY, Cache, fingerprint, open_cache
from tests.support import REPO, cli_findings, git_copy

DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
NOW = "2026-11-26"


@pytest.fixture(autouse=True)
def _cache_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROOFGATE_NO_CACHE", raising=False)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_copy(DRIFTING, tmp_path / "repo", (DIRECTORY,))


def check(root: Path, *args: str) -> tuple[int, list[dict[str, Any]]]:
    return cli_findings(root, "--now", NOW, *args)


def checks_without_evaluating(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the runs that extract and evaluate (the cache missed)."""
    calls: list[int] = []
    original = engine.pipeline._run_steps

    def counted(*args: object, **kwargs: object) -> object:
        calls.append(1)
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.pipeline, "_run_steps", counted)
    return calls


def test_warm_run_gives_the_cold_findings_without_evaluating(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = checks_without_evaluating(monkeypatch)
    cold = check(repo)
    assert (repo / DIRECTORY / ".gitignore").read_text().splitlines()[-1] == "*"
    warm = check(repo)
    assert warm == cold
    assert len(calls) == 1
    assert check(repo, "--no-cache") == cold
    assert len(calls) == 2


def test_the_cache_directory_is_never_checked(repo: Path) -> None:
    check(repo)
    files = [p for p in (repo / DIRECTORY).iterdir()]
    assert files  # the database exists
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert DIRECTORY not in listed


def _edit_doc(repo: Path) -> None:
    doc = repo / "docs" / "runners.md"
    doc.write_text(doc.read_text() + "\nGloriousFlywheel supports Codeberg runners today.\n")


def _fix_doc(repo: Path) -> None:
    (repo / "README.md").write_text("# GloriousFlywheel\n\nNothing to see.\n")


def _delete_workflow(repo: Path) -> None:
    (repo / ".github" / "workflows" / "ci.yml").unlink()


def _rename_workflow(repo: Path) -> None:
    workflows = repo / ".github" / "workflows"
    (workflows / "ci.yml").rename(workflows / "build.yml")


def _edit_ledger(repo: Path) -> None:
    ledger = repo / "proofs.yaml"
    ledger.write_text(ledger.read_text().replace("proved", "experimental"))


def _delete_evidence(repo: Path) -> None:
    """The ledger's text stays: its cached load must notice the proof file is gone."""
    (repo / ".github" / "workflows" / "kvm-proof.yml").unlink()


def _add_config(repo: Path) -> None:
    (repo / ".proofgate.toml").write_text(
        'disable = ["forge-claims-need-proof.named-row"]\nfail-on = "warning"\n'
    )


def _add_ignored_file(repo: Path) -> None:
    (repo / ".gitignore").write_text("docs/\n")


EDITS: dict[str, Callable[[Path], None]] = {
    "a doc gains a violation": _edit_doc,
    "a doc loses its violations": _fix_doc,
    "a workflow is deleted": _delete_workflow,
    "a workflow is renamed": _rename_workflow,
    "the ledger changes": _edit_ledger,
    "a proof's evidence file is deleted": _delete_evidence,
    "a configuration appears": _add_config,
    "a .gitignore hides the docs": _add_ignored_file,
}


@pytest.mark.parametrize("edit", list(EDITS), ids=list(EDITS))
def test_an_edit_between_runs_never_meets_a_stale_entry(repo: Path, edit: str) -> None:
    before = check(repo)
    assert check(repo) == before  # warm
    EDITS[edit](repo)
    after = check(repo)
    assert after == check(repo, "--no-cache")
    assert after != before


def test_options_are_part_of_the_key(repo: Path) -> None:
    whole = check(repo)
    only_docs = check(repo, "docs")
    assert only_docs == check(repo, "docs", "--no-cache")
    assert only_docs != whole
    later = check(repo, "--now", "2031-01-01")
    assert later == check(repo, "--now", "2031-01-01", "--no-cache")


def test_a_policy_edit_meets_a_fresh_pack(repo: Path, tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    policies.mkdir()
    policy = policies / "mine.policy"
    policy.write_text(
        'policy mine {\n  severity error\n  rationale "r"\n  fix "f"\n'
        "  deny codeberg\n    for s in sentences\n    where s.text matches /Codeberg/\n"
        '    message "{s.text}"\n}\n'
    )
    _edit_doc(repo)
    _, first = check(repo, "-p", str(policies))
    assert [f["rule"] for f in first if f["rule"].startswith("mine")] == ["mine.codeberg"]
    policy.write_text(policy.read_text().replace("/Codeberg/", "/GloriousFlywheel/"))
    second = check(repo, "-p", str(policies))
    assert second == check(repo, "-p", str(policies), "--no-cache")
    assert len([f for f in second[1] if f["rule"].startswith("mine")]) > 1


def test_a_broken_database_is_replaced(repo: Path) -> None:
    cold = check(repo)
    database = repo / DIRECTORY / "cache.sqlite3"
    database.write_bytes(b"this is not a database" * 100)
    assert check(repo) == cold
    assert check(repo) == cold
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] > 0


def test_an_unwritable_cache_directory_only_turns_the_cache_off(repo: Path) -> None:
    (repo / DIRECTORY).write_text("a file where the cache directory should be")
    assert check(repo) == check(repo, "--no-cache")


def test_a_disabled_cache_keeps_nothing(tmp_path: Path) -> None:
    cache = open_cache(tmp_path, enabled=False)
    cache.put("result", "k", 1)
    cache.close()
    assert cache.get("result", "k") is None
    assert not (tmp_path / DIRECTORY).exists()


def test_entries_round_trip_and_unused_ones_expire(tmp_path: Path) -> None:
    cache = Cache(tmp_path / DIRECTORY)
    cache.put("extract", "a", {"records": [1, 2]})
    cache.close()
    for _ in range(25):  # runs that use nothing
        Cache(tmp_path / DIRECTORY).close()
    assert Cache(tmp_path / DIRECTORY).get("extract", "a") is None
    cache = Cache(tmp_path / DIRECTORY)
    cache.put("extract", "b", [3])
    cache.close()
    assert Cache(tmp_path / DIRECTORY).get("extract", "b") == [3]


def test_the_fingerprint_names_proofgates_own_files() -> None:
    assert len(fingerprint()) == 32
    assert fingerprint() == fingerprint()


def test_the_compiled_pack_is_shared_through_the_users_cache(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A repo's first run takes the pack (and regopy's bundle of it) that a run in
    another repo compiled; nothing of it lands in the repo's own cache."""
    user = tmp_path / "user-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(user))
    other = tmp_path / "other"
    shutil.copytree(repo, other)
    cold = check(other)
    with sqlite3.connect(user / "proofgate" / "cache.sqlite3") as db:
        assert db.execute("SELECT kind FROM entries").fetchall() == [("pack",)]
    assert not (user / "proofgate" / ".gitignore").exists()
    with sqlite3.connect(other / DIRECTORY / "cache.sqlite3") as db:
        assert ("pack",) not in db.execute("SELECT kind FROM entries").fetchall()

    def no_compiling(*args: object) -> object:
        raise AssertionError("compiled the pack again")

    monkeypatch.setattr(engine.pack, "_compile", no_compiling)
    built: list[object] = []
    monkeypatch.setattr("regopy.Interpreter.build", lambda *a: built.append(a))
    assert check(repo) == cold
    assert not built  # the bundle came from the cache too
