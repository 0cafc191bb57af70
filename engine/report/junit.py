"""JUnit XML: a test suite per policy, a test case per file the policy reads.

A test case fails when the policy has findings in its file at or above the
fail level (``--fail-on``, default error: a check that exits 0 has no failing
case); the failure lists them (``line:column severity rule: message`` and the fix). A policy
reads the files of the input kinds its clauses range over, within its path
globs; a file with a finding is always one of its cases. CI systems that show
JUnit reports (GitLab, Jenkins, Buildkite) then show each policy and file.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from typing import TYPE_CHECKING

from ..core.rules import Rule, with_finding_rules

if TYPE_CHECKING:
    from ..core.finding import Finding
    from ..core.result import CheckResult

SEVERITY_ORDER = ("error", "warning", "info")
# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render(
    result: CheckResult, color: bool = False, fail_on: str = "error", quiet: bool = False
) -> str:
    suites = ET.Element("testsuites", name="proofgate")
    by_policy: dict[str, list[Rule]] = defaultdict(list)
    for rule in with_finding_rules(result.rules, result.findings):
        by_policy[rule.policy].append(rule)
    for policy in sorted(by_policy):
        suites.append(_suite(policy, by_policy[policy], result, _rank(fail_on)))
    children = suites.findall("testsuite")
    tests = sum(int(suite.get("tests", "0")) for suite in children)
    _totals(suites, tests, sum(int(suite.get("failures", "0")) for suite in children))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, "unicode") + "\n"


def _suite(policy: str, rules: list[Rule], result: CheckResult, fail_rank: int) -> ET.Element:
    ids = {rule.id for rule in rules}
    by_file: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        if finding.rule in ids:
            by_file[finding.path].append(finding)
    read = {
        path
        for path, kind in result.file_kinds.items()
        if any(rule.reads(path, kind) for rule in rules)
    }
    suite = ET.Element("testsuite", name=_xml_text(policy))
    for path in sorted(read | set(by_file)):
        case = ET.SubElement(
            suite,
            "testcase",
            classname=_xml_text(policy),
            name=_xml_text(path),
            file=_xml_text(path),
        )
        failing = [f for f in by_file[path] if _rank(f.severity) <= fail_rank]
        passing = [f for f in by_file[path] if _rank(f.severity) > fail_rank]
        if failing:
            case.append(_failure(failing))
        if passing:
            ET.SubElement(case, "system-out").text = _xml_text("\n".join(_lines(passing)))
    cases = suite.findall("testcase")
    _totals(suite, len(cases), sum(case.find("failure") is not None for case in cases))
    return suite


def _failure(findings: list[Finding]) -> ET.Element:
    worst = min(findings, key=lambda f: _rank(f.severity)).severity
    failure = ET.Element(
        "failure",
        message=f"{len(findings)} finding(s): {_xml_text(findings[0].message)}",
        type=worst,
    )
    failure.text = _xml_text("\n".join(_lines(findings)))
    return failure


def _lines(findings: list[Finding]) -> list[str]:
    lines = []
    for f in findings:
        lines.append(f"{f.path}:{f.line}:{f.column}: {f.severity}: {f.rule}: {f.message}")
        if f.fix:
            lines.append(f"    fix: {f.fix}")
    return lines


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _totals(element: ET.Element, tests: int, failures: int) -> None:
    """Set the ``tests``/``failures``/``errors``/``skipped`` totals of a suite or of all suites."""
    element.set("tests", str(tests))
    element.set("failures", str(failures))
    element.set("errors", "0")
    element.set("skipped", "0")
