"""The SARIF 2.1.0 report, for GitHub code scanning (``codeql-action/upload-sarif``).

One run: the driver lists every rule of the loaded policy set (rationale,
fix hint, default level), each result points at its file relative to the
repo root (``%SRCROOT%``) with 1-based line and code-point columns, and
carries a partial fingerprint that stays put when code moves, and the
mechanical fix a finding carries as its ``fixes`` (one fix: a replacement per
edit, as ``check --fix`` applies them). Findings a
``proofgate-ignore`` comment hid are results too, with an ``inSource``
suppression whose justification is the comment's reason (code scanning shows
them as dismissed); the notes (files skipped, no ledger) are the invocation's
``toolExecutionNotifications``.

Plain dicts, not a model library: sarif-om has had no release since 2019
and needs jschema-to-python and jsonpickle to serialize; sarif-pydantic has
no ``run.columnKind`` and ships no type information. The tests validate this
output against the official OASIS schema instead (``tests/schemas/``).
"""

from __future__ import annotations

from collections import Counter
from importlib import metadata
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..baseline import fingerprints
from ..core.jsontext import pretty
from ..core.rules import Rule, with_finding_rules

if TYPE_CHECKING:
    from ..core.finding import Finding
    from ..core.result import CheckResult

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
SRCROOT = "%SRCROOT%"
FINGERPRINT = "proofgate/v1"  # partialFingerprints key: the baseline fingerprint, then ":n"


def document(result: CheckResult) -> dict[str, Any]:
    """The SARIF log of a check."""
    hidden = [item.finding for item in result.suppressions]
    rules = with_finding_rules(result.rules, [*result.findings, *hidden])
    index = {rule.id: n for n, rule in enumerate(rules)}
    seen: Counter[str] = Counter()
    results = []
    for finding, print_ in zip(
        result.findings, fingerprints(result.root, result.findings), strict=True
    ):
        seen[print_] += 1  # the n-th finding with one fingerprint: unique within the run
        results.append(_result(finding, index[finding.rule], f"{print_}:{seen[print_]}"))
    for item, print_ in zip(result.suppressions, fingerprints(result.root, hidden), strict=True):
        seen[print_] += 1
        found = _result(item.finding, index[item.finding.rule], f"{print_}:{seen[print_]}")
        suppression = {"kind": "inSource", "status": "accepted"}
        if item.reason:
            suppression["justification"] = item.reason
        results.append({**found, "suppressions": [suppression]})
    driver = {"name": "proofgate", **_about(), "rules": [_descriptor(rule) for rule in rules]}
    notifications = [{"level": "note", "message": {"text": note}} for note in result.report_notes()]
    invocation = {"executionSuccessful": True, "toolExecutionNotifications": notifications}
    run = {
        "tool": {"driver": driver},
        "invocations": [invocation],
        "columnKind": "unicodeCodePoints",
        "results": results,
    }
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}


def render(
    result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
    return pretty(document(result))


def _about() -> dict[str, str]:
    """The driver's version and informationUri, from the installed package's metadata."""
    try:
        meta = metadata.metadata("proofgate")
    except metadata.PackageNotFoundError:
        return {}
    about = {"version": meta["Version"]}
    urls = dict(url.split(", ", 1) for url in meta.get_all("Project-URL") or [])
    if "Homepage" in urls:  # [project.urls] in pyproject.toml
        about["informationUri"] = urls["Homepage"]
    return about


def _descriptor(rule: Rule) -> dict[str, Any]:
    description = rule.rationale or rule.id
    help_text = f"{description}\n\nFix: {rule.fix}" if rule.fix else description
    return {
        "id": rule.id,
        "shortDescription": {"text": description},
        "fullDescription": {"text": description},
        "help": {"text": help_text},
        "defaultConfiguration": {"level": LEVELS.get(rule.severity, "warning")},
        "properties": {"tags": [rule.policy]},
    }


def _result(finding: Finding, rule_index: int, partial_fingerprint: str) -> dict[str, Any]:
    location = {"artifactLocation": _artifact(finding.path), "region": _region(finding)}
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS.get(finding.severity, "warning"),
        "message": {"text": finding.message},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {FINGERPRINT: partial_fingerprint},
        **({"fixes": [_fix(finding)]} if finding.edits else {}),
    }


def _fix(finding: Finding) -> dict[str, Any]:
    """The finding's edits as one SARIF fix: a replacement per edit, its deleted
    region empty for an insertion, its inserted content absent for a deletion."""
    replacements = []
    for edit in finding.edits:
        region = {
            "startLine": edit.line,
            "startColumn": edit.column,
            "endLine": edit.end_line,
            "endColumn": edit.end_column,
        }
        inserted = {"insertedContent": {"text": edit.text}} if edit.text else {}
        replacements.append({"deletedRegion": region, **inserted})
    change = {"artifactLocation": _artifact(finding.path), "replacements": replacements}
    return {"description": {"text": finding.fix or finding.message}, "artifactChanges": [change]}


def _artifact(path: str) -> dict[str, str]:
    """A repo-relative path as a URI relative to %SRCROOT% (an absolute one as a file URI)."""
    if PurePosixPath(path).is_absolute():
        return {"uri": PurePosixPath(path).as_uri()}
    return {"uri": quote(path), "uriBaseId": SRCROOT}


def _region(finding: Finding) -> dict[str, int]:
    """The finding's span; SARIF lines and columns start at 1, the end column is exclusive."""
    line, column = max(finding.line, 1), max(finding.column, 1)
    end_line = max(finding.end_line, line)
    end_column = max(finding.end_column, column if end_line == line else 1)
    return {"startLine": line, "startColumn": column, "endLine": end_line, "endColumn": end_column}
