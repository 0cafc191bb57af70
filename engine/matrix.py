"""``proofgate matrix --write``: the proof matrix written into the docs that embed it.

Only the content between the markers is replaced; every byte outside them
(line endings and a byte order mark included) is kept. The matrix itself and
the markers are :mod:`engine.extract.matrix`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .extract.matrix import OPEN, embed, find_regions

_BOM = b"\xef\xbb\xbf"


@dataclass
class WriteResult:
    changed: list[str]  # files rewritten
    current: list[str]  # files with markers already up to date
    unmarked: list[str]  # files without an opening marker, left alone
    unclosed: list[str]  # where an opening marker has no closing one: path:line:column
    notes: list[str]  # files that could not be read or written


def write_matrices(root: Path, paths: list[str], lines: list[str]) -> WriteResult:
    """Put the table ``lines`` between the markers of every file in ``paths``.

    Files without an opening marker are left alone (not even rewritten);
    a byte order mark and every byte outside the regions are kept.
    """
    from .repo.discover import read_text

    result = WriteResult([], [], [], [], [])
    for rel in paths:
        read = read_text(root, rel)
        if read.text is None:
            result.notes.append(read.note or f"{rel}:{read.line}: {read.error}")
            continue
        text = read.text
        if OPEN not in text:
            result.unmarked.append(rel)
            continue
        regions = find_regions(text)
        result.unclosed += [f"{rel}:{r.line}:{r.column}" for r in regions if not r.closed]
        if not any(region.closed for region in regions):
            continue
        updated = embed(text, lines)
        if updated == text:
            result.current.append(rel)
            continue
        full = root / rel
        try:
            with full.open("rb") as handle:
                bom = _BOM if handle.read(len(_BOM)) == _BOM else b""
            full.write_bytes(bom + updated.encode("utf-8"))
        except OSError as exc:
            result.notes.append(f"{rel}: cannot write: {exc.strerror or exc}")
            continue
        result.changed.append(rel)
    return result


def resolve_files(root: Path, files: list[str]) -> list[str]:
    """Repo-relative paths of FILES given on the command line (from the current
    directory, else from the root); each must be a file inside the root."""
    from .core.errors import ProofgateError

    found = []
    for name in files:
        path = Path(name)
        if not path.is_absolute():
            path = Path.cwd() / name if (Path.cwd() / name).exists() else root / name
        if not path.is_file():
            raise ProofgateError(f"{name}: no such file")
        try:
            found.append(path.resolve().relative_to(root).as_posix())
        except ValueError:
            raise ProofgateError(f"{name}: outside the repo root {root}") from None
    return list(dict.fromkeys(found))


def marked_files(root: Path) -> list[str]:
    """The Markdown files under ``root`` (as ``proofgate check`` finds them) with a marker."""
    from .extract import kind_of
    from .repo.discover import discover, read_text

    found = []
    for rel in discover(root, []).paths:
        if kind_of(rel) == "markdown":
            text = read_text(root, rel).text
            if text is not None and OPEN in text:
                found.append(rel)
    return found
