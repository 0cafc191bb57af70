"""``proofgate lsp`` end to end: a client (pytest-lsp) drives the server as a
subprocess over standard input and output, as an editor does."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.support import REPO, apply_edits, git_copy

CLAIM_RULE = "forge-claims-need-proof.named"
CLAIM = "Woodpecker runners are supported out of the box."
BAD_BASELINE = "baseline: [honey]"
pytestmark = pytest.mark.asyncio


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_copy(REPO / "fixtures/repos/gf-drifting", tmp_path / "repo")


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "proofgate", "lsp"])
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    @lsp_client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def _register(params: lsp.RegistrationParams) -> None:
        lsp_client.registered.extend(params.registrations)  # type: ignore[attr-defined]

    lsp_client.registered = []  # type: ignore[attr-defined]
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    yield
    await lsp_client.shutdown_session()


Diagnostics = list[lsp.Diagnostic]


async def published(
    client: LanguageClient, uri: str, ready: Callable[[Diagnostics], bool], wait: float = 180
) -> Diagnostics:
    """The diagnostics of ``uri`` once they satisfy ``ready``."""

    async def watch() -> Diagnostics:
        while uri not in client.diagnostics or not ready(client.diagnostics[uri]):
            await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        return client.diagnostics[uri]

    return await asyncio.wait_for(watch(), wait)


def rules(diagnostics: Diagnostics) -> list[str]:
    return [str(d.code) for d in diagnostics]


def open_doc(client: LanguageClient, path: Path, text: str, language: str = "markdown") -> str:
    uri = path.as_uri()
    item = lsp.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=item))
    return uri


def edit_doc(client: LanguageClient, uri: str, version: int, text: str) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def quick_fixes(
    client: LanguageClient, uri: str, diagnostic: lsp.Diagnostic
) -> Sequence[lsp.Command | lsp.CodeAction]:
    """The code actions the server offers for one diagnostic."""
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri),
            range=diagnostic.range,
            context=lsp.CodeActionContext(diagnostics=[diagnostic]),
        )
    )
    assert actions is not None
    return actions


def titled(actions: Sequence[lsp.Command | lsp.CodeAction], start: str) -> lsp.CodeAction:
    """The one code action whose title starts with ``start``."""
    (action,) = [a for a in actions if isinstance(a, lsp.CodeAction) and a.title.startswith(start)]
    return action


def document_edits(action: lsp.CodeAction, uri: str, version: int) -> Sequence[lsp.TextEdit]:
    """An action's edits of ``uri``, which must be for the document's ``version``
    (a client whose text has moved on since refuses them)."""
    assert action.edit is not None and action.edit.document_changes is not None
    (change,) = action.edit.document_changes
    assert isinstance(change, lsp.TextDocumentEdit)
    assert (change.text_document.uri, change.text_document.version) == (uri, version)
    assert all(isinstance(e, lsp.TextEdit) for e in change.edits)
    return [e for e in change.edits if isinstance(e, lsp.TextEdit)]


async def open_claim(client: LanguageClient, path: Path, text: str) -> tuple[str, lsp.Diagnostic]:
    """Open a doc holding one claim; its URI and the claim's diagnostic."""
    uri = open_doc(client, path, text)
    found = await published(client, uri, lambda d: CLAIM_RULE in rules(d))
    (claim,) = [d for d in found if d.code == CLAIM_RULE]
    return uri, claim


async def test_a_claim_is_a_diagnostic_until_it_is_edited_away(
    client: LanguageClient, repo: Path
) -> None:
    # two emoji before the claim: 3 code points, 5 UTF-16 code units
    text = f"# Draft\n\n🚀🚀 {CLAIM}\n"
    uri, claim = await open_claim(client, repo / "docs/draft.md", text)
    assert claim.range.start == lsp.Position(line=2, character=5)
    assert claim.range.end == lsp.Position(line=2, character=5 + len("Woodpecker"))
    assert claim.severity == lsp.DiagnosticSeverity.Error
    assert claim.source == "proofgate"
    assert "Woodpecker" in claim.message
    assert claim.code_description is not None
    link = claim.code_description.href
    assert link.startswith("file://") and link.split("#")[0].endswith("forges.policy")
    edit_doc(client, uri, 2, text.replace("are supported", "are planned"))
    await published(client, uri, lambda d: CLAIM_RULE not in rules(d))


