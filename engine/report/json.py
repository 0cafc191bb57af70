"""The JSON report: a stable contract other tools and the tests rely on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.core.jsontext import pretty

if TYPE_CHECKING:
    from engine.core.result import CheckResult


def document(result: CheckResult) -> dict[str, Any]:
    findings = [f.as_json() for f in result.findings]
    baseline = {"baseline": result.baseline.as_json()} if result.baseline else {}
    return {
        "version": 1,
        "findings": findings,
        "summary": {
            "files": result.files,
            "findings": len(findings),
            "errors": result.count("error"),
            "warnings": result.count("warning"),
        },
        **baseline,
    }


def render(result: CheckResult, color: bool = False) -> str:
    return pretty(document(result))
