"""The JUnit report: a suite per policy, a case per file it reads, findings as failures."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.core.finding import Finding
from engine.core.result import CheckResult
from engine.core.rules import Rule
from engine.report import render


def parse(result: CheckResult, fail_on: str = "error") -> ET.Element:
    text = render("junit", result, fail_on=fail_on)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    return ET.fromstring(text.encode("utf-8"))


@pytest.mark.parametrize("fail_on", ["warning", "info"])
def test_a_suite_per_policy_and_failures_where_the_findings_are(
    drifting: CheckResult, fail_on: str
) -> None:
    root = parse(drifting, fail_on)
    assert root.tag == "testsuites"
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {rule.policy for rule in drifting.rules}
    expected: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    policy_of = {rule.id: rule.policy for rule in drifting.rules}
    for finding in drifting.findings:
        expected[policy_of[finding.rule], finding.path].append(finding)
    failed = {}
    for name, suite in suites.items():
        cases = suite.findall("testcase")
        assert suite.get("tests") == str(len(cases))
        assert suite.get("failures") == str(sum(c.find("failure") is not None for c in cases))
        assert len({c.get("name") for c in cases}) == len(cases)  # one case per file
        assert all(case.find("system-out") is None for case in cases)
        for case in cases:
            assert case.get("classname") == name and case.get("file") == case.get("name")
            failure = case.find("failure")
            if failure is not None:
                failed[name, case.get("name")] = failure
    assert set(failed) == set(expected)
    for key, failure in failed.items():
        findings = expected[key]
        assert failure.get("message", "").startswith(f"{len(findings)} finding(s): ")
        assert failure.get("type") == (
            "error" if any(f.severity == "error" for f in findings) else "warning"
        )
        for f in findings:
            assert f"{f.path}:{f.line}:{f.column}: {f.severity}: {f.rule}: {f.message}" in (
                failure.text or ""
            )
    total = sum(int(s.get("tests", "0")) for s in suites.values())
    assert root.get("tests") == str(total)
    assert root.get("failures") == str(len(failed))


def test_cases_are_the_files_a_policy_reads(drifting: CheckResult) -> None:
    suites = {s.get("name"): s for s in parse(drifting).findall("testsuite")}

    def files(policy: str) -> set[str | None]:
        return {case.get("name") for case in suites[policy].findall("testcase")}

    assert files("no-fuzzy-product-claims") == {"README.md"}  # its paths: the product surface
    assert files("flakehub-never-bootstrap") >= {"flake.nix", "nix/nix.conf", "README.md"}
    assert "proofs.yaml" in files("runner-class-order")  # ledger rules read the ledger
    assert "proofs.yaml" not in files("flakehub-never-bootstrap")
    assert files("github-is-primary-forge") >= set(drifting.file_kinds)  # it reads every file
    assert files("parse-error") == set()  # only where a file fails to parse


def test_text_xml_cannot_hold_is_replaced() -> None:
    finding = Finding("a.md", 1, 1, "x.rule", "bell \x07 and \ud800 here", "error", 1, 2)
    result = CheckResult([finding], 1, rules=[Rule("x.rule", "x", "error", "r", "f", ("*",))])
    result.file_kinds = {"a.md": "markdown", "b.md": "markdown"}
    (suite,) = parse(result).findall("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["a.md", "b.md"]
    failure = cases[0].find("failure")
    assert failure is not None and "bell \ufffd and \ufffd here" in (failure.text or "")
    assert cases[1].find("failure") is None


def test_check_format_junit_on_the_command_line(tmp_path: Path) -> None:
    root = tmp_path
    (root / "README.md").write_text("Forgejo runners are supported out of the box.\n")
    result = CliRunner().invoke(main, ["check", "--root", str(root), "--format", "junit"])
    assert result.exit_code == 1
    cases = ET.fromstring(result.stdout.encode()).iter("testcase")
    assert any(c.get("name") == "README.md" and c.find("failure") is not None for c in cases)


def test_findings_below_fail_on_are_not_failures(drifting: CheckResult) -> None:
    """With the default --fail-on error a check with only warnings exits 0: so do its cases."""
    warned = {(f.rule, f.path) for f in drifting.findings if f.severity == "warning"}
    assert warned, "gf-drifting has warnings"
    policy_of = {rule.id: rule.policy for rule in drifting.rules}
    errors = {(policy_of[f.rule], f.path) for f in drifting.findings if f.severity == "error"}
    root = parse(drifting)  # fail_on="error"
    failed, noted = set(), {}
    for suite in root.findall("testsuite"):
        for case in suite.findall("testcase"):
            key = (suite.get("name"), case.get("name"))
            if case.find("failure") is not None:
                failed.add(key)
                assert "warning:" not in (case.find("failure").text or "")  # type: ignore[union-attr]
            if case.find("system-out") is not None:
                noted[key] = case.find("system-out").text  # type: ignore[union-attr]
    assert failed == errors
    for rule, path in warned:
        assert f": warning: {rule}: " in noted[policy_of[rule], path]
