"""The language server (pygls) over standard input and output: ``proofgate lsp``.

- Diagnostics for every file kind ``check`` reads, published on open, change and
  save; the text in the editor, saved or not, is what is judged, with the other
  open documents' texts as context. Checks run one at a time in a worker thread;
  a check overtaken by a newer version of its document is skipped.
- An edit (unsaved) of the ledger or of a file whose records are joined across
  files (a workflow, ``.bazelrc``) re-checks every open document of its repo; a
  saved (or watched) change of ``.proofgate.toml``, ``pyproject.toml`` or a
  policy file reloads the pack and re-checks them too. A broken configuration,
  policy or ledger is a diagnostic on that file, and the server goes on.
- Code actions: apply a finding's fix, fix all of its rule in the file, suppress
  it with a reason. Hover on a diagnostic: ``proofgate explain`` of its rule.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from ..core.errors import ProofgateError
from . import convert
from .repos import Outcome, Repo, Repos

log = logging.getLogger(__name__)
_WATCH_ID = "proofgate-watched-files"
# How files changed: saved in the editor, closed (its unsaved text no longer
# stands for the file), or on disk as a watcher reports it (changed, created or
# deleted: "created" stands for both, the listing changes).
Change = Literal["saved", "closed", "changed", "created"]
_PRIVATE = (".git", ".proofgate_cache")


class ProofgateServer(LanguageServer):
    def __init__(self) -> None:
        from importlib.metadata import version

        super().__init__("proofgate", version("proofgate"))
        use_cache = os.environ.get("PROOFGATE_NO_CACHE", "") in ("", "0", "false")
        self.repos = Repos(use_cache)
        self.documents: dict[str, convert.Judged] = {}
        self.errors: dict[Path, set[str]] = {}  # repo root -> URIs holding its errors
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="proofgate-check")

    # --- checking ------------------------------------------------------------------

    def located(self, uri: str) -> tuple[Path, Repo, str] | None:
        """A document's file, repo and repo-relative path (None when not checked)."""
        fs_path = to_fs_path(uri) if uri.startswith("file:") else None
        if fs_path is None:
            return None
        path = Path(fs_path)
        found = self.repos.of(path)
        return (path, *found) if found is not None else None

    def opened(self, uri: str) -> TextDocument | None:
        """The open document at ``uri`` (None when the client has not opened it)."""
        from urllib.parse import unquote

        found: TextDocument | None = self.workspace.text_documents.get(unquote(uri))
        return found

    def open_in(self, repo: Repo) -> dict[str, TextDocument]:
        """The open documents of ``repo``, by repo-relative path."""
        found = {}
        for document in list(self.workspace.text_documents.values()):
            where = self.located(document.uri)
            if where is not None and where[1] is repo:
                found[where[2]] = document
        return found

    async def refresh(self, uris: list[str]) -> None:
        """Check the documents and publish their diagnostics, one at a time."""
        loop = asyncio.get_running_loop()
        for uri in uris:
            where = self.located(uri)
            document = self.opened(uri)
            if where is None or document is None:
                continue
            _, repo, rel = where
            version, text = document.version, document.source
            others = {path: d.source for path, d in self.open_in(repo).items()}
            outcome = await loop.run_in_executor(
                self.worker, self._check, uri, version, repo, rel, text, others
            )
            if outcome is not None:
                self.publish(uri, version, repo, rel, text, outcome)

    def _check(
        self, uri: str, version: int | None, repo: Repo, rel: str, text: str, others: dict[str, str]
    ) -> Outcome | None:
        """The check, in the worker thread; None when the document moved on meanwhile."""
        current = self.opened(uri)
        if current is None or current.version != version:
            return None
        try:
            return repo.check(rel, text, others, dt.date.today())
        except Exception as error:  # a bug must not end the server: say it, go on
            log.exception("checking %s", uri)
            return Outcome(errors=[ProofgateError(f"internal error: {error!r}", rel)])

    def publish(
        self, uri: str, version: int | None, repo: Repo, rel: str, text: str, outcome: Outcome
    ) -> None:
        from ..extract import kind_of

        lines = text.split("\n")
        codec = self.workspace.position_codec
        findings = [
            (convert.diagnostic(f, codec, lines, self.link(repo, f.rule)), f)
            for f in outcome.findings
        ]
        edits = self.client_capabilities.workspace
        versioned = bool(edits and edits.workspace_edit and edits.workspace_edit.document_changes)
        self.documents[uri] = convert.Judged(
            lines, kind_of(rel), findings, version if versioned else None
        )
        own = [
            convert.error_diagnostic(e, codec, lines)
            for e in outcome.errors
            if self._in(e, repo, rel)
        ]
        self._send(uri, [d for d, _ in findings] + own, version)
        self.publish_errors(repo, [e for e in outcome.errors if not self._in(e, repo, rel)])

    def _in(self, error: ProofgateError, repo: Repo, rel: str) -> bool:
        """Whether an error belongs to the document at ``rel`` (or names no file)."""
        return not error.path or self._error_file(error, repo) == repo.root / rel

    def _error_file(self, error: ProofgateError, repo: Repo) -> Path:
        """The file an error names: absolute, relative to the repo root, or to the
        current directory (policy files are named so)."""
        named = Path(error.path)
        if named.is_absolute():
            return named
        inside = repo.root / named
        return inside if inside.exists() or not named.exists() else named.resolve()

    def publish_errors(self, repo: Repo, errors: list[ProofgateError]) -> None:
        """Errors in files other than the document checked, one diagnostic each on
        its file; the files of the repo's earlier errors, now fixed, are cleared."""
        by_file: dict[str, list[ProofgateError]] = {}
        for error in errors:
            by_file.setdefault(convert.file_uri(self._error_file(error, repo)), []).append(error)
        for uri in self.errors.get(repo.root, set()) - set(by_file):
            if uri not in self.documents:
                self._send(uri, [], None)
        for uri, found in by_file.items():
            lines = self._lines_of(uri)
            codec = self.workspace.position_codec
            self._send(uri, [convert.error_diagnostic(e, codec, lines) for e in found], None)
        self.errors[repo.root] = set(by_file)

    def _lines_of(self, uri: str) -> list[str]:
        document = self.opened(uri)
        if document is not None:
            return document.source.split("\n")
        try:
            return Path(to_fs_path(uri) or "").read_text("utf-8", "replace").split("\n")
        except OSError:
            return []

    def _send(self, uri: str, diagnostics: list[lsp.Diagnostic], version: int | None) -> None:
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def link(self, repo: Repo, rule: str) -> str | None:
        """Where a rule is explained: its policy's source, at the policy (the
        engine's own rules: the module that states them)."""
        found = repo.rule_source(rule)
        if found is not None:
            return convert.file_uri(*found)
        from ..core import rules

        return convert.file_uri(Path(rules.__file__))

    async def changed(self, paths: list[Path], how: Change) -> None:
        """Files changed (:data:`Change`): forget what the repos read of them, then
        re-check each open document they affect. Files no check reads are left
        alone: the repo's cache (the server writes it), ``.git``, and files the
        listing lacks that merely changed (ignored build outputs)."""
        again: list[str] = []
        for repo in list(self.repos.by_root.values()):
            mine = [p for p in paths if repo.root in p.parents and not _private(repo.root, p)]
            rels = [p.relative_to(repo.root).as_posix() for p in mine]
            known = set(repo.warm.listing.paths) if repo.warm.listing else None
            if how == "changed" and known is not None:
                mine = [p for p, rel in zip(mine, rels, strict=True) if rel in known]
                rels = [rel for rel in rels if rel in known]
            policy = [p for p in paths if p.suffix in (".policy", ".rego")]
            reach = {repo.reach(p) for p in [*mine, *policy]}
            if not reach:
                continue
            if "pack" in reach:
                repo.reset()
            elif how != "closed":
                came = how == "created" or (how == "saved" and not (known or set()) >= set(rels))
                repo.warm.forget(rels, listing=came)
            if reach - {"file"}:
                again += [d.uri for d in self.open_in(repo).values()]
        await self.refresh(list(dict.fromkeys(again)))

    # --- code actions and hover ---------------------------------------------------------

    def actions(self, uri: str, within: lsp.Range) -> list[lsp.CodeAction]:
        """The code actions of the diagnostics within the range."""
        document = self.documents.get(uri)
        if document is None:
            return []
        codec = self.workspace.position_codec
        shown = [(d, f) for d, f in document.findings if _touches(d.range, within)]
        return convert.code_actions(uri, shown, document, codec)

    def hover(self, uri: str, at: lsp.Position) -> lsp.Hover | None:
        document = self.documents.get(uri)
        where = self.located(uri)
        if document is None or where is None:
            return None
        here = lsp.Range(start=at, end=at)
        shown = [(d, f) for d, f in document.findings if _touches(d.range, here)]
        if not shown:
            return None
        explanations = {f.rule: where[1].explain(f.rule) for _, f in shown}
        text = convert.hover_text([f for _, f in shown], explanations)
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
            range=shown[0][0].range,
        )


