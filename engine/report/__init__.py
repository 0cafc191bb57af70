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


def render(name: str, result: CheckResult, color: bool = False) -> str:
    """The report of a check in the named format."""
    module = importlib.import_module(FORMATS[name])
    text: str = module.render(result, color=color)
    return text
