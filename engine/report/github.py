"""GitHub Actions annotations: one workflow command per finding, then a summary line.

``::error file=README.md,line=4,col=9,endLine=4,endColumn=23,title=RULE::message``
(``warning`` and ``notice`` for the lower severities). Values are escaped as
GitHub's toolkit escapes them, so text from the checked files can neither
break a command nor start a new one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.finding import Finding
    from ..core.result import CheckResult

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """A command's message: ``%``, CR and LF percent-encoded."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command property's value: also ``:`` and ``,``, which separate properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """The workflow command that annotates one finding (its fix on a second line)."""
    properties = {
        "file": finding.path,
        "line": finding.line,
        "col": finding.column,
        "endLine": finding.end_line,
        "endColumn": finding.end_column,
        "title": finding.rule,
    }
    fields = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    message = f"{finding.message}\nfix: {finding.fix}" if finding.fix else finding.message
    return f"::{COMMANDS.get(finding.severity, 'warning')} {fields}::{escape_data(message)}"


def render(
    result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
    lines = [annotation(finding) for finding in result.findings]
    notes = result.report_notes()
    lines += [f"note: {escape_data(note)}" for note in notes]
    errors, warnings = result.count("error"), result.count("warning")
    lines.append(
        f"proofgate: {len(result.findings)} finding(s) ({errors} error(s), {warnings} warning(s))"
        f" in {result.files} file(s) checked"
    )
    return "\n".join(lines) + "\n"
