"""The text report: findings grouped by file, then a summary line."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from engine.core.text import plural

if TYPE_CHECKING:
    from engine.core.result import CheckResult

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(result: CheckResult, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    for path, group in groupby(result.findings, key=lambda f: f.path):
        lines.append(paint(path, _BOLD))
        for f in group:
            where = f"{path}:{f.line}:{f.column}"
            severity = paint(f.severity, _COLORS.get(f.severity, ""))
            lines.append(f"  {where}  {severity}  {f.rule}  {f.message}")
            if f.fix:
                lines.append(paint(f"      fix: {f.fix}", _DIM))
        lines.append("")
    for note in result.notes:
        lines.append(paint(f"note: {note}", _DIM))
    if result.suppressed:
        hidden = plural(result.suppressed, "finding")
        lines.append(paint(f"note: {hidden} suppressed by proofgate-ignore comments", _DIM))
    if not result.ledger_present:
        lines.append(paint("note: no proof ledger found, so nothing counts as proved", _DIM))
    errors, warnings, infos = (result.count(s) for s in ("error", "warning", "info"))
    summary = (
        f"{plural(len(result.findings), 'finding')} "
        f"({plural(errors, 'error')}, {plural(warnings, 'warning')}, {infos} info) "
        f"in {plural(result.files, 'file')} checked"
    )
    lines.append(paint(summary, _BOLD))
    return "\n".join(lines) + "\n"