async def test_a_ledger_edit_republishes_the_open_docs(client: LanguageClient, repo: Path) -> None:
    doc = open_doc(client, repo / "docs/draft.md", f"# Draft\n\n{CLAIM}\n")
    await published(client, doc, lambda d: CLAIM_RULE in rules(d))
    ledger = (repo / "proofs.yaml").read_text()
    uri = open_doc(client, repo / "proofs.yaml", ledger, "yaml")
    await published(client, uri, lambda d: True)
    proved = ledger.replace(
        "  woodpecker: {state: backlog}",
        "  woodpecker:\n    state: proved\n    proofs:\n"
        "      - {surface: lab, evidence: docs/runners.md, verified: 2026-10-01}",
    )
    edit_doc(client, uri, 2, proved)  # unsaved: the editor's text is judged
    await published(client, doc, lambda d: CLAIM_RULE not in rules(d))


async def test_hover_explains_the_rule(client: LanguageClient, repo: Path) -> None:
    uri, claim = await open_claim(client, repo / "docs/draft.md", f"# Draft\n\n{CLAIM}\n")
    hover = await client.text_document_hover_async(
        lsp.HoverParams(
            text_document=lsp.TextDocumentIdentifier(uri=uri), position=claim.range.start
        )
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    text = hover.contents.value
    assert f"**{CLAIM_RULE}**" in text
    assert "why: " in text and "fix: " in text and "source: " in text  # proofgate explain
    nowhere = lsp.Position(line=0, character=0)
    assert (
        await client.text_document_hover_async(
            lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri=uri), position=nowhere)
        )
        is None
    )


async def test_suppress_with_a_reason_inserts_the_comment_that_hides_it(
    client: LanguageClient, repo: Path
) -> None:
    text = f"# Draft\n\nSome context.\n{CLAIM}\n"
    uri, claim = await open_claim(client, repo / "docs/draft.md", text)
    actions = await quick_fixes(client, uri, claim)
    suppress = titled(actions, "Suppress")
    (insert,) = document_edits(suppress, uri, version=1)
    assert insert.range.start == insert.range.end == lsp.Position(line=2, character=0)
    assert insert.new_text == f"<!-- proofgate-ignore {CLAIM_RULE}: <reason> -->\n"
    lines = text.split("\n")
    lines.insert(2, insert.new_text.rstrip("\n"))
    edit_doc(client, uri, 2, "\n".join(lines).replace("<reason>", "quoted from a 2024 survey"))
    after = await published(client, uri, lambda d: CLAIM_RULE not in rules(d))
    assert not [r for r in rules(after) if r.startswith("suppression-")]


async def test_a_broken_ledger_is_one_diagnostic_on_it_and_the_server_goes_on(
    client: LanguageClient, repo: Path
) -> None:
    ledger = repo / "proofs.yaml"
    good = ledger.read_text()
    ledger.write_text(good.replace("baseline: honey", BAD_BASELINE))
    doc = open_doc(client, repo / "docs/draft.md", f"# Draft\n\n{CLAIM}\n")
    (error,) = await published(client, ledger.as_uri(), lambda d: bool(d))
    assert "invalid ledger" in error.message and "baseline" in error.message
    assert error.range.start == lsp.Position(line=1, character=0)
    assert error.severity == lsp.DiagnosticSeverity.Error
    ledger.write_text(good)
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[lsp.FileEvent(uri=ledger.as_uri(), type=lsp.FileChangeType.Changed)]
        )
    )
    await published(client, doc, lambda d: CLAIM_RULE in rules(d))
    # the ledger's error is withdrawn too (in whichever order the two arrive)
    await published(client, ledger.as_uri(), lambda d: not d)
    registered = client.registered  # type: ignore[attr-defined]
    assert [r.method for r in registered] == [lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]


async def test_workflow_edits_are_checked_unsaved(client: LanguageClient, repo: Path) -> None:
    path = repo / ".github/workflows/ci.yml"
    text = path.read_text()
    uri = open_doc(client, path, text, "yaml")
    before = await published(
        client, uri, lambda d: "flakehub-never-bootstrap.installer-flag" in rules(d)
    )
    flag = next(d for d in before if d.code == "flakehub-never-bootstrap.installer-flag")
    assert flag.range.start == lsp.Position(line=11, character=8)  # the step, as `check` says
    assert text.split("\n")[11].strip().endswith("determinate-nix-action@v3")
    edit_doc(client, uri, 2, text.replace("flakehub: true", "flakehub: false"))
    await published(
        client, uri, lambda d: "flakehub-never-bootstrap.installer-flag" not in rules(d)
    )


