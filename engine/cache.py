"""The content-addressed caches: ``<repo>/.proofgate_cache/`` and, for what does
not depend on a repo, ``$XDG_CACHE_HOME/proofgate/`` (``~/.cache/proofgate/``).

Four kinds of entry, each keyed by a hash of everything its value depends on:

- ``pack`` (in the user's cache, shared by every repo): the parsed, checked and
  compiled policies, regopy's compiled bundle of them and the prescreen's
  hyperscan databases, keyed by the policy files' paths and contents;
- ``extract``: one file's extracted records, keyed by its path, kind and
  content;
- ``ledger``: the loaded proof ledger, keyed by its path and text, the date and
  the repo root, and used only while each evidence path it names exists (or
  not) as it did;
- ``result``: a whole check's result, keyed by the pack, the configuration,
  the options, and the path and content of every file the check reads.

Every key also holds :func:`fingerprint`: the size and modification time of
each source file of proofgate and of the libraries whose output it keeps, so
an upgrade or an edit of proofgate never meets entries of another version.
An entry is only ever found again for identical inputs, so the cache cannot
make findings stale; it is an SQLite database (one file, safe when hooks run
at the same time). Any problem with it (a read-only repo, a corrupt file)
turns it off for the run; it never fails a check. ``--no-cache`` bypasses both.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import os
import pickle
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

DIRECTORY = ".proofgate_cache"
_DATABASE = "cache.sqlite3"
# Whose code decides what proofgate extracts and finds, besides its own.
_LIBRARIES = (
    "regopy",
    "pyromark",
    "regex",
    "yaml",
    "lark",
    "tree_sitter_nix",
    "tomllib",
    "hyperscan",
)
# Entries not used for this many runs are dropped (a run touches what it uses).
_KEEP_RUNS = 20


@functools.cache
def fingerprint() -> str:
    """A digest of proofgate's own files and of the libraries its results come from."""
    import engine

    digest = hashlib.blake2b(sys.version.encode(), digest_size=16)
    roots = [Path(engine.__file__).parent]
    from engine.core.resources import grammar_text

    digest.update(grammar_text().encode())
    for name in _LIBRARIES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.origin:
            roots.append(Path(spec.origin))
    for root in roots:
        for path in sorted(_source_files(root)):
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _source_files(root: Path) -> Iterable[Path]:
    if root.is_file():
        yield root
        return
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != "__pycache__"]
        for name in filenames:
            if name.endswith((".py", ".lark", ".policy", ".so")):
                yield Path(directory, name)


def key(*parts: bytes | str) -> str:
    """A hash of ``parts`` and the fingerprint, as a cache key."""
    digest = hashlib.blake2b(fingerprint().encode(), digest_size=20)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


class Cache:
    """Entries by kind and key; writes are kept until :meth:`close`.

    ``Cache(None)`` is the disabled cache: it finds nothing and keeps nothing.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._db: Any = None
        self._pending: list[tuple[str, str, bytes]] = []
        self._used: list[tuple[str, str]] = []
        if directory is not None:
            self._db = _open(directory, ignored=directory.name == DIRECTORY)

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def get(self, kind: str, entry: str) -> Any:
        """The value stored under ``kind``/``entry``, or None."""
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, entry)
            ).fetchone()
            if row is None:
                return None
            value = pickle.loads(row[0])
        except Exception:
            return None
        self._used.append((kind, entry))
        return value

    def put(self, kind: str, entry: str, value: Any) -> None:
        """Store ``value`` (pickled now, so later changes to it are not kept)."""
        if self._db is not None:
            self.put_pickled(kind, entry, pickle.dumps(value, pickle.HIGHEST_PROTOCOL))

    def put_pickled(self, kind: str, entry: str, blob: bytes) -> None:
        """Store a value pickled already (by a worker process)."""
        if self._db is not None:
            self._pending.append((kind, entry, blob))

    def close(self) -> None:
        """Write what was put, mark what was used, drop long-unused entries."""
        db, self._db = self._db, None
        if db is None:
            return
        try:
            with db:
                db.execute("INSERT OR IGNORE INTO meta VALUES ('runs', 0)")
                db.execute("UPDATE meta SET value = value + 1 WHERE name = 'runs'")
                run = db.execute("SELECT value FROM meta WHERE name = 'runs'").fetchone()[0]
                db.executemany(
                    "INSERT OR REPLACE INTO entries (kind, key, value, run) VALUES (?, ?, ?, ?)",
                    [(kind, entry, value, run) for kind, entry, value in self._pending],
                )
                db.executemany(
                    "UPDATE entries SET run = ? WHERE kind = ? AND key = ?",
                    [(run, kind, entry) for kind, entry in self._used],
                )
                db.execute("DELETE FROM entries WHERE run < ?", (run - _KEEP_RUNS,))
        except Exception:
            pass
        finally:
            db.close()


def _open(directory: Path, ignored: bool) -> Any:
    """The database in ``directory`` (created, with a .gitignore when ``ignored``), or None.

    A file that is not a database (truncated, overwritten) is replaced.
    """
    import sqlite3

    try:
        directory.mkdir(parents=True, exist_ok=True)
        ignore = directory / ".gitignore"
        if ignored and not ignore.exists():
            ignore.write_text("# Created by proofgate: its cache, never committed.\n*\n")
    except OSError:
        return None
    for attempt in range(2):
        try:
            db = sqlite3.connect(directory / _DATABASE, timeout=5)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS entries ("
                "kind TEXT, key TEXT, value BLOB, run INTEGER, PRIMARY KEY (kind, key))"
            )
            db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER)")
            db.commit()
            return db
        except sqlite3.OperationalError:  # locked too long, read-only: no cache this run
            return None
        except sqlite3.DatabaseError:  # not a database: start afresh
            if attempt:
                return None
            with contextlib.suppress(OSError):
                for suffix in ("", "-wal", "-shm"):
                    (directory / (_DATABASE + suffix)).unlink(missing_ok=True)
    return None


def open_cache(root: Path, enabled: bool = True) -> Cache:
    """The cache of the repo at ``root`` (disabled when ``enabled`` is false)."""
    return Cache(root / DIRECTORY if enabled else None)


def open_user_cache(enabled: bool = True) -> Cache:
    """The user's cache, for entries that hold nothing of a repo (disabled when
    ``enabled`` is false)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Cache(Path(base, "proofgate") if enabled else None)
