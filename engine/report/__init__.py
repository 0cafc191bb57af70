"""Output formats, one module per format, chosen by name."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.result import CheckResult

FORMATS = {
    "text": ".text",
    "json": ".json",
    "sarif": ".sarif",
    "github": ".github",
    "junit": ".junit",
}


def render(
    name: str, result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
    """The report of a check in the named format; ``fail_on`` is the lowest severity
    that fails the check (JUnit marks only those findings as failures); ``quiet``
    leaves the text report's notes and summary out."""
    module = importlib.import_module(FORMATS[name], __package__)
    text: str = module.render(result, color=color, fail_on=fail_on, quiet=quiet)
    return text
