"""Errors that stop a run (exit code 2): bad policies, bad ledgers, bad usage.

An error shows the offending line of its file, except for a file outside the
repo root that the user did not name (:func:`confine`): its content is never
echoed, so that nothing reached through the checked repo (a configured path,
a symlink) can print a file from elsewhere (docs/security.md).

The confinement belongs to the current context (a :class:`contextvars.ContextVar`),
not to the process: a language server checking several repos at once confines
each check to its own repo (:func:`confined`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from pathlib import Path

# The repo root and the paths the user named (command line, installed pack):
# content of files elsewhere is not shown. None: no repo, every source is shown.
_Confinement = tuple[Path, tuple[Path, ...]] | None
_confinement: ContextVar[_Confinement] = ContextVar("proofgate_confinement", default=None)


def confine(root: Path | None, trusted: Iterable[str | Path] = ()) -> None:
    """Show the source lines of files under ``root`` or under ``trusted`` paths only
    (``None``: lift the confinement), in the current context."""
    _confinement.set(_confinement_of(root, trusted))


@contextlib.contextmanager
def confined(root: Path, trusted: Iterable[str | Path] = ()) -> Iterator[None]:
    """:func:`confine` for the ``with`` block only (then the confinement before it)."""
    token = _confinement.set(_confinement_of(root, trusted))
    try:
        yield
    finally:
        _confinement.reset(token)


def _confinement_of(root: Path | None, trusted: Iterable[str | Path]) -> _Confinement:
    if root is None:
        return None
    return (_real(root), tuple(_real(Path(path)) for path in trusted))


def shows_source_of(path: str) -> bool:
    """Whether an error may echo the content of the file at ``path`` (as errors name it:
    absolute, or relative to the current directory or, for repo files, to the root)."""
    confinement = _confinement.get()
    if confinement is None:
        return True
    root, trusted = confinement
    given = Path(path)
    places = [given] if given.is_absolute() else [given, root / given]
    return any(
        real == base or base in real.parents
        for real in map(_real, places)
        for base in (root, *trusted)
    )


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except (OSError, ValueError):
        return path.absolute()


class ProofgateError(Exception):
    """A user-facing error with a source position.

    ``render()`` gives ``file:line:col: message`` followed, when the source
    text is known, by the offending line and a caret under the column.
    """

    def __init__(
        self,
        message: str,
        path: str = "",
        line: int = 0,
        column: int = 0,
        source: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.source = source
        self.hint = hint

    def location(self) -> str:
        if not self.path:
            return ""
        if self.line <= 0:
            return self.path
        return (
            f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"
        )

    def render(self) -> str:
        where = self.location()
        lines = [f"{where}: {self.message}" if where else self.message]
        if self.source is not None and self.line > 0 and not shows_source_of(self.path):
            lines.append(f"    (not shown: {self.path} is outside the repo root)")
        elif self.source is not None and self.line > 0:
            source_lines = self.source.splitlines()
            if self.line <= len(source_lines):
                text = source_lines[self.line - 1].expandtabs(1)
                lines.append(f"    {text}")
                lines.append("    " + " " * max(self.column - 1, 0) + "^")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class ErrorGroup(ProofgateError):
    """Several errors found in one pass (all are reported, not just the first)."""

    def __init__(self, errors: list[ProofgateError]) -> None:
        super().__init__(errors[0].message if errors else "errors")
        self.errors = errors

    def render(self) -> str:
        return "\n".join(error.render() for error in self.errors)
