"""Whether a proof's evidence path exists in the repo, without importing the ledger
schema: a ledger taken from the cache is checked against the files again
(:func:`same_evidence`)."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath
from typing import Any

MAX_LINKS = 40


def exists_inside(repo_root: Path, relative: str) -> bool:
    """Whether ``relative`` names an existing file or directory inside ``repo_root``.

    Symlinks are resolved one component at a time and only while they stay
    inside the root: nothing outside it is ever looked at.
    """
    try:
        root = repo_root.resolve(strict=True)
        return _resolve_inside(root, list(PurePosixPath(relative).parts))
    except (OSError, ValueError):
        return False


def _resolve_inside(root: Path, pending: list[str]) -> bool:
    current, links = root, 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            if current == root:
                return False
            current = current.parent
            continue
        candidate = current / part
        if not stat.S_ISLNK(os.lstat(candidate).st_mode):
            current = candidate
            continue
        links += 1
        target = PurePosixPath(os.readlink(candidate))
        if links > MAX_LINKS or (target.is_absolute() and not target.is_relative_to(root)):
            return False
        if target.is_absolute():
            current, target = root, target.relative_to(root)
        pending[:0] = target.parts
    return True


def same_evidence(value: Any, repo_root: Path) -> bool:
    """True when every proof record in ``value`` (the ledger global, or its
    collections) with a path as evidence still finds it as it did."""
    if isinstance(value, dict):
        path = value.get("evidence_kind") == "path" and "evidence_exists" in value
        if path and exists_inside(repo_root, str(value["evidence"])) != value["evidence_exists"]:
            return False
        return all(same_evidence(item, repo_root) for item in value.values())
    if isinstance(value, list | tuple):
        return all(same_evidence(item, repo_root) for item in value)
    return True
