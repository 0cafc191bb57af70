"""``proofgate check --fix`` and ``--diff``: the edits findings carry, applied to the files.

Edits are spans of the file's original text (``engine.core.finding.Edit``),
applied as they are: every byte outside them (comments, quoting, indentation,
line endings, a byte order mark) is kept; a file is never parsed and dumped
again. A finding's edits apply together or not at all; a finding whose edits
overlap those of one applied before it in the file (by position) is skipped
and left for the next pass, after a re-check (:data:`MAX_PASSES`).

The repo is untrusted: only regular UTF-8 files inside the root are written,
reached without a symlink (a symlinked file or folder is skipped with a
note), each through a temporary file in its folder that replaces it in one
step, keeping its permission bits.
"""

from __future__ import annotations

import difflib
import itertools
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .core.finding import Edit, Finding

# Passes of --fix: apply what does not overlap, re-check, apply again (ruff: 100).
MAX_PASSES = 10
_BOM = b"\xef\xbb\xbf"
_NO_EOL = "\\ No newline at end of file"


@dataclass
class FileFix:
    """The fixes of one file: its text before and after, the findings fixed and skipped."""

    path: str
    before: str
    after: str
    bom: bool = False
    fixed: list[Finding] = field(default_factory=list)
    skipped: list[Finding] = field(default_factory=list)  # overlapping: the next pass


@dataclass
class FixPlan:
    files: list[FileFix] = field(default_factory=list)  # files whose text changes
    notes: list[str] = field(default_factory=list)  # files that cannot be fixed, and why

    @property
    def fixed(self) -> int:
        return sum(len(file.fixed) for file in self.files)

    def diff(self) -> str:
        """A unified diff of every change (``a/`` and ``b/`` paths, as git writes them)."""
        out: list[str] = []
        for file in self.files:
            lines = difflib.unified_diff(
                file.before.splitlines(keepends=True),
                file.after.splitlines(keepends=True),
                f"a/{file.path}",
                f"b/{file.path}",
            )
            # a line without a line break (a file's last) is marked, as diff(1) does
            out += [
                line if line.splitlines()[0] != line else f"{line}\n{_NO_EOL}\n" for line in lines
            ]
        return "".join(out)


