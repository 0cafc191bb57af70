"""Which files a check reads, and which files it reports findings in.

``proofgate check PATHS`` (the pre-commit hook passes the staged files)
reports findings only in PATHS, yet reads the whole repo: cross-file rules
need their context, the ledger, ``.bazelrc`` together with the workflows
(B9), FlakeHub push steps with their workflows. A changed ledger changes what
the docs may claim, so when the ledger is among PATHS the findings in every
Markdown file are reported too. A finding is reported in the file it points
at: a changed ``.bazelrc`` whose B9 finding points at a workflow is reported
by a check of the workflow, or of the whole repo.

The configuration's ``include``/``exclude`` globs narrow what is read and
what is reported; every file of the repo still exists for the rules that ask
(the ``files`` collection, ledger evidence paths).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.finding import Finding

if TYPE_CHECKING:
    from .discover import FileSet


@dataclass(frozen=True)
class Scope:
    files: list[str]  # every file of the repo (repo-relative, sorted): they all exist
    selects: Callable[[str], bool]  # include/exclude: which files are read and reported
    reported: frozenset[str] | None  # findings are reported in these (None: in every file)
    notes: list[str] = field(default_factory=list)

    def reads(self, rel: str) -> bool:
        return self.selects(rel)

    def reports(self, path: str) -> bool:
        return (self.reported is None or path in self.reported) and self.selects(path)

    def only_reported(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if self.reports(f.path)]

    @property
    def checked_files(self) -> list[str]:
        """The files the report covers, sorted."""
        return [rel for rel in self.files if self.reports(rel)]

    @property
    def checked(self) -> int:
        """How many files the report covers."""
        return len(self.checked_files)


def scope_of(
    root: Path,
    targets: list[str],
    ledger: str | None,
    selects: Callable[[str], bool],
    given_texts: Iterable[str] = (),
    only: Iterable[str] = (),
    whole: FileSet | None = None,
) -> Scope:
    """The whole repo, and the files under ``targets`` to report on (with every
    Markdown file when the ledger is among them), or the files ``only`` names.
    Files whose text is given (``given_texts``: standard input, an editor's
    unsaved buffers) exist whether or not they are on disk. ``whole``, a listing
    of the root still true, saves discovering it again."""
    from ..extract import kind_of
    from .discover import discover

    whole = whole or discover(root, [])
    given = set(given_texts)
    files = sorted(set(whole.paths) | given) if given else whole.paths
    if only:
        return Scope(files, selects, frozenset(only), whole.notes)
    if not targets:
        return Scope(files, selects, None, whole.notes)
    chosen = discover(root, targets, whole)
    reported = set(chosen.paths)
    if ledger in reported:
        reported |= {rel for rel in whole.paths if kind_of(rel) == "markdown"}
    return Scope(files, selects, frozenset(reported), chosen.notes)
