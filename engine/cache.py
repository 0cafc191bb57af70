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

The repo's cache lies in the checked tree, which a pull request controls
(docs/security.md), so nothing read from either cache is trusted as such:

- every entry carries an HMAC-SHA256 of its namespace (repo or user cache),
  kind, key and pickled value under a secret key of the user's
  (:func:`secret`, created on first use in the user's cache directory, mode
  0600); the MAC is checked with :func:`hmac.compare_digest` before anything
  is unpickled, and an entry that fails it is a miss (and is overwritten).
  Without the key (a read-only home) there is no cache at all, never an
  unauthenticated one;
- the database is opened with ``trusted_schema`` off and ``cell_size_check``
  on, and its schema must be exactly proofgate's two tables: a trigger, a
  view or any other object gets the file discarded and created afresh;
- a cache directory, database, journal or ``.gitignore`` that is a symlink
  (or not a plain file or directory) turns the cache off: nothing is written
  through it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import importlib.util
import os
import pickle
import stat
import sys
import time
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
# The user's secret that authenticates every entry, in the user's cache directory.
KEY_FILE = "cache.key"
_KEY_BYTES = 32
_MAC_BYTES = hashlib.sha256().digest_size
# The schema, exactly: anything else in sqlite_master gets the file discarded.
_TABLES = {
    "entries": "CREATE TABLE entries ("
    "kind TEXT, key TEXT, value BLOB, run INTEGER, PRIMARY KEY (kind, key))",
    "meta": "CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER)",
}
_SCHEMA = {
    *(("table", name, sql) for name, sql in _TABLES.items()),
    ("index", "sqlite_autoindex_entries_1", None),
    ("index", "sqlite_autoindex_meta_1", None),
}


@functools.cache
def fingerprint() -> str:
    """A digest of proofgate's own files and of the libraries its results come from."""
    digest = hashlib.blake2b(sys.version.encode(), digest_size=16)
    roots = [Path(__file__).parent]  # the package: cache.py sits at its top
    from .core.resources import grammar_text

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
    The user's cache (``ignored`` false) and a repo's cache authenticate their
    entries under different namespaces, so an entry cannot move between them.
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self._db: Any = None
        self._pending: list[tuple[str, str, bytes]] = []
        self._used: list[tuple[str, str]] = []
        self._secret = b""
        self._namespace = b""
        if directory is None:
            return
        ignored = directory.name == DIRECTORY
        found = secret()
        if found is None:  # no key, no cache: never an unauthenticated one
            return
        self._secret = found
        self._namespace = b"repo" if ignored else b"user"
        self._db = _open(directory, ignored=ignored)

    @property
    def enabled(self) -> bool:
        return self._db is not None

    def _mac(self, kind: str, entry: str, blob: bytes) -> bytes:
        mac = hmac.new(self._secret, digestmod=hashlib.sha256)
        for part in (self._namespace, kind.encode(), entry.encode(), blob):
            mac.update(len(part).to_bytes(8, "little"))
            mac.update(part)
        return mac.digest()

    def get(self, kind: str, entry: str) -> Any:
        """The value stored under ``kind``/``entry``, or None (also when the entry
        does not carry this user's MAC: it is never unpickled)."""
        if self._db is None:
            return None
        try:
            row = self._db.execute(
                "SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, entry)
            ).fetchone()
            if row is None or not isinstance(row[0], bytes):
                return None
            stored = row[0]
            mac, blob = stored[:_MAC_BYTES], stored[_MAC_BYTES:]
            if not hmac.compare_digest(mac, self._mac(kind, entry, blob)):
                return None  # planted or foreign: a miss, overwritten by this run's put
            value = pickle.loads(blob)
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
            self._pending.append((kind, entry, self._mac(kind, entry, blob) + blob))

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


def user_cache_directory() -> Path:
    """``$XDG_CACHE_HOME/proofgate``, else ``~/.cache/proofgate``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "proofgate")


def secret() -> bytes | None:
    """The user's cache key (created on first use), or None when it cannot be had."""
    return _secret(user_cache_directory())


