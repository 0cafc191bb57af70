"""The pipeline's memory for a long-lived process (``Options.warm``, the language
server's): a warm run gives exactly the findings of a fresh run over the same
texts, given or on disk, and forgets what changed on disk when told."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.core.finding import Finding
from engine.pack import Pack, load_policies
from engine.pipeline import Options, Warm, run
from tests.support import REPO, git_copy

NOW = dt.date(2026, 11, 1)
DOC = "docs/runners.md"
CLAIM = "\nWoodpecker runners are supported out of the box.\n"


@pytest.fixture(scope="module")
def pack() -> Pack:
    return Pack.of(load_policies([REPO / "policies"]))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_copy(REPO / "fixtures/repos/gf-drifting", tmp_path / "repo")


def _check(
    pack: Pack, root: Path, doc: tuple[str, str], texts: dict[str, str], warm: Warm | None
) -> list[Finding]:
    options = Options(today=NOW, stdin=doc, texts=tuple(texts.items()), warm=warm, jobs=1)
    return run(pack, root, options).findings


def _same(
    pack: Pack, root: Path, warm: Warm, doc: tuple[str, str], texts: dict[str, str] | None = None
) -> list[Finding]:
    """The findings of a warm run, checked against a fresh one's."""
    found = _check(pack, root, doc, texts or {}, warm)
    assert found == _check(pack, root, doc, texts or {}, None)
    return found


def test_a_warm_run_finds_what_a_fresh_run_finds_as_the_text_changes(
    pack: Pack, repo: Path
) -> None:
    warm = Warm()
    text = (repo / DOC).read_text()
    before = _same(pack, repo, warm, (DOC, text))
    after = _same(pack, repo, warm, (DOC, text + CLAIM))
    added = [f for f in after if f not in before]
    assert [f.rule for f in added] == ["forge-claims-need-proof.named"]
    assert added[0].line == text.count("\n") + 2
    assert _same(pack, repo, warm, (DOC, text)) == before


def _prove_woodpecker(ledger: str) -> str:
    proved = ledger.replace(
        "  woodpecker: {state: backlog}",
        "  woodpecker:\n    state: proved\n    proofs:\n"
        "      - {surface: lab, evidence: docs/runners.md, verified: 2026-10-01}",
    )
    assert proved != ledger
    return proved


def test_an_unsaved_ledger_is_judged(pack: Pack, repo: Path) -> None:
    warm = Warm()
    doc = (DOC, (repo / DOC).read_text() + CLAIM)
    assert any(f.rule == "forge-claims-need-proof.named" for f in _same(pack, repo, warm, doc))
    proved = _prove_woodpecker((repo / "proofs.yaml").read_text())
    found = _same(pack, repo, warm, doc, {"proofs.yaml": proved})
    assert not any(f.rule == "forge-claims-need-proof.named" for f in found)


def test_a_joined_file_given_unsaved_changes_the_findings(pack: Pack, repo: Path) -> None:
    warm = Warm()
    workflow = ".github/workflows/ci.yml"
    doc = (".bazelrc", (repo / ".bazelrc").read_text())
    before = _same(pack, repo, warm, doc)
    text = (repo / workflow).read_text()
    after = _same(pack, repo, warm, doc, {workflow: text + "\n"})
    assert after == before  # same meaning, other text: still the same answer
    assert _same(pack, repo, warm, (workflow, text)) != []


def test_forget_reads_a_changed_file_again(pack: Pack, repo: Path) -> None:
    warm = Warm()
    doc = (DOC, (repo / DOC).read_text() + CLAIM)
    before = _same(pack, repo, warm, doc)
    (repo / "docs/new.md").write_text("# New\n")
    ledger = repo / "proofs.yaml"
    ledger.write_text(_prove_woodpecker(ledger.read_text()))
    stale = _check(pack, repo, doc, {}, warm)
    assert stale == before  # nothing told it
    warm.forget(["proofs.yaml", "docs/new.md"])
    assert _same(pack, repo, warm, doc) != before


def test_a_given_text_the_configuration_excludes_is_not_read(repo: Path) -> None:
    from engine.config import load_config

    workflow = ".github/workflows/ci.yml"
    doc = (workflow, (repo / workflow).read_text())
    bazelrc = {".bazelrc": (repo / ".bazelrc").read_text()}
    whole = _same(pack_of(repo), repo, Warm(), doc, bazelrc)
    (repo / ".proofgate.toml").write_text('exclude = [".bazelrc"]\n')
    pack = Pack.of(load_policies([REPO / "policies"]), load_config(repo))
    without = _same(pack, repo, Warm(), doc, bazelrc)
    assert without != whole  # its records are not joined: the buffer is not read either


def pack_of(repo: Path) -> Pack:
    from engine.config import load_config

    return Pack.of(load_policies([REPO / "policies"]), load_config(repo))
