"""What the language server keeps of each repo, and what a file change makes it
forget (in process: engine/lsp/repos.py and the server's change handling)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from engine.lsp.repos import Repo
from engine.lsp.server import ProofgateServer
from tests.support import REPO, git_copy

DOC = "docs/runners.md"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_copy(REPO / "fixtures/repos/gf-drifting", tmp_path / "repo")


def checked(server: ProofgateServer, root: Path) -> Repo:
    found = server.repos.of(root / DOC)
    assert found is not None
    kept, rel = found
    text = (root / DOC).read_text()
    assert kept.check(rel, text, {rel: text}, dt.date(2026, 11, 1)).findings
    return kept


def test_what_an_edit_reaches(repo: Path) -> None:
    kept = checked(ProofgateServer(), repo)
    assert kept.reach(repo / ".proofgate.toml") == "pack"
    assert kept.reach(repo / "pyproject.toml") == "pack"
    assert kept.reach(repo / "policies/mine.policy") == "file"  # not a loaded policy dir
    assert kept.reach(repo / "proofs.yaml") == "repo"
    assert kept.reach(repo / ".github/workflows/ci.yml") == "repo"  # joined across files
    assert kept.reach(repo / ".bazelrc") == "repo"
    assert kept.reach(repo / "README.md") == "file"


@pytest.mark.asyncio
async def test_files_no_check_reads_forget_nothing(repo: Path) -> None:
    server = ProofgateServer()
    list(
        server.protocol.lsp_initialize(lsp.InitializeParams(capabilities=lsp.ClientCapabilities()))
    )
    kept = checked(server, repo)
    listing, contexts = kept.warm.listing, dict(kept.warm.contexts)
    assert listing is not None and contexts
    written = [".proofgate_cache/cache.sqlite3", ".git/index", "build/output.log"]
    await server.changed([repo / rel for rel in written], "changed")
    assert kept.warm.listing is listing and kept.warm.contexts == contexts
    await server.changed([repo / "README.md"], "changed")
    assert kept.warm.listing is listing and not kept.warm.contexts  # read again
    await server.changed([repo / "docs/new.md"], "created")
    assert kept.warm.listing is None
    warm = kept.warm
    await server.changed([repo / ".proofgate.toml"], "created")
    assert kept.warm is not warm  # a new pack: everything read again
