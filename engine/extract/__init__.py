"""Extractors, one module per input kind, and how files are sorted into kinds."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

# Which extractor module reads each file kind.
EXTRACTORS = {
    "markdown": ".markdown",
    "workflow": ".workflow",
    "action": ".workflow",
    "bazelrc": ".bazelrc",
    "nixconf": ".nixconf",
    "flake": ".flake",
    "flake_lock": ".flake",
    "yaml": ".generic",
    "json": ".generic",
    "toml": ".generic",
}

# (kind, patterns on the repo-relative path), first match wins.
_KINDS: list[tuple[str, tuple[str, ...]]] = [
    ("markdown", ("*.md", "*.markdown", "*.mdx")),
    ("workflow", (".github/workflows/*.yml", ".github/workflows/*.yaml")),
    ("action", ("action.yml", "action.yaml", "*/action.yml", "*/action.yaml")),
    ("bazelrc", (".bazelrc", "*/.bazelrc", "*.bazelrc", "bazel.rc", "*/bazel.rc")),
    ("nixconf", ("nix.conf", "*/nix.conf")),
    ("flake", ("flake.nix", "*/flake.nix")),
    ("flake_lock", ("flake.lock", "*/flake.lock")),
    ("yaml", ("*.yml", "*.yaml")),
    ("json", ("*.json",)),
    ("toml", ("*.toml",)),
]

# Documentation formats no extractor reads: their prose goes unjudged, and a
# check's report names them (engine.repo.inputs) rather than passing them over.
UNREAD_DOCS = (".adoc", ".asciidoc", ".rst")


@functools.lru_cache(maxsize=1 << 16)
def kind_of(path: str) -> str:
    """The input kind of a repo-relative path (``other`` when no extractor reads it)."""
    name = path.rsplit("/", 1)[-1]
    for kind, patterns in _KINDS:
        for pattern in patterns:
            target = path if "/" in pattern else name
            if fnmatchcase(target, pattern):
                return kind
    return "other"


def extractor(kind: str) -> Callable[[Any], Any] | None:
    module = EXTRACTORS.get(kind)
    if module is None:
        return None
    function: Callable[[Any], Any] = importlib.import_module(module, __package__).extract
    return function
