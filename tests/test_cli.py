"""The command line, end to end: click's runner and a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main

REPO = Path(__file__).resolve().parent.parent
DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
COMPLIANT = REPO / "fixtures" / "repos" / "gf-compliant"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_drifting_repo_fails_with_findings_in_every_surface() -> None:
    code, out, _ = run("check", "--root", str(DRIFTING), "--format", "json", "--now", "2026-11-26")
    assert code == 1
    report = json.loads(out)
    assert report["version"] == 1
    rules = {f["rule"] for f in report["findings"]}
    assert {
        "flakehub-never-bootstrap.input",
        "flakehub-never-bootstrap.substituter",
        "flakehub-never-bootstrap.cache-action",
        "flakehub-never-bootstrap.push-outside-release",
        "flakehub-never-bootstrap.installer-flag",
        "flakehub-never-bootstrap.docs",
        "forge-claims-need-proof.agnostic",
        "forge-claims-need-proof.named-row",
        "forge-claims-need-proof.ledger-forge-order",
        "forge-claims-need-proof.ledger-repeatable",
    } <= rules
    keys = [(f["path"], f["line"], f["column"], f["rule"]) for f in report["findings"]]
    assert keys == sorted(keys)
    first = report["findings"][0]  # .bazelrc's remote cache: it carries a fix
    assert set(first) - {"edits"} == {
        "rule",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "rationale",
        "fix",
    }
    assert first["edits"]
    # a docs claim carries the policy's suggested rewording
    assert all(set(f) <= set(first) | {"suggestion"} for f in report["findings"])
    reworded = [f for f in report["findings"] if "suggestion" in f]
    assert reworded and all(f["rule"].endswith((".named", ".docs")) for f in reworded)
    summary = report["summary"]
    assert summary["findings"] == len(report["findings"]) == summary["errors"] + summary["warnings"]
    # The flakehub claim in README.md points at the word "FlakeHub" itself.
    docs = next(f for f in report["findings"] if f["rule"] == "flakehub-never-bootstrap.docs")
    line = (DRIFTING / docs["path"]).read_text().splitlines()[docs["line"] - 1]
    assert line[docs["column"] - 1 :].startswith("FlakeHub")


def line_of(path: str, text: str) -> tuple[str, int]:
    lines = (DRIFTING / path).read_text().splitlines()
    return path, next(n for n, line in enumerate(lines, 1) if text in line)


def test_claims_in_code_blocks_and_hedged_sentences_pass() -> None:
    _, out, _ = run("check", "--root", str(DRIFTING), "-f", "json", "--now", "2026-11-26")
    lines = {(f["path"], f["line"]) for f in json.loads(out)["findings"]}
    assert line_of("README.md", "gitlab-runner register") not in lines  # in a fenced block
    assert line_of("docs/runners.md", "GitLab CI support was retired") not in lines
    assert line_of("README.md", "Tagged releases are published") not in lines


def test_compliant_repo_passes() -> None:
    code, out, _ = run("check", "--root", str(COMPLIANT), "--now", "2026-11-26")
    assert code == 0, out
    assert out.strip().endswith("0 findings (0 errors, 0 warnings, 0 info) in 8 files checked")


def test_text_format_groups_by_file_and_fail_on() -> None:
    code, out, _ = run("check", "--root", str(DRIFTING), "--now", "2026-11-26", "README.md")
    assert code == 1
    assert out.startswith("README.md\n  README.md:4:")
    assert "fix: " in out
    assert "in 1 file checked" in out


def test_paths_narrow_the_check(tmp_path: Path) -> None:
    _, out, _ = run("check", "--root", str(DRIFTING), "-f", "json", "docs")
    assert {f["path"] for f in json.loads(out)["findings"]} <= {"docs/runners.md", "proofs.yaml"}


def test_compile_prints_rego() -> None:
    code, out, _ = run("compile", str(REPO / "policies" / "flakehub.policy"))
    assert code == 0
    assert "package proofgate.policies.flakehub_never_bootstrap" in out
    assert "import rego.v1" in out


def test_explain() -> None:
    code, out, _ = run("explain", "forge-claims-need-proof.named")
    assert code == 0
    assert out.startswith("forge-claims-need-proof (error)\n")
    assert "why: Broader VCS-agnostic language" in out
    assert "policy forge-claims-need-proof {" in out
    assert "fixed by check --fix" not in out  # docs claims get no automatic rewrite
    code, _, err = run("explain", "forge-claims-need-prof")
    assert code == 2
    assert "did you mean 'forge-claims-need-proof'?" in err
    code, out, _ = run("explain", "flakehub-never-bootstrap.installer-flag")
    fixable = next(line for line in out.splitlines() if line.startswith("fixed by check --fix"))
    assert "flakehub-never-bootstrap.installer-flag" in fixable
    assert "flakehub-never-bootstrap.docs" not in fixable
    assert "    edit delete st.spans.keys.with when count(st.with) == 1\n" in out


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("policy x { severty error }", "bad.policy:1:12: unexpected 'severty'"),
        (
            'policy x { rationale "r" fix "f" deny for s in sentences '
            'where s.txt == "a" message "m" }',
            "bad.policy:1:64: Sentence has no field 'txt'",
        ),
    ],
)
def test_policy_errors_exit_2_without_traceback(tmp_path: Path, policy: str, expected: str) -> None:
    (tmp_path / "bad.policy").write_text(policy)
    code, out, err = run("check", "--root", str(COMPLIANT), "-p", str(tmp_path / "bad.policy"))
    assert code == 2
    assert expected in err
    assert "Traceback" not in err + out


def test_empty_policy_dir_and_bad_ledger(tmp_path: Path) -> None:
    code, _, err = run("check", "--root", str(COMPLIANT), "-p", str(tmp_path))
    assert code == 2 and "no .policy or .rego files" in err
    ledger = tmp_path / "proofs.yaml"
    ledger.write_text("repo: x\nrunner_classes:\n  kvm: {state: prooved}\n")
    code, _, err = run("check", "--root", str(COMPLIANT), "--ledger", str(ledger))
    assert code == 2
    assert "proofs.yaml:3:" in err and "prooved" in err


def test_malformed_repo_file_is_a_parse_error_finding(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "bad.yml").write_text("on: [push\njobs: {}\n")
    (tmp_path / "README.md").write_text("We support GitLab today.\n")
    code, out, _ = run("check", "--root", str(tmp_path), "-f", "json")
    assert code == 1
    rules = {(f["rule"], f["path"]) for f in json.loads(out)["findings"]}
    assert ("parse-error", ".github/workflows/bad.yml") in rules
    assert ("forge-claims-need-proof.named", "README.md") in rules  # the rest is still checked


def test_real_subprocess() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "proofgate", "check", "--root", str(DRIFTING), "-f", "json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    severities = [f["severity"] for f in report["findings"]]
    assert report["summary"] == {
        "files": report["summary"]["files"],
        "findings": len(severities),
        "errors": severities.count("error"),
        "warnings": severities.count("warning"),
        "info": severities.count("info"),
        "suppressed": 0,
    }
    assert severities.count("error") >= 30  # gf-drifting crosses every boundary


def test_handwritten_rego_with_conftest_conventions(tmp_path: Path) -> None:
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "mac.yml").write_text(
        "on: push\njobs:\n  build:\n    runs-on: macos-latest\n    steps: [{run: make}]\n"
    )
    code, out, _ = run(
        "check", "--root", str(tmp_path), "-f", "json", "-p", str(REPO / "fixtures" / "rego")
    )
    assert code == 1
    found = [
        (f["rule"], f["severity"], f["path"], f["message"]) for f in json.loads(out)["findings"]
    ]
    assert found == [
        ("main", "error", ".github/workflows/mac.yml", "job build runs on GitHub-hosted macOS"),
        ("main", "warning", ".github/workflows/mac.yml", "workflow has no name"),
    ]


def test_broken_handwritten_rego_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "bad.rego").write_text("package main\n\ndeny contains msg if {\n")
    code, out, err = run("check", "--root", str(COMPLIANT), "-p", str(tmp_path))
    assert code == 2
    assert "bad.rego" in err and "does not compile" in err
    assert "Traceback" not in out + err


BOUNDARIES = [
    "honey-is-baseline",
    "github-is-primary-forge",
    "caches-accelerate-never-gate",
    "flakehub-never-bootstrap",
    "runner-class-needs-proof",
    "runner-class-order",
    "forge-claims-need-proof",
    "surface-roles-stay-distinct",
    "bazel-dogfood-is-real",
    "no-fuzzy-product-claims",
]


def test_drifting_repo_crosses_every_boundary() -> None:
    _, out, _ = run("check", "--root", str(DRIFTING), "-f", "json", "--now", "2026-11-26")
    policies = {f["rule"].split(".")[0] for f in json.loads(out)["findings"]}
    assert set(BOUNDARIES) <= policies
    assert "runner-class-needs-proof.matrix" in {f["rule"] for f in json.loads(out)["findings"]}
