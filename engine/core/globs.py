"""Gitignore-style path globs, as policies and the configuration write them."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec


@functools.cache
def path_spec(patterns: tuple[str, ...]) -> GitIgnoreSpec:
    """A compiled gitignore-style matcher, one per set of globs."""
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines(patterns)


def selected(path: str, paths: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Whether ``path`` is among ``paths`` (all paths when empty) and not in ``exclude``."""
    if paths and not path_spec(paths).match_file(path):
        return False
    return not (exclude and path_spec(exclude).match_file(path))


def glob_error(glob: str) -> str | None:
    """Why ``glob`` is not a valid gitignore-style glob (None when it is)."""
    from pathspec import GitIgnoreSpec

    try:
        GitIgnoreSpec.from_lines([glob])
    except ValueError as exc:
        return str(exc)
    return None