def plan(root: Path, findings: Iterable[Finding]) -> FixPlan:
    """What applying the findings' edits would change (nothing is written)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        if finding.edits:
            by_path.setdefault(finding.path, []).append(finding)
    result = FixPlan()
    for path, group in sorted(by_path.items()):
        try:
            data = _read(root, path)
            text = data.removeprefix(_BOM).decode("utf-8")
        except (OSError, ValueError) as exc:
            result.notes.append(f"{path}: not fixed: {_reason(exc)}")
            continue
        after, fixed, skipped = apply_edits(text, group)
        if after != text:
            result.files.append(FileFix(path, text, after, data.startswith(_BOM), fixed, skipped))
    return result


def write(root: Path, fixes: FixPlan) -> list[str]:
    """Write every changed file; the notes of those that could not be written."""
    notes: list[str] = []
    for file in fixes.files:
        try:
            _write(root, file.path, (_BOM if file.bom else b"") + file.after.encode("utf-8"))
        except OSError as exc:
            notes.append(f"{file.path}: not fixed: {_reason(exc)}")
            file.fixed.clear()
    return notes


@dataclass
class FixRun:
    """What ``check --fix`` did: the findings it fixed over every pass, the files it
    wrote, the notes of files it could not fix, and whether the last pass found
    nothing more to fix (else :data:`MAX_PASSES` ran out)."""

    fixed: list[Finding] = field(default_factory=list)
    written: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    settled: bool = False


def fix(root: Path, findings: list[Finding], recheck: Callable[[], list[Finding]]) -> FixRun:
    """Apply the fixes, check again (``recheck``: the findings now), and again while a
    pass fixes something: fixes that overlapped one applied wait for the next pass."""
    done = FixRun()
    for _ in range(MAX_PASSES):
        planned = plan(root, findings)
        done.notes += [note for note in planned.notes if note not in done.notes]
        done.notes += [note for note in write(root, planned) if note not in done.notes]
        fixed = [finding for file in planned.files for finding in file.fixed]
        if not fixed:
            done.settled = True
            break
        done.fixed += fixed
        done.written |= {file.path for file in planned.files if file.fixed}
        findings = recheck()
    return done


# --- applying edits to a text ---------------------------------------------------------


def apply_edits(text: str, findings: list[Finding]) -> tuple[str, list[Finding], list[Finding]]:
    """``text`` with the edits of ``findings`` applied, the findings fixed and those
    skipped (an edit outside the text, or overlapping one applied before it)."""
    offsets = _Offsets(text)
    chosen: list[tuple[int, int, str]] = []
    fixed: list[Finding] = []
    skipped: list[Finding] = []
    planned = [(offsets.edits(f.edits), f) for f in findings]
    planned.sort(key=lambda item: (item[0][0][:2] if item[0] else (-1, -1), item[1]))
    for edits, finding in planned:
        if not edits or _overlapping([*chosen, *edits]):
            skipped.append(finding)
            continue
        chosen.extend(edits)
        fixed.append(finding)
    for start, end, new in sorted(chosen, reverse=True):
        text = text[:start] + new + text[end:]
    return text, fixed, skipped


class _Offsets:
    """Offsets of (line, column) positions in a text, lines split at ``\\n``."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        self.lengths: list[int] = []
        for line in text.split("\n"):
            self.lengths.append(len(line))
            self.starts.append(self.starts[-1] + len(line) + 1)

    def offset(self, line: int, column: int) -> int | None:
        if not (1 <= line <= len(self.lengths) and 1 <= column <= self.lengths[line - 1] + 1):
            return None
        return self.starts[line - 1] + column - 1

    def edits(self, edits: tuple[Edit, ...]) -> list[tuple[int, int, str]]:
        """The edits as (start, end, text), sorted; empty when one lies outside the text."""
        out = []
        for edit in edits:
            start = self.offset(edit.line, edit.column)
            end = self.offset(edit.end_line, edit.end_column)
            if start is None or end is None or start > end:
                return []
            out.append((start, end, edit.text))
        return sorted(out)


def _overlapping(edits: list[tuple[int, int, str]]) -> bool:
    """Whether two edits touch the same text: ranges that intersect, two insertions
    at one point, or an insertion strictly inside a replaced range."""
    ordered = sorted(edits)
    for (s1, e1, _), (s2, e2, _) in itertools.pairwise(ordered):
        if s2 < e1 or (s1 == e1 == s2 == e2):
            return True
    return False


# --- reading and writing inside the root -----------------------------------------------


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "not UTF-8"
    if isinstance(exc, OSError):
        return str(exc.strerror or exc)
    return str(exc)


def _inside(root: Path, rel: str) -> Path:
    """``root/rel``, reached without a symlink: every folder on the way and the file
    itself are checked (``lstat``), so a link never leads a write out of the root."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or any(p in ("..", ".") for p in parts):
        raise OSError(f"not a path inside the repo: {rel}")
    path = root
    for part in parts:
        path = path / part
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            raise OSError(f"a symlink ({path.relative_to(root).as_posix()}) is not followed")
    if not stat.S_ISREG(mode):
        raise OSError("not a regular file")
    return path


def read_text(root: Path, rel: str) -> str:
    """A file inside the root as UTF-8 (a byte order mark dropped), read as fixes
    read it: never through a symlink (OSError, or ValueError when not UTF-8)."""
    return _read(root, rel).removeprefix(_BOM).decode("utf-8")


def _read(root: Path, rel: str) -> bytes:
    path = _inside(root, rel)
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read()


def _write(root: Path, rel: str, data: bytes) -> None:
    """Replace the file in one step: a temporary file in its folder, renamed over it."""
    path = _inside(root, rel)
    mode = stat.S_IMODE(os.lstat(path).st_mode)
    descriptor, temporary = tempfile.mkstemp(prefix=".proofgate-fix-", dir=path.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        _inside(root, rel)  # still no symlink where the file is
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
