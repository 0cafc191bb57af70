"""The report of ``proofgate test``: a verdict per case, rule coverage, a summary."""

from __future__ import annotations

from typing import Any

from ..core.jsontext import pretty
from ..core.text import plural, shown_path
from ..policytest.run import CaseResult, Coverage, SuiteReport

# Reports


_GREEN, _RED, _BOLD, _DIM, _RESET = "\033[32m", "\033[31m", "\033[1m", "\033[2m", "\033[0m"


def render(report: SuiteReport, fmt: str = "text", color: bool = False) -> str:
    if fmt == "json":
        return pretty(as_json(report))
    return render_text(report, color)


def render_text(report: SuiteReport, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    for result in report.results:
        verdict = paint("PASS", _GREEN) if result.passed else paint("FAIL", _RED)
        where = "" if result.passed else f"  ({shown_path(result.case.folder.root)})"
        lines.append(f"{verdict} {result.case.folder.id}{where}")
        lines.extend(f"    {line}" for line in diff_lines(result))
    if not report.results:
        lines.append("no cases found")
    lines += ["", paint("coverage (cases with an expected finding of each rule)", _BOLD)]
    lines += coverage_lines(report.coverage)
    lines += ["", paint(summary_line(report), _BOLD)]
    return "\n".join(lines) + "\n"


def diff_lines(result: CaseResult) -> list[str]:
    """``-`` expected but not reported, ``+`` reported but not expected, ``!`` a fix
    that does not give the case's ``.fixed`` file."""
    entries: list[tuple[str, int, str, str, str]] = []
    for e in result.missing:
        entries.append((e.path, e.line, "-", e.lines, f"{e.rule}  (expected at {e.origin})"))
    for u in result.unexpected:
        f = u.finding
        why = f"ok at {u.ok.origin}: " if u.ok else ""
        entries.append((f.path, f.line, "+", str(f.line), f"{f.rule}  ({why}{f.message})"))
    lines = [f"{sign} {path}:{lines} {text}" for path, _, sign, lines, text in sorted(entries)]
    return lines + [f"! {problem}" for problem in result.fix_problems]


def coverage_lines(table: list[Coverage]) -> list[str]:
    lines: list[str] = []
    for entry in table:
        lines.append(f"  {entry.policy}: {plural(entry.cases, 'case')}")
        width = max((len(rule) for rule in entry.rules), default=0)
        for rule, count in entry.rules.items():
            mark = "  not exercised" if count == 0 else ""
            lines.append(f"    {rule.ljust(width)}  {count}{mark}")
    unexercised = sum(len(entry.unexercised) for entry in table)
    total = sum(len(entry.rules) for entry in table)
    lines.append(f"  {unexercised} of {plural(total, 'rule')} not exercised by any case")
    return lines


def summary_line(report: SuiteReport) -> str:
    total = len(report.results)
    text = f"{plural(total, 'case')}: {total - report.failed} passed, {report.failed} failed"
    per_policy = [
        f"{policy} {counts['expect']} expect, {counts['ok']} ok"
        for policy, counts in report.annotations.items()
    ]
    return text + (f" ({'; '.join(per_policy)})" if per_policy else "")


def as_json(report: SuiteReport) -> dict[str, Any]:
    return {
        "version": 1,
        "cases": [_case_json(r) for r in report.results],
        "coverage": [
            {
                "policy": c.policy,
                "cases": c.cases,
                "rules": c.rules,
                "unexercised": c.unexercised,
            }
            for c in report.coverage
        ],
        "summary": {
            "cases": len(report.results),
            "passed": len(report.results) - report.failed,
            "failed": report.failed,
            "annotations": report.annotations,
        },
    }


def _case_json(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {
        "case": case.folder.id,
        "policy": case.folder.policy,
        "name": case.folder.name,
        "path": shown_path(case.folder.root),
        "status": "pass" if result.passed else "fail",
        "expect": case.count("expect"),
        "ok": case.count("ok"),
        "missing": [
            {
                "path": e.path,
                "line": e.line,
                "end_line": e.last,
                "rule": e.rule,
                "origin": e.origin,
            }
            for e in result.missing
        ],
        "unexpected": [
            {
                "path": u.finding.path,
                "line": u.finding.line,
                "column": u.finding.column,
                "rule": u.finding.rule,
                "message": u.finding.message,
                "ok": u.ok.origin if u.ok else None,
            }
            for u in result.unexpected
        ],
        "exercised": sorted(result.exercised),
        **(
            {"fixes": {"files": list(result.fixed), "problems": list(result.fix_problems)}}
            if result.fixed or result.fix_problems
            else {}
        ),
    }
