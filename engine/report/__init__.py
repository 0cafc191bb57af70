"""Output formats, one module per format, chosen by name."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.core.result import CheckResult

FORMATS = {
    "text": "engine.report.text",
    "json": "engine.report.json",
    "sarif": "engine.report.sarif",
    "github": "engine.report.github",
    "junit": "engine.report.junit",
}


def render(
    name: str, result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
    """The report of a check in the named format; ``fail_on`` is the lowest severity
    that fails the check (JUnit marks only those findings as failures); ``quiet``
    leaves the text report's notes and summary out."""
    module = importlib.import_module(FORMATS[name])
    text: str = module.render(result, color=color, fail_on=fail_on, quiet=quiet)
    return text
