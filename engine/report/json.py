"""The JSON report: a stable contract other tools and the tests rely on.

``notes`` are what the text report says besides findings (files skipped, no
ledger); ``summary.suppressed`` counts the findings ``proofgate-ignore``
comments hid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.jsontext import pretty

if TYPE_CHECKING:
    from ..core.result import CheckResult


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
            "info": result.count("info"),
            "suppressed": result.suppressed,
            **({"fixed": result.fixed} if result.fixed is not None else {}),
        },
        "notes": result.report_notes(),
        **baseline,
    }


def render(
    result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
    return pretty(document(result))
