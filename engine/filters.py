"""What happens to findings after the policies decided them: suppressions applied,
and the rules a run selects (``--select``/``--ignore``).

A finding is suppressed when it starts on a line a suppression applies to
and the suppression names its rule or its policy. On the day after ``until``
a suppression stops applying and is reported (``suppression-expired``). A
suppression without a reason, rule or valid date, or naming an unknown rule,
is reported (``suppression-invalid``; a valid suppression still applies for
the known rules it names), and so is a rule it names that it suppresses
nothing of (``suppression-unused``). These reports are warnings at the
comment and are never suppressed themselves.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from .core.finding import Finding
from .core.result import CheckResult
from .core.rules import (
    SUPPRESSION_EXPIRED,
    SUPPRESSION_INVALID,
    SUPPRESSION_UNUSED,
    Rule,
    names_rule,
)
from .core.text import did_you_mean
from .extract.suppressions import Suppression


@dataclass
class Outcome:
    findings: list[Finding]  # those still reported, and the reports about suppressions
    suppressed: list[Finding]
    reasons: dict[Finding, str]  # each suppressed finding -> the reason of its first suppression


def apply(
    findings: list[Finding],
    suppressions: list[Suppression],
    known: Collection[str],
    today: dt.date,
) -> Outcome:
    """Drop the findings the suppressions hide; report invalid, expired and unused ones."""
    reports: list[Finding] = []
    hidden: set[Finding] = set()
    reasons: dict[Finding, str] = {}
    for item in suppressions:
        if item.problem:
            reports.append(_report(SUPPRESSION_INVALID, item, f"this suppression {item.problem}"))
            continue
        if item.until is not None and today > item.until:
            message = (
                f"this suppression expired after {item.until.isoformat()} "
                f"({item.reason}): its findings are reported again"
            )
            reports.append(_report(SUPPRESSION_EXPIRED, item, message, item.until_column))
            continue
        for name, column in item.names:
            if name not in known:
                reports.append(
                    _report(SUPPRESSION_INVALID, item, _unknown(name, known), column, name)
                )
                continue
            matched = {f for f in findings if item.covers(f) and names_rule(name, f.rule)}
            if not matched:
                reports.append(_report(SUPPRESSION_UNUSED, item, _unused(name, item), column, name))
            hidden |= matched
            for finding in matched:
                reasons.setdefault(finding, item.reason)
    kept = [f for f in findings if f not in hidden]
    return Outcome(sorted({*kept, *reports}), sorted(hidden), reasons)


def _unknown(name: str, known: Collection[str]) -> str:
    close = did_you_mean(name, known)
    hint = f" (did you mean '{close}'?)" if close else ""
    return f"this suppression names an unknown rule '{name}'{hint}"


def _unused(name: str, item: Suppression) -> str:
    if not item.first:
        return f"this suppression of '{name}' applies to no line: nothing follows it"
    lines = f"lines {item.first}-{item.last}" if item.last > item.first else f"line {item.first}"
    return f"this suppression of '{name}' matches no finding on {lines}"


def _report(
    rule: Rule, item: Suppression, message: str, column: int = 0, name: str = ""
) -> Finding:
    start = column or item.column
    return Finding(
        path=item.path,
        line=item.line,
        column=start,
        rule=rule.id,
        message=message,
        severity=rule.severity,
        end_line=item.line,
        end_column=start + (len(name) if name else len("proofgate-ignore")),
        rationale=rule.rationale,
        fix=rule.fix,
    )


# --select / --ignore


def unknown_prefixes(prefixes: list[str], known: Collection[str]) -> list[str]:
    """The prefixes that start no known rule or policy id."""
    return [p for p in prefixes if not any(name.startswith(p) for name in known)]


def select_rules(result: CheckResult, select: list[str], ignore: list[str]) -> CheckResult:
    """The result with only the rules whose id starts with a ``select`` prefix (all
    when none is given) and with none that starts with an ``ignore`` prefix, as
    ruff's ``--select``/``--ignore``; the rule list and suppressed findings too."""
    if not select and not ignore:
        return result

    def keep(rule: str) -> bool:
        chosen = not select or any(rule.startswith(p) for p in select)
        return chosen and not any(rule.startswith(p) for p in ignore)

    suppressions = [s for s in result.suppressions if keep(s.finding.rule)]
    return dataclasses.replace(
        result,
        findings=[f for f in result.findings if keep(f.rule)],
        rules=[r for r in result.rules if keep(r.id)],
        suppressions=suppressions,
        suppressed=len(suppressions) if result.suppressions else result.suppressed,
    )