@pytest.fixture
def two_repos(tmp_path: Path) -> tuple[Path, Path]:
    """Two repos of one multi-root workspace; the second disables the forge rules."""
    first = git_copy(REPO / "fixtures/repos/gf-drifting", tmp_path / "first")
    second = git_copy(REPO / "fixtures/repos/gf-drifting", tmp_path / "second")
    (second / ".proofgate.toml").write_text('disable = ["forge-claims-need-proof"]\n')
    return first, second


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[sys.executable, "-m", "proofgate", "lsp"])
)
async def workspace(
    lsp_client: LanguageClient, two_repos: tuple[Path, Path]
) -> AsyncIterator[None]:
    folders = [lsp.WorkspaceFolder(uri=r.as_uri(), name=r.name) for r in two_repos]
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities("neovim"), workspace_folders=folders)
    )
    yield
    await lsp_client.shutdown_session()


async def test_each_folder_of_a_multi_root_workspace_is_its_own_repo(
    workspace: LanguageClient, two_repos: tuple[Path, Path]
) -> None:
    first, second = two_repos
    one = open_doc(workspace, first / "docs/draft.md", f"# Draft\n\n{CLAIM}\n")
    two = open_doc(workspace, second / "docs/draft.md", f"# Draft\n\n{CLAIM}\n")
    await published(workspace, one, lambda d: CLAIM_RULE in rules(d))
    found = await published(workspace, two, lambda d: True)
    assert CLAIM_RULE not in rules(found)  # its own configuration
    config = second / ".proofgate.toml"
    config.write_text('disable = ["no-such-rule"]\n')
    workspace.text_document_did_save(
        lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=config.as_uri()))
    )
    (error,) = await published(workspace, config.as_uri(), lambda d: bool(d))
    assert "no-such-rule" in error.message
    edit_doc(workspace, one, 2, f"# Draft\n\n{CLAIM}\n\nForgejo runners are supported.\n")
    after = await published(workspace, one, lambda d: rules(d).count(CLAIM_RULE) == 2)
    assert after  # the first repo is still checked


async def test_an_unsaved_bazelrc_edit_republishes_the_open_workflow(
    client: LanguageClient, repo: Path
) -> None:
    upload = "bazel-dogfood-is-real.pr-upload"  # a workflow step judged with .bazelrc
    workflow = open_doc(
        client,
        repo / ".github/workflows/ci.yml",
        (repo / ".github/workflows/ci.yml").read_text(),
        "yaml",
    )
    await published(client, workflow, lambda d: upload in rules(d))
    bazelrc = repo / ".bazelrc"
    uri = open_doc(client, bazelrc, bazelrc.read_text(), "bazelrc")
    await published(client, uri, lambda d: True)
    read_only = bazelrc.read_text() + "build:ci --remote_upload_local_results=false\n"
    edit_doc(client, uri, 2, read_only)
    await published(client, workflow, lambda d: upload not in rules(d))


async def test_apply_fix_removes_the_finding_the_policy_can_fix(
    client: LanguageClient, repo: Path
) -> None:
    rule = "caches-accelerate-never-gate.bazel-remote-cache"  # fixed by an edit line
    bazelrc = repo / ".bazelrc"
    text = bazelrc.read_text()
    uri = open_doc(client, bazelrc, text, "bazelrc")
    found = await published(client, uri, lambda d: rule in rules(d))
    (gate,) = [d for d in found if d.code == rule]
    actions = await quick_fixes(client, uri, gate)
    fix = titled(actions, "Fix:")
    assert fix.is_preferred
    fixed = apply_edits(text, document_edits(fix, uri, version=1))
    assert "build:ci --remote_cache=grpcs://bazel-cache.honey.internal:443" in fixed
    edit_doc(client, uri, 2, fixed)
    await published(client, uri, lambda d: rule not in rules(d))
    assert bazelrc.read_text() == text  # the editor applies the action; the server writes nothing


async def test_reword_as_the_policy_suggests_clears_a_docs_claim(
    client: LanguageClient, repo: Path
) -> None:
    text = f"# Draft\n\n{CLAIM}\n"
    uri, claim = await open_claim(client, repo / "docs/draft.md", text)
    actions = await quick_fixes(client, uri, claim)
    reword = titled(actions, "Reword:")
    reworded = apply_edits(text, document_edits(reword, uri, version=1))
    assert (
        reworded == "# Draft\n\nWoodpecker (not yet proved) runners are supported out of the box.\n"
    )
    edit_doc(client, uri, 2, reworded)
    await published(client, uri, lambda d: CLAIM_RULE not in rules(d))
