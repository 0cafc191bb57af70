"""The SARIF report: valid against the official 2.1.0 schema, and what code scanning reads."""

from __future__ import annotations

import email.message
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from engine.cli import main
from engine.core.finding import Finding
from engine.core.result import CheckResult
from engine.core.rules import Rule
from engine.report import render, sarif

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "schemas" / "sarif-schema-2.1.0.json").read_text()
)
DRIFTING = Path(__file__).resolve().parents[2] / "fixtures" / "repos" / "gf-drifting"
# RFC 3986 URI-reference characters (percent-encoding included).
URI_REFERENCE = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")


def sarif_log(result: CheckResult) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(render("sarif", result))
    errors = sorted(
        jsonschema.Draft4Validator(SCHEMA).iter_errors(log), key=lambda e: list(e.absolute_path)
    )
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]
    return log


def test_drifting_repo_is_valid_sarif_with_every_finding(drifting: CheckResult) -> None:
    log = sarif_log(drifting)
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    assert run["tool"]["driver"]["name"] == "proofgate"
    assert run["columnKind"] == "unicodeCodePoints"
    results = run["results"]
    assert len(results) == len(drifting.findings) > 0
    rules = run["tool"]["driver"]["rules"]
    for result, finding in zip(results, drifting.findings, strict=True):
        assert result["ruleId"] == finding.rule == rules[result["ruleIndex"]]["id"]
        assert result["level"] == {"error": "error", "warning": "warning"}[finding.severity]
        assert result["message"]["text"] == finding.message
        (location,) = result["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert artifact == {"uri": finding.path, "uriBaseId": "%SRCROOT%"}
        assert location["physicalLocation"]["region"] == {
            "startLine": finding.line,
            "startColumn": finding.column,
            "endLine": finding.end_line,
            "endColumn": finding.end_column,
        }


def test_region_points_at_the_offending_words(drifting: CheckResult) -> None:
    run = sarif_log(drifting)["runs"][0]
    docs = next(r for r in run["results"] if r["ruleId"] == "flakehub-never-bootstrap.docs")
    region = docs["locations"][0]["physicalLocation"]["region"]
    uri = docs["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    line = (DRIFTING / uri).read_text().splitlines()[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1].startswith("FlakeHub")


def test_fixes_carry_the_edits_as_replacements(drifting: CheckResult) -> None:
    """A finding with a mechanical fix has one SARIF fix: a replacement per edit (an
    insertion's deleted region is empty, a deletion has no inserted content), valid
    against the schema; findings without edits have no ``fixes``."""
    run = sarif_log(drifting)["runs"][0]
    with_edits = [f for f in drifting.findings if f.edits]
    assert with_edits
    for result, finding in zip(run["results"], drifting.findings, strict=True):
        if not finding.edits:
            assert "fixes" not in result
            continue
        (fix,) = result["fixes"]
        assert fix["description"]["text"] == finding.fix
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"] == {"uri": finding.path, "uriBaseId": "%SRCROOT%"}
        for replacement, edit in zip(change["replacements"], finding.edits, strict=True):
            region = replacement["deletedRegion"]
            assert (region["startLine"], region["startColumn"]) == (edit.line, edit.column)
            assert (region["endLine"], region["endColumn"]) == (edit.end_line, edit.end_column)
            assert replacement.get("insertedContent", {"text": ""})["text"] == edit.text
    kinds = {
        ("insert" if e.line == e.end_line and e.column == e.end_column else "replace")
        if e.text
        else "delete"
        for f in with_edits
        for e in f.edits
    }
    assert kinds == {"insert", "replace", "delete"}


def test_rules_describe_the_whole_policy_set(drifting: CheckResult) -> None:
    driver = sarif_log(drifting)["runs"][0]["tool"]["driver"]
    by_id = {rule["id"]: rule for rule in driver["rules"]}
    assert set(by_id) == {rule.id for rule in drifting.rules}
    assert {"parse-error", "runner-class-needs-proof.matrix"} <= set(by_id)
    quiet = {rule.id for rule in drifting.rules} - {f.rule for f in drifting.findings}
    assert "bazel-dogfood-is-real.cache-config" in quiet  # described though nothing fired
    catalog = {rule.id: rule for rule in drifting.rules}
    for rule_id, descriptor in by_id.items():
        rule = catalog[rule_id]
        assert descriptor["shortDescription"]["text"] == rule.rationale
        assert descriptor["fullDescription"]["text"] == rule.rationale
        assert descriptor["help"]["text"] == f"{rule.rationale}\n\nFix: {rule.fix}"
        level = {"error": "error", "warning": "warning"}[rule.severity]
        assert descriptor["defaultConfiguration"]["level"] == level
    assert by_id["caches-accelerate-never-gate.docs"]["defaultConfiguration"]["level"] == "warning"


def test_paths_become_relative_uris_and_odd_spans_stay_valid() -> None:
    findings = [
        Finding("docs/naïve plan #1.md", 1, 1, "x.rule", "m", "info", 1, 1),
        Finding("proofs.yaml", 0, 0, "parse-error", "not UTF-8", "error", 0, 0),
        Finding("/srv/ledger/proofs.yaml", 3, 5, "x.rule", "m", "warning", 4, 2),
    ]
    rules = [Rule("x.rule", "x", "info", "", "")]
    result = CheckResult(sorted(findings), 3, rules=rules)
    results = sarif_log(result)["runs"][0]["results"]
    artifacts = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
    assert artifacts[0] == {"uri": "file:///srv/ledger/proofs.yaml"}  # a ledger outside the root
    assert artifacts[1] == {"uri": "docs/na%C3%AFve%20plan%20%231.md", "uriBaseId": "%SRCROOT%"}
    assert all(URI_REFERENCE.match(a["uri"]) for a in artifacts)
    regions = [r["locations"][0]["physicalLocation"]["region"] for r in results]
    assert regions[0] == {"startLine": 3, "startColumn": 5, "endLine": 4, "endColumn": 2}
    assert regions[2] == {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}
    assert [r["level"] for r in results] == ["warning", "note", "error"]
    descriptors = sarif_log(result)["runs"][0]["tool"]["driver"]["rules"]
    assert [d["id"] for d in descriptors] == ["parse-error", "x.rule"]  # from the findings
    assert descriptors[1]["shortDescription"]["text"] == "x.rule"  # no rationale given


def test_columns_count_unicode_code_points(
    tmp_path: Path, check_repo: Callable[..., CheckResult]
) -> None:
    (tmp_path / "README.md").write_text(
        "Café ☕ 🚀: Forgejo runners are supported out of the box.\n"
    )
    results = sarif_log(check_repo(tmp_path))["runs"][0]["results"]
    named = next(r for r in results if r["ruleId"] == "forge-claims-need-proof.named")
    region = named["locations"][0]["physicalLocation"]["region"]
    line = (tmp_path / "README.md").read_text()
    assert line[region["startColumn"] - 1 :].startswith("Forgejo")


def test_partial_fingerprints_survive_moved_code_and_tell_twins_apart(
    tmp_path: Path, check_repo: Callable[..., CheckResult]
) -> None:
    claim = "Forgejo runners are supported out of the box."
    readme = tmp_path / "README.md"
    readme.write_text(f"# Runners\n\n{claim}\n\n{claim}\n")
    before = sarif_log(check_repo(tmp_path))["runs"][0]["results"]
    readme.write_text(f"# Runners\n\nAn introduction.\n\nMore words here.\n\n{claim}\n\n{claim}\n")
    after = sarif_log(check_repo(tmp_path))["runs"][0]["results"]

    def prints(results: list[dict[str, Any]]) -> list[str]:
        return [r["partialFingerprints"][sarif.FINGERPRINT] for r in results]

    def lines(results: list[dict[str, Any]]) -> list[int]:
        return [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]

    assert lines(before) != lines(after)
    assert prints(before) == prints(after)
    named = [p for r, p in zip(after, prints(after), strict=True) if r["ruleId"].endswith("named")]
    assert [p.split(":")[1] for p in named] == ["1", "2"]  # same text twice: numbered
    assert len({p.split(":")[0] for p in named}) == 1


def test_driver_version_and_information_uri_come_from_package_metadata(
    drifting: CheckResult, monkeypatch: pytest.MonkeyPatch
) -> None:
    meta = email.message.Message()
    meta["Version"] = "1.2.3"
    meta["Project-URL"] = "Homepage, https://example.org/proofgate"
    monkeypatch.setattr(sarif.metadata, "metadata", lambda name: meta)
    driver = sarif_log(drifting)["runs"][0]["tool"]["driver"]
    assert driver["version"] == "1.2.3"
    assert driver["informationUri"] == "https://example.org/proofgate"


def test_check_format_sarif_on_the_command_line() -> None:
    result = CliRunner().invoke(
        main, ["check", "--root", str(DRIFTING), "--now", "2026-11-26", "--format", "sarif"]
    )
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    assert log["runs"][0]["results"]


def test_readme_workflow_job_runs_and_uploads_what_it_wrote(
    tmp_path: Path,
    readme_blocks: Callable[[str, str], list[str]],
    run_readme: Callable[[str, Path], subprocess.CompletedProcess[str]],
) -> None:
    workflow = yaml.safe_load(readme_blocks("GitHub Actions", "yaml")[0])
    (job,) = workflow["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    steps = job["steps"]
    check = next(s for s in steps if "proofgate check" in s.get("run", ""))
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/"))
    assert steps.index(check) < steps.index(upload)
    assert upload["uses"].split("@")[0] == "github/codeql-action/upload-sarif"
    assert "cancelled()" in upload["if"]  # the upload runs when the check fails
    assert check["run"].endswith(f"> {upload['with']['sarif_file']}")
    repo = tmp_path / "repo"
    shutil.copytree(DRIFTING, repo)
    proc = run_readme(check["run"], repo)
    assert proc.returncode == 1, proc.stderr
    log = sarif_log_from_file(repo / upload["with"]["sarif_file"])
    assert log["runs"][0]["results"]


def sarif_log_from_file(path: Path) -> dict[str, Any]:
    log: dict[str, Any] = json.loads(path.read_text())
    assert not list(jsonschema.Draft4Validator(SCHEMA).iter_errors(log))
    return log
