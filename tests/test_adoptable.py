"""Issue 13, "Adoptable": the conventions users of ruff, semgrep, conftest and Vale
expect, end to end through the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.core.resources import shipped_policies

REPO = Path(__file__).resolve().parent.parent
DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
SCHEMA = REPO / "tests" / "schemas" / "sarif-schema-2.1.0.json"
NOW = "2026-11-26"
VIOLATION = "# Forges\n\nWoodpecker runners are supported out of the box.\n"
OWN_POLICY = (
    'policy no-foo {\n  severity error\n  rationale "No foo."\n  fix "Drop foo."\n'
    "  deny\n    for s in sentences\n    where s.text matches /\\bfoo\\b/i\n"
    '    message "mentions foo"\n}\n'
)


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=input)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def git_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


def drifting_copy(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(DRIFTING, repo)
    return git_repo(repo)


def own_pack(repo: Path) -> None:
    case = repo / "policies" / "tests" / "no-foo" / "mentions"
    case.mkdir(parents=True)
    (repo / "policies" / "foo.policy").write_text(OWN_POLICY)
    (case / "README.md").write_text("<!-- expect: no-foo -->\nWe like foo.\n")


def rules_of(out: str) -> set[str]:
    return {f["rule"] for f in json.loads(out)["findings"]}


# 1. builtin


def test_builtin_extends_the_shipped_pack_with_init_config(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    code, _, err = run("init", "--root", str(repo))
    assert code == 0, err
    own_pack(repo)
    (repo / "README.md").write_text("We like foo.\n\nGitLab runners are supported.\n")
    code, out, err = run(
        "check", "--root", str(repo), "-p", "builtin", "-p", str(repo / "policies"), "-f", "json"
    )
    assert code == 1, err
    assert {"no-foo", "forge-claims-need-proof.named"} <= rules_of(out)
    # The init config names no builtin rule id (its params and examples are
    # commented out), so it also serves a pack without builtin.
    code, out, err = run("check", "--root", str(repo), "-p", str(repo / "policies"), "-f", "json")
    assert code == 1, err
    assert rules_of(out) == {"no-foo"}
    # A builtin rule id the configuration names needs builtin loaded: exit 2, as before.
    config = repo / ".proofgate.toml"
    text = config.read_text().replace(
        "[severity]\n", '[severity]\n"runner-class-order" = "warning"\n'
    )
    config.write_text(text)
    code, _, err = run("check", "--root", str(repo), "-p", str(repo / "policies"))
    assert code == 2 and "not among the loaded policies" in err


def test_builtin_in_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = git_repo(tmp_path / "repo")
    own_pack(repo)
    (repo / "README.md").write_text("We like foo.\n\nGitLab runners are supported.\n")
    (repo / ".proofgate.toml").write_text(
        'policies = ["builtin", "policies"]\n[severity]\n"forge-claims-need-proof" = "warning"\n'
    )
    code, out, err = run("check", "--root", str(repo), "-f", "json")
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert {f["rule"] for f in findings} >= {"no-foo", "forge-claims-need-proof.named"}
    named = next(f for f in findings if f["rule"] == "forge-claims-need-proof.named")
    assert named["severity"] == "warning"
    # The policy test case's deliberate violation is not checked (item 4).
    assert not any(f["path"].startswith("policies/tests/") for f in findings)
    # `proofgate test` runs the cases of both.
    monkeypatch.chdir(repo)
    code, out, _ = run("test", "-k", "no-foo")
    assert code == 0 and "PASS no-foo/mentions" in out


def test_a_directory_called_builtin_is_dot_slash_builtin(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "builtin").mkdir()
    (repo / "builtin" / "foo.policy").write_text(OWN_POLICY)
    (repo / "README.md").write_text("We like foo.\n")
    (repo / ".proofgate.toml").write_text('policies = ["./builtin"]\n')
    code, out, _ = run("check", "--root", str(repo), "-f", "json")
    assert code == 1 and rules_of(out) == {"no-foo"}
    (repo / ".proofgate.toml").write_text('policies = ["builtin"]\n')
    code, out, _ = run("check", "--root", str(repo), "-f", "json")
    assert "no-foo" not in rules_of(out)


def test_the_repo_config_names_no_path_outside_the_root(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / ".proofgate.toml").write_text(f'policies = ["{shipped_policies()}"]\n')
    code, _, err = run("check", "--root", str(repo))
    assert code == 2 and "outside the repo root" in err


# 2. the root from PATHS


def test_root_found_from_paths_outside_the_repo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = drifting_copy(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.delenv("PROOFGATE_NO_CACHE", raising=False)
    code, out, _ = run("check", str(repo / "docs" / "runners.md"), "-f", "json", "--now", NOW)
    report = json.loads(out)
    assert code == 1
    assert {f["path"] for f in report["findings"]} == {"docs/runners.md"}
    assert "no proof ledger found, so nothing counts as proved" not in report["notes"]
    assert not (elsewhere / ".proofgate_cache").exists()
    assert (repo / ".proofgate_cache").is_dir()


def test_root_outside_git_is_the_nearest_ancestor_with_a_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.repo.discover import find_root

    project = tmp_path / "project"
    (project / "docs" / "deep").mkdir(parents=True)
    (project / "proofs.yaml").write_text("repo: x/y\n")
    (project / "docs" / "deep" / "x.md").write_text("hi\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    if (tmp_path / ".git").exists():  # pragma: no cover - tmp is never a work tree
        pytest.skip("tmp_path inside a git work tree")
    assert find_root(None, [str(project / "docs" / "deep" / "x.md")]) == project.resolve()
    assert find_root(None, []) == elsewhere.resolve()  # no PATHS: the current directory
    # A project under the current directory is found too, never above the latter.
    monkeypatch.chdir(tmp_path)
    assert find_root(None, [str(project / "docs" / "deep" / "x.md")]) == project.resolve()
    (project / "proofs.yaml").unlink()
    assert find_root(None, [str(project / "docs" / "deep" / "x.md")]) == tmp_path.resolve()


# 4. policy test trees


def test_the_shipped_pack_cases_are_not_checked_in_this_repo() -> None:
    _code, out, _ = run("check", "--root", str(REPO), "policies/", "-f", "json", "--now", NOW)
    assert not any(f["path"].startswith("policies/tests/") for f in json.loads(out)["findings"])


# 5. notes in JSON and SARIF


@pytest.fixture
def noted_repo(tmp_path: Path) -> Path:
    repo = drifting_copy(tmp_path)
    (repo / "docs" / "blob.md").write_bytes(b"\0binary")
    readme = repo / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    (repo / "docs" / "forges.md").write_text(
        "<!-- proofgate-ignore forge-claims-need-proof: archived comparison -->\n"
        "Woodpecker runners are supported out of the box.\n"
    )
    readme.write_text("".join(lines))
    return repo


def test_json_keeps_notes_and_counts(noted_repo: Path) -> None:
    _code, out, _ = run("check", "--root", str(noted_repo), "-f", "json", "--now", NOW)
    report = json.loads(out)
    assert "docs/blob.md: skipped, binary file" in report["notes"]
    summary = report["summary"]
    assert summary["suppressed"] == 1 and summary["info"] == 0


def test_sarif_keeps_notes_and_suppressed_results(noted_repo: Path) -> None:
    _code, out, _ = run("check", "--root", str(noted_repo), "-f", "sarif", "--now", NOW)
    log = json.loads(out)
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    run_ = log["runs"][0]
    notes = [n["message"]["text"] for n in run_["invocations"][0]["toolExecutionNotifications"]]
    assert "docs/blob.md: skipped, binary file" in notes
    hidden = [r for r in run_["results"] if r.get("suppressions")]
    assert len(hidden) == 1
    assert hidden[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "docs/forges.md"
    )
    assert hidden[0]["suppressions"] == [
        {"kind": "inSource", "status": "accepted", "justification": "archived comparison"}
    ]


# 6. explain the engine's rules


@pytest.mark.parametrize(
    "rule", ["parse-error", "suppression-invalid", "suppression-unused", "suppression-expired"]
)
def test_explain_engine_rules(rule: str) -> None:
    code, out, err = run("explain", rule)
    assert code == 0, err
    assert out.startswith(f"{rule} (") and "proofgate itself" in out and "fix:" in out


# 11. misspelt suppressions


@pytest.mark.parametrize(
    ("comment", "word"),
    [
        ("<!-- PROOFGATE-IGNORE forge-claims-need-proof: old -->", "PROOFGATE-IGNORE"),
        ("<!-- proofgate-ingore forge-claims-need-proof: old -->", "proofgate-ingore"),
        ("<!-- proofgate_ignore forge-claims-need-proof: old -->", "proofgate_ignore"),
    ],
)
def test_misspelt_suppressions_are_reported(tmp_path: Path, comment: str, word: str) -> None:
    repo = git_repo(tmp_path / "repo")
    (repo / "README.md").write_text(f"# Forges\n\n{comment}\nGitLab runners are supported.\n")
    _code, out, _ = run("check", "--root", str(repo), "-f", "json")
    findings = json.loads(out)["findings"]
    invalid = [f for f in findings if f["rule"] == "suppression-invalid"]
    assert len(invalid) == 1 and word in invalid[0]["message"]
    assert (invalid[0]["line"], invalid[0]["column"]) == (3, 6)
    assert any(f["rule"] == "forge-claims-need-proof.named" for f in findings)


def test_misspelt_hash_suppression_is_reported(tmp_path: Path) -> None:
    from engine.extract.suppressions import hash_suppressions

    found = hash_suppressions("ci.yml", "a: 1  # Proofgate-Ignore x: y\n# proofgate:matrix\n")
    assert len(found) == 1 and "Proofgate-Ignore" in found[0].problem


# 13. conventions


def test_rules_lists_every_loaded_rule() -> None:
    code, out, _ = run("rules", "--format", "json")
    listed = {r["id"]: r for r in json.loads(out)["rules"]}
    assert {"forge-claims-need-proof.named", "parse-error", "suppression-invalid"} <= set(listed)
    named = listed["forge-claims-need-proof.named"]
    assert named["policy"] == "forge-claims-need-proof" and named["severity"] == "error"
    assert named["description"] and "\n" not in named["description"]
    code, text, _ = run("rules")
    assert code == 0
    line = next(x for x in text.splitlines() if x.startswith("forge-claims-need-proof.named "))
    assert "forge-claims-need-proof" in line and "error" in line


def test_select_and_ignore_by_prefix() -> None:
    base = ("check", "--root", str(DRIFTING), "-f", "json", "--now", NOW)
    _, out, _ = run(*base, "--select", "forge,flakehub-never-bootstrap.docs")
    chosen = rules_of(out)
    assert chosen and all(r.startswith(("forge", "flakehub-never-bootstrap.docs")) for r in chosen)
    _, out, _ = run(*base, "--select", "forge", "--ignore", "forge-claims-need-proof.named")
    assert "forge-claims-need-proof.named" not in rules_of(out) and rules_of(out)
    code, _, err = run(*base, "--select", "nosuchrule")
    assert code == 2 and "'nosuchrule'" in err


def test_statistics() -> None:
    base = ("check", "--root", str(DRIFTING), "--now", NOW)
    _, report, _ = run(*base, "-f", "json")
    counts: dict[str, int] = {}
    for f in json.loads(report)["findings"]:
        counts[f["rule"]] = counts.get(f["rule"], 0) + 1
    code, out, _ = run(*base, "--statistics", "-f", "json")
    assert code == 1
    assert {s["rule"]: s["count"] for s in json.loads(out)["statistics"]} == counts
    _, text, _ = run(*base, "--statistics")
    top = max(counts.values())
    assert text.splitlines()[0].split()[0] == str(top)


def test_output_file_quiet_and_config(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    base = ("check", "--root", str(DRIFTING), "--now", NOW)
    code, out, err = run(*base, "-f", "json", "-o", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["findings"]
    assert "finding" in err and str(target) in err
    code, out, err = run(*base, "-f", "json", "-o", str(target), "-q")
    assert code == 1 and out == "" and err == ""
    code, out, _ = run(*base, "-q")
    assert "note:" not in out and "checked" not in out and ":" in out
    config = tmp_path / "lint.toml"
    config.write_text('disable = ["forge-claims-need-proof"]\n')
    _, out, _ = run(*base, "-f", "json", "--config", str(config))
    assert not any(r.startswith("forge-claims-need-proof") for r in rules_of(out))


def test_color(monkeypatch: pytest.MonkeyPatch) -> None:
    base = ("check", "--root", str(DRIFTING), "--now", NOW)
    _, out, _ = run(*base, "--color", "always")
    assert "\033[" in out
    _, out, _ = run(*base, "--color", "never")
    assert "\033[" not in out
    from engine.cli import _color

    monkeypatch.setenv("NO_COLOR", "1")
    assert not _color("auto", True) and _color("always", True)
    monkeypatch.delenv("NO_COLOR")
    assert _color("auto", True) and not _color("auto", False)


def test_stdin_is_judged_as_the_named_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = drifting_copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = run(
        "check", "-", "--stdin-filename", str(repo / "docs" / "new.md"), "-f", "json",
        "--now", NOW, input=VIOLATION,
    )  # fmt: skip
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert {f["path"] for f in findings} == {"docs/new.md"}
    assert any(f["rule"] == "forge-claims-need-proof.named" for f in findings)
    monkeypatch.chdir(repo)
    code, out, _ = run(
        "check", "-", "--stdin-filename", "docs/new.md", "-f", "json", input="# Fine\n"
    )
    assert code == 0 and json.loads(out)["findings"] == []
    code, _, err = run("check", "-")
    assert code == 2 and "--stdin-filename" in err


def test_fmt_diff(tmp_path: Path) -> None:
    policy = tmp_path / "foo.policy"
    policy.write_text(OWN_POLICY.replace("  severity error", "      severity   error"))
    code, out, _ = run("fmt", "--diff", str(policy))
    assert code == 1
    assert "-      severity   error" in out and "+  severity error" in out
    _, formatted, _ = run("fmt", str(policy))
    policy.write_text(formatted)
    code, out, _ = run("fmt", "--diff", str(policy))
    assert (code, out) == (0, "")


# 8. the baseline config key


def test_baseline_config_key(tmp_path: Path) -> None:
    repo = drifting_copy(tmp_path)
    code, _, _ = run("baseline", "--root", str(repo), "--now", NOW)
    assert code == 0
    (repo / ".proofgate.toml").write_text('baseline = ".proofgate-baseline.json"\n')
    code, out, _ = run("check", "--root", str(repo), "-f", "json", "--now", NOW)
    assert code == 0 and json.loads(out)["findings"] == []
    (repo / ".proofgate.toml").write_text('baseline = "../elsewhere.json"\n')
    code, _, err = run("check", "--root", str(repo))
    assert code == 2 and "outside the repo root" in err


# 3. runs-on findings stand on the runs-on line


def test_runs_on_finding_on_the_runs_on_line_and_suppressible(tmp_path: Path) -> None:
    repo = git_repo(tmp_path / "repo")
    shutil.copy(
        REPO / "policies/tests/runner-class-needs-proof/workflow-runs-on-forms/proofs.yaml",
        repo / "proofs.yaml",
    )
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    text = (
        "on: push\njobs:\n  notarize:\n    name: notarize\n"
        "    runs-on: macos-arm64{comment}\n    steps:\n      - run: ./notarize.sh\n"
    )
    workflow.write_text(text.format(comment=""))
    _, out, _ = run("check", "--root", str(repo), "-f", "json", "--select", "runner-class")
    found = [f for f in json.loads(out)["findings"] if f["rule"].endswith(".runs-on")]
    assert [(f["line"], f["column"]) for f in found] == [(5, 14)]
    comment = "  # proofgate-ignore runner-class-needs-proof.runs-on: signing lane, tracked"
    workflow.write_text(text.format(comment=comment))
    _code, out, _ = run("check", "--root", str(repo), "-f", "json", "--select", "runner-class")
    report = json.loads(out)
    assert report["findings"] == [] and report["summary"]["suppressed"] == 1
