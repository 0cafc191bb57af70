"""The text report: findings grouped by file, then notes and a summary line
(``quiet``: the findings only); and ``--statistics``, the count per rule."""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import TYPE_CHECKING

from ..core.jsontext import pretty
from ..core.result import NO_LEDGER
from ..core.text import plural

if TYPE_CHECKING:
    from ..core.result import CheckResult

_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_BOLD, _DIM, _RESET = "\033[1m", "\033[2m", "\033[0m"


def render(
    result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
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
    if quiet:
        return "\n".join(lines) + "\n" if lines else ""
    for note in result.notes:
        lines.append(paint(f"note: {note}", _DIM))
    if result.suppressed:
        hidden = plural(result.suppressed, "finding")
        lines.append(paint(f"note: {hidden} suppressed by proofgate-ignore comments", _DIM))
    if not result.ledger_present:
        lines.append(paint(f"note: {NO_LEDGER}", _DIM))
    lines.append(paint(summary_line(result), _BOLD))
    return "\n".join(lines) + "\n"


def summary_line(result: CheckResult) -> str:
    errors, warnings, infos = (result.count(s) for s in ("error", "warning", "info"))
    fixed = "" if result.fixed is None else f"; {result.fixed} fixed, {len(result.findings)} remain"
    return (
        f"{plural(len(result.findings), 'finding')} "
        f"({plural(errors, 'error')}, {plural(warnings, 'warning')}, {infos} info) "
        f"in {plural(result.files, 'file')} checked{fixed}"
    )


def render_statistics(result: CheckResult, fmt: str = "text", color: bool = False) -> str:
    """``check --statistics``: how many findings each rule has, most first (as ruff's)."""
    counts = Counter(f.rule for f in result.findings)
    severity = {f.rule: f.severity for f in result.findings}
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if fmt == "json":
        table = [{"rule": r, "severity": severity[r], "count": n} for r, n in rows]
        return pretty({"version": 1, "statistics": table, "findings": len(result.findings)})
    width = max((len(str(n)) for _, n in rows), default=1)
    lines = [
        f"{str(n).rjust(width)}  {severity[r].ljust(7)}  {r}"
        if not color
        else f"{str(n).rjust(width)}  {_COLORS.get(severity[r], '')}{severity[r].ljust(7)}"
        f"{_RESET}  {r}"
        for r, n in rows
    ]
    lines.append(f"{plural(len(result.findings), 'finding')} in {plural(len(rows), 'rule')}")
    return "\n".join(lines) + "\n"