def _private(root: Path, path: Path) -> bool:
    """Whether ``path`` lies in a folder of ``root`` no check reads (git's, the cache's)."""
    return path.relative_to(root).parts[0] in _PRIVATE


def _touches(shown: lsp.Range, asked: lsp.Range) -> bool:
    """Whether two ranges overlap or touch (a cursor at either end counts)."""
    start, end = (shown.start.line, shown.start.character), (shown.end.line, shown.end.character)
    low, high = (asked.start.line, asked.start.character), (asked.end.line, asked.end.character)
    return start <= high and low <= end


server = ProofgateServer()


@server.feature(lsp.INITIALIZED)
async def _initialized(ls: ProofgateServer, params: lsp.InitializedParams) -> None:
    """Watch every file of the workspace when the client can (saved changes made
    outside the editor, files created or deleted)."""
    capabilities = ls.client_capabilities.workspace
    watched = capabilities.did_change_watched_files if capabilities else None
    if watched is None or not watched.dynamic_registration:
        return
    options = lsp.DidChangeWatchedFilesRegistrationOptions(
        watchers=[lsp.FileSystemWatcher(glob_pattern="**/*")]
    )
    registration = lsp.Registration(
        id=_WATCH_ID, method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES, register_options=options
    )
    try:
        await ls.client_register_capability_async(
            lsp.RegistrationParams(registrations=[registration])
        )
    except Exception:  # a client that offers it but refuses: saves still count
        log.exception("registering the file watcher")


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
async def _did_open(ls: ProofgateServer, params: lsp.DidOpenTextDocumentParams) -> None:
    await ls.refresh([params.text_document.uri])


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def _did_change(ls: ProofgateServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    where = ls.located(uri)
    await ls.refresh([uri])
    if where is not None and where[1].reach(where[0]) == "repo":
        others = [d.uri for rel, d in ls.open_in(where[1]).items() if rel != where[2]]
        await ls.refresh(others)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
async def _did_save(ls: ProofgateServer, params: lsp.DidSaveTextDocumentParams) -> None:
    path = to_fs_path(params.text_document.uri)
    if path is not None:
        await ls.changed([Path(path)], "saved")
    await ls.refresh([params.text_document.uri])


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
async def _did_close(ls: ProofgateServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.documents.pop(uri, None)
    ls._send(uri, [], None)
    path = to_fs_path(uri)
    if path is not None:  # its unsaved text no longer stands for the file
        await ls.changed([Path(path)], "closed")


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
async def _did_change_watched(ls: ProofgateServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    changed = lsp.FileChangeType.Changed
    for kind in ("changed", "created"):
        paths = [
            Path(p)
            for change in params.changes
            if (change.type == changed) == (kind == "changed") and (p := to_fs_path(change.uri))
        ]
        if paths:
            await ls.changed(paths, kind)


@server.feature(
    lsp.TEXT_DOCUMENT_CODE_ACTION,
    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]),
)
def _code_action(ls: ProofgateServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    return ls.actions(params.text_document.uri, params.range)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def _hover(ls: ProofgateServer, params: lsp.HoverParams) -> lsp.Hover | None:
    return ls.hover(params.text_document.uri, params.position)


def serve() -> None:
    """Speak LSP over standard input and output until the client exits."""
    server.start_io()
