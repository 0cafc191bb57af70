"""``proofgate rules``: every rule a check loads, one line each (or JSON)."""

from __future__ import annotations

from ..core.jsontext import pretty
from ..core.rules import ENGINE_RULES, Rule

_ENGINE = {rule.id for rule in ENGINE_RULES}


def render(rules: list[tuple[Rule, str | None]], fmt: str = "text") -> str:
    """``rules`` with the severity in force (None: disabled by the configuration)."""
    if fmt == "json":
        return pretty({"version": 1, "rules": [_json(rule, sev) for rule, sev in rules]})
    rows = [
        (rule.id, "(engine)" if rule.id in _ENGINE else rule.policy, sev or "off", _line(rule))
        for rule, sev in rules
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(3)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + f"  {row[3]}"
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _line(rule: Rule) -> str:
    """The rule's description on one line."""
    return " ".join((rule.rationale or rule.id).split())


def _json(rule: Rule, severity: str | None) -> dict[str, object]:
    return {
        "id": rule.id,
        "policy": rule.policy,
        "engine": rule.id in _ENGINE,
        "severity": severity or "off",
        "default_severity": rule.severity,
        "description": _line(rule),
        "fix": rule.fix,
    }
