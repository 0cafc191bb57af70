"""Files shipped with proofgate: the grammar and the policy pack.

In a checkout they live at the top level (``grammar/``, ``policies/``); in an
installed wheel they are packaged as ``engine.grammar`` and
``engine.policies``.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _shipped_dir(package: str, folder: str) -> Path:
    if (_CHECKOUT / "grammar" / "proofgate.lark").is_file():
        return _CHECKOUT / folder
    return Path(str(resources.files(package)))


@functools.cache
def grammar_text() -> str:
    return (_shipped_dir("engine.grammar", "grammar") / "proofgate.lark").read_text("utf-8")


def shipped_policies() -> Path:
    """The directory of the shipped boundary pack."""
    return _shipped_dir("engine.policies", "policies")
