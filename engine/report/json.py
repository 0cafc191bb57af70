"""The JSON report: a stable contract other tools and the tests rely on."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from engine.check import CheckResult


def document(result: CheckResult) -> dict[str, Any]:
    findings = [f.as_json() for f in result.findings]
    baseline = {"baseline": result.baseline.as_json()} if result.baseline else {}
    return {
        "version": 1,
        "findings": findings,
        "summary": {
            "files": result.files,
            "findings": len(findings),
            "errors": sum(f.severity == "error" for f in result.findings),
            "warnings": sum(f.severity == "warning" for f in result.findings),
        },
        **baseline,
    }


def render(result: CheckResult, color: bool = False) -> str:
    return json.dumps(document(result), indent=2, ensure_ascii=False) + "\n"