@functools.cache
def _secret(directory: Path) -> bytes | None:
    """The key in ``directory``/:data:`KEY_FILE`: 32 random bytes, mode 0600, in a
    directory of mode 0700. Two processes that create it at once agree on one
    (``O_EXCL``: the loser reads the winner's). A key that is a symlink, not a
    plain file of the user's, or readable by others is not used."""
    try:
        _private_directory(directory)
    except OSError:
        return None
    path = directory / KEY_FILE
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0), 0o600)
    except FileExistsError:
        return _read_secret(path)
    except OSError:
        return None
    key_bytes = os.urandom(_KEY_BYTES)
    try:
        try:
            os.write(descriptor, key_bytes)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError:
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return key_bytes


def _private_directory(directory: Path) -> None:
    """Create ``directory`` (and its parents) with mode 0700; tighten it when it is ours."""
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise NotADirectoryError(str(directory))
    if info.st_mode & 0o077 and info.st_uid == os.geteuid():
        os.chmod(directory, 0o700)


def _read_secret(path: Path) -> bytes | None:
    """A key another process created; wait a moment for its bytes (its creator
    writes them right after creating the file)."""
    for _ in range(50):
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return None
        try:
            info = os.fstat(descriptor)
            if (
                not stat.S_ISREG(info.st_mode)
                or info.st_uid != os.geteuid()
                or info.st_mode & 0o077
            ):
                return None
            data = os.read(descriptor, _KEY_BYTES + 1)
        except OSError:
            return None
        finally:
            os.close(descriptor)
        if len(data) == _KEY_BYTES:
            return data
        if len(data) > _KEY_BYTES:
            return None
        time.sleep(0.02)
    return None


def _plain(path: Path, kind: int) -> bool:
    """Whether ``path`` is absent or, unfollowed, of file type ``kind`` (not a symlink)."""
    try:
        return stat.S_IFMT(os.lstat(path).st_mode) == kind
    except FileNotFoundError:
        return True
    except OSError:
        return False


def _files(directory: Path) -> list[Path]:
    return [directory / (_DATABASE + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def _open(directory: Path, ignored: bool) -> Any:
    """The database in ``directory`` (created, with a .gitignore when ``ignored``), or None.

    A file that is not a database (truncated, overwritten) or whose schema is
    not exactly proofgate's is replaced. A directory or file that is a symlink
    turns the cache off: nothing is followed out of the directory.
    """
    import sqlite3

    try:
        if ignored:
            if not _plain(directory, stat.S_IFDIR):
                return None
            directory.mkdir(parents=True, exist_ok=True)
        else:
            _private_directory(directory)
        if not _plain(directory, stat.S_IFDIR):
            return None
        if ignored:
            _write_gitignore(directory / ".gitignore")
    except OSError:
        return None
    for attempt in range(2):
        if not all(_plain(path, stat.S_IFREG) for path in _files(directory)):
            return None
        db = None
        try:
            db = sqlite3.connect(directory / _DATABASE, timeout=5)
            db.execute("PRAGMA trusted_schema = OFF")
            db.execute("PRAGMA cell_size_check = ON")
            found = set(db.execute("SELECT type, name, sql FROM sqlite_master").fetchall())
            if found and found != _SCHEMA:
                raise sqlite3.DatabaseError("not proofgate's schema")
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            for sql in _TABLES.values():
                db.execute(sql.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS", 1))
            db.commit()
            return db
        except sqlite3.OperationalError:  # locked too long, read-only: no cache this run
            if db is not None:
                db.close()
            return None
        except sqlite3.DatabaseError:  # not a database, or not ours: start afresh
            if db is not None:
                db.close()
            if attempt:
                return None
            try:
                for path in _files(directory):
                    path.unlink(missing_ok=True)
            except OSError:
                return None
    return None


def _write_gitignore(path: Path) -> None:
    """The cache directory's own .gitignore, created (never through a symlink) when absent."""
    if not _plain(path, stat.S_IFREG):
        raise OSError(f"{path}: not a plain file")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        descriptor = os.open(path, flags, 0o644)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "w") as file:
        file.write("# Created by proofgate: its cache, never committed.\n*\n")


def open_cache(root: Path, enabled: bool = True) -> Cache:
    """The cache of the repo at ``root`` (disabled when ``enabled`` is false)."""
    return Cache(root / DIRECTORY if enabled else None)


def open_user_cache(enabled: bool = True) -> Cache:
    """The user's cache, for entries that hold nothing of a repo (disabled when
    ``enabled`` is false)."""
    return Cache(user_cache_directory() if enabled else None)
