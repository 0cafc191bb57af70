"""Find the repo root and the files to check, honouring .gitignore.

Binary files, files over the size limit, symlinks that leave the root, loop
or point nowhere, and directories that cannot be listed are skipped with a
note; nothing outside the root is read. Git runs with the repo's
``core.fsmonitor`` switched off and ignores bare repositories found inside the
tree: a repo's own config never runs a command.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ProofgateError

MAX_FILE_BYTES = 8 << 20
_SNIFF_BYTES = 8192
# ``core.fsmonitor`` names a command git runs on ls-files: never the repo's. A bare
# repository committed inside the checked tree (HEAD, config, objects/ in a folder)
# is never taken for the repo, so its config is never read (docs/security.md).
_GIT = ["git", "-c", "core.fsmonitor=false", "-c", "safe.bareRepository=explicit"]
_GIT_UNREADABLE = re.compile(r"^warning: could not open directory '(.*)': (.*)$", re.MULTILINE)


@dataclass
class FileSet:
    root: Path
    paths: list[str]  # repo-relative, "/" separated, sorted
    notes: list[str] = field(default_factory=list)
    # What git (or the walk) listed under the root, with its notes: another
    # discover() of the same root takes it instead of listing again.
    listing: tuple[list[str], list[str]] | None = field(default=None, repr=False)


ROOT_MARKERS = (".proofgate.toml", "proofs.yaml")


def find_root(explicit: str | None, paths: tuple[str, ...] | list[str] = ()) -> Path:
    """The repo root: ``--root``, else found from where the check looks, as git and
    ruff do. The start is the first of ``paths`` (its directory for a file; ``-``,
    standard input, does not count), else the current directory; the root is
    the git work tree enclosing the start; outside one, the start's nearest
    ancestor (itself included) holding ``.proofgate.toml`` or ``proofs.yaml``
    (searched no higher than the current directory when that holds the
    start), else the current directory when it holds the start (as before
    PATHS were looked at), else the start's directory."""
    if explicit:
        root = Path(explicit)
        if not root.is_dir():
            raise ProofgateError(f"--root {explicit}: not a directory")
        return root.resolve()
    cwd = Path.cwd().resolve()
    start = _start(paths)
    top = _git_top(start or cwd)
    if top is not None:
        return top
    if start is None:
        return cwd
    inside = start == cwd or cwd in start.parents
    for folder in (start, *start.parents):
        if not _owned(folder):
            break  # another user's folder (/tmp ...) chooses nothing, as git's safe.directory
        if any((folder / marker).is_file() for marker in ROOT_MARKERS):
            return folder
        if inside and folder == cwd:
            break  # within the current directory, no higher than it
    return cwd if inside else start


def _owned(folder: Path) -> bool:
    """Whether ``folder`` belongs to the user running proofgate (always, where the
    platform has no owners)."""
    getuid = getattr(os, "getuid", None)
    if getuid is None:
        return True
    try:
        return bool(folder.stat().st_uid == getuid())
    except OSError:
        return False


def _start(paths: tuple[str, ...] | list[str]) -> Path | None:
    """The directory the first existing PATH names or lies in (None without one)."""
    for given in paths:
        if given == "-":
            continue
        path = Path(given)
        if not path.exists():
            path = path.parent
            if not path.is_dir():
                continue
        path = path.resolve()
        return path if path.is_dir() else path.parent
    return None


