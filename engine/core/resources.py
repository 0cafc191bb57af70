"""Files shipped with proofgate: the grammar and the policy pack.

In a checkout they live at the top level (``grammar/``, ``policies/``); in an
installed wheel they are packaged as ``engine.grammar`` and
``engine.policies``.
"""

from __future__ import annotations

import functools
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # engine/
_CHECKOUT = _PACKAGE.parent


def _shipped_dir(folder: str) -> Path:
    if (_CHECKOUT / "grammar" / "proofgate.lark").is_file():
        return _CHECKOUT / folder
    return _PACKAGE / folder  # installed: package data under engine/


@functools.cache
def grammar_text() -> str:
    return (_shipped_dir("grammar") / "proofgate.lark").read_text("utf-8")


def shipped_policies() -> Path:
    """The directory of the shipped boundary pack."""
    return _shipped_dir("policies")


BUILTIN = "builtin"  # the shipped pack's name wherever a policy directory goes


def policy_location(name: str, base: Path | None = None) -> Path:
    """A policy directory as named on the command line or in a configuration:
    ``builtin`` is the shipped pack (a directory called so is ``./builtin``),
    anything else a path, relative to ``base`` when given."""
    if name == BUILTIN:
        return shipped_policies()
    return base / name if base is not None else Path(name)
