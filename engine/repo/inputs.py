"""What a check reads of a repo: which files exist, the ones it reports on, the
text of every file an extractor reads, and where the proof ledger is."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import ProofgateError
from ..core.text import shown_path
from ..extract.base import Problem
from .scope import Scope, scope_of

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .discover import FileSet, FileText

DEFAULT_LEDGER = "proofs.yaml"


@dataclass
class RepoInputs:
    scope: Scope
    ledger_file: Path | None
    ledger_path: str | None  # the ledger as findings name it
    texts: dict[str, str]  # repo-relative path -> text
    problems: list[Problem] = field(default_factory=list)  # files that should have been readable
    notes: list[str] = field(default_factory=list)


def within_root(root: Path, path: Path) -> Path:
    """``path``, a file the repo names by default (its configuration, its ledger),
    unless it is a symlink that resolves outside ``root``: that is an error, and
    the file is never read."""
    if root.resolve() not in path.resolve().parents:
        raise ProofgateError(
            "a symlink that leaves the repo root: it is not read", shown_path(path)
        )
    return path


def ledger_location(root: Path, ledger: str | None) -> tuple[Path | None, str | None]:
    """The ledger file (None when there is none) and its path as findings name it."""
    path = Path(ledger) if ledger else root / DEFAULT_LEDGER
    if not path.is_absolute() and ledger:
        path = Path.cwd() / path
    if not path.exists():
        if ledger:
            raise ProofgateError(f"{ledger}: no such ledger file")
        return None, None
    if not ledger:
        within_root(root, path)  # the repo's own default ledger (docs/security.md)
    try:
        return path, path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path, path.as_posix()


def _reported_kinds(scope: Scope, ledger_path: str | None) -> frozenset[str]:
    """The kinds of the files findings are reported in (``ledger`` for the ledger)."""
    from ..extract import kind_of

    kinds = {kind_of(rel) for rel in scope.files if scope.reports(rel)}
    if ledger_path is not None and scope.reports(ledger_path):
        kinds.add("ledger")
    return frozenset(kinds)


def read_repo(
    root: Path,
    targets: list[str],
    ledger: str | None,
    selects: Callable[[str], bool],
    joined: Callable[[frozenset[str]], frozenset[str] | None] | None = None,
    given_texts: dict[str, str] | None = None,
    only: Iterable[str] = (),
    whole: FileSet | None = None,
    read: Callable[[Path, str], FileText] | None = None,
) -> RepoInputs:
    """Discover the repo and read every file of a kind some extractor reads (the
    pack reads a subset of them; Markdown is also read for embedded matrices);
    of the files findings are not reported in, only those of the kinds
    ``joined`` gives for the kinds of the reported files
    (:meth:`engine.pack.PolicySet.joined_kinds`) when it is given.
    ``given_texts`` replace the files on disk, ``only`` narrows the report to
    those files (:func:`engine.repo.scope.scope_of`); ``whole`` (a listing of
    the root still true) and ``read`` (a reader that remembers) serve a process
    that checks the repo again and again."""
    from ..extract import EXTRACTORS, UNREAD_DOCS, kind_of
    from .discover import read_text

    read = read or read_text
    ledger_file, ledger_path = ledger_location(root, ledger)
    given = given_texts or {}
    scope = scope_of(root, targets, ledger_path, selects, given, only, whole)
    inputs = RepoInputs(scope, ledger_file, ledger_path, {}, notes=list(scope.notes))
    shared = None if joined is None else joined(_reported_kinds(scope, ledger_path))
    for rel in scope.files:
        if rel != ledger_path:
            kind = kind_of(rel)
            if kind not in EXTRACTORS or not scope.reads(rel):
                continue
            if shared is not None and kind not in shared and not scope.reports(rel):
                continue
        if rel in given:
            inputs.texts[rel] = given[rel]
            continue
        found = read(root, rel)
        if found.text is not None:
            inputs.texts[rel] = found.text
            continue
        if found.error:
            inputs.problems.append(Problem(rel, found.line, 1, found.error))
        if found.note and scope.reports(rel):
            inputs.notes.append(found.note)
    unread = [rel for rel in scope.files if rel.endswith(UNREAD_DOCS) and scope.reports(rel)]
    if unread:
        inputs.notes.append(unread_note(unread))
    return inputs


def unread_note(paths: list[str]) -> str:
    """The note naming documentation files whose format proofgate does not read."""
    shown = ", ".join(paths[:3])
    more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
    files = "file" if len(paths) == 1 else "files"
    return (
        f"{len(paths)} documentation {files} not checked: proofgate reads Markdown, "
        f"not AsciiDoc or reStructuredText ({shown}{more})"
    )