def _git_top(start: Path) -> Path | None:
    """The git work tree enclosing ``start`` (None outside one, or without git)."""
    try:
        out = subprocess.run(
            [*_GIT, "-C", str(start), "rev-parse", "--show-toplevel"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    top = out.stdout.strip()
    return Path(top).resolve() if out.returncode == 0 and top else None


def _git_files(root: Path, notes: list[str]) -> list[str] | None:
    try:
        out = subprocess.run(
            [
                *_GIT,
                "-C",
                str(root),
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ],
            capture_output=True,
            check=False,
            timeout=60,
            env={**os.environ, "LC_ALL": "C"},  # English warnings, parsed below
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if out.returncode != 0:
        return None
    warnings = out.stderr.decode("utf-8", "replace")
    for directory, reason in _GIT_UNREADABLE.findall(warnings):
        notes.append(_unlisted(directory.rstrip("/"), reason))
    # Paths come relative to ``root``, even when it is a sub-folder of the work tree.
    return [n for n in out.stdout.decode("utf-8", "surrogateescape").split("\0") if n]


def _unlisted(rel: str, reason: str) -> str:
    return f"{rel}/: skipped, cannot list this directory ({reason}): its files are not checked"


def _walk_files(root: Path, notes: list[str]) -> list[str]:
    from pathspec import GitIgnoreSpec

    def unreadable(error: OSError) -> None:
        rel = os.path.relpath(error.filename, root).replace(os.sep, "/")
        notes.append(_unlisted(rel, error.strerror or str(error)))

    found: list[str] = []
    specs: list[tuple[str, GitIgnoreSpec]] = []
    for directory, dirnames, filenames in os.walk(root, onerror=unreadable):
        rel_dir = os.path.relpath(directory, root).replace(os.sep, "/")
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        ignore = Path(directory) / ".gitignore"
        if ignore.is_file():
            try:
                lines = ignore.read_text("utf-8", "replace").splitlines()
                specs.append((rel_dir, GitIgnoreSpec.from_lines(lines)))
            except (OSError, ValueError):
                pass

        def ignored(rel: str) -> bool:
            return any(
                rel.startswith(base) and spec.match_file(rel[len(base) :]) for base, spec in specs
            )

        dirnames[:] = sorted(d for d in dirnames if d != ".git" and not ignored(f"{rel_dir}{d}/"))
        found.extend(f"{rel_dir}{f}" for f in filenames if not ignored(f"{rel_dir}{f}"))
    return found


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


def _target_path(root: Path, target: str) -> Path:
    """A PATH argument: relative to the current directory as users type it, else
    to the root; it must exist and stay inside the root."""
    given = Path(target)
    options = [given] if given.is_absolute() else [Path.cwd() / target, root / target]
    existing = [p.resolve() for p in options if p.exists()]
    if not existing:
        raise ProofgateError(f"{target}: no such file or directory")
    inside = [p for p in existing if _inside(root, p)]
    if not inside:
        raise ProofgateError(f"{target}: outside the repo root {root}")
    return inside[0]


def _symlink_problem(root: Path, path: Path) -> str:
    """Why a symlink cannot be checked (a loop, nowhere, outside the root), or ""."""
    try:
        target = Path(os.path.realpath(path, strict=True))
    except OSError as exc:
        return "a symlink loop" if exc.errno == errno.ELOOP else "a symlink to nothing"
    return "" if _inside(root, target) else "a symlink that leaves the repo root"


def discover(root: Path, targets: list[str], whole: FileSet | None = None) -> FileSet:
    """The files under ``targets`` (default: the whole root), sorted; ``whole``, an
    earlier answer for the same root, saves listing it again."""
    if whole is not None and whole.listing is not None:
        everything, listing_notes = whole.listing
    else:
        listing_notes = []
        listed = _git_files(root, listing_notes)
        everything = listed if listed is not None else _walk_files(root, listing_notes)
    notes = list(listing_notes)
    wanted: list[str] = []
    prefixes: list[str] = []
    for target in targets:
        absolute = _target_path(root, target)
        rel = absolute.relative_to(root).as_posix()
        prefixes.append("" if rel == "." else rel)
    selected = [
        p
        for p in everything
        if not prefixes or any(p == x or p.startswith(x + "/") or x == "" for x in prefixes)
    ]
    base = str(root)
    for rel in sorted(set(selected)):
        full = os.path.join(base, rel)
        try:
            mode = os.lstat(full).st_mode
        except OSError:
            continue
        if stat.S_ISLNK(mode):
            problem = _symlink_problem(root, Path(full))
            if problem:
                notes.append(f"{rel}: skipped, {problem}")
                continue
            if not os.path.isfile(full):
                continue
        elif not stat.S_ISREG(mode):
            continue
        wanted.append(rel)
    return FileSet(root, wanted, notes, (everything, listing_notes))


@dataclass
class FileText:
    """A file's text, or why there is none: a ``note`` (skipped on purpose,
    binary or too large) or an ``error`` at ``line`` (it should have been
    readable: permissions, not UTF-8)."""

    text: str | None
    note: str = ""
    error: str = ""
    line: int = 1


def read_text(root: Path, rel: str) -> FileText:
    """Read a repo file as UTF-8, or UTF-16 when it starts with a UTF-16 BOM (a BOM is dropped)."""
    full = os.path.join(root, rel)  # os, not pathlib: a third of the time on 7,000 files
    try:
        size = os.stat(full).st_size
        if size > MAX_FILE_BYTES:
            return FileText(None, note=f"{rel}: skipped, larger than {MAX_FILE_BYTES >> 20} MiB")
        data = _read_bytes(full, size)
    except OSError as exc:
        return FileText(None, error=f"cannot read: {exc.strerror or exc}")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with its BOM, as Windows saves it
        try:
            return FileText(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            return FileText(None, error=f"not valid UTF-16 (at byte {exc.start})")
    if b"\0" in data[:_SNIFF_BYTES]:
        return FileText(None, note=f"{rel}: skipped, binary file")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return FileText(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return FileText(None, error=f"not valid UTF-8 (byte 0x{data[exc.start]:02x})", line=line)


def _read_bytes(path: str, size: int) -> bytes:
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(descriptor, max(size + 1, 1 << 16)):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(descriptor)
