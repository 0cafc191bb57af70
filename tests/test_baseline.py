"""Baselines: fingerprints without line numbers, counting, vanished entries, bad files."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import baseline
from engine.cli import main
from engine.core.finding import Finding

REPO = Path(__file__).resolve().parent.parent
DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
CLAIM = "Forgejo runners are supported out of the box."


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def finding(line: int, column: int = 1, end_column: int = 8, message: str = "m") -> Finding:
    return Finding(
        "README.md",
        line,
        column,
        "forge-claims-need-proof.named",
        message,
        "error",
        line,
        end_column,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    copy = tmp_path / "repo"
    shutil.copytree(DRIFTING, copy)
    return copy


def check_json(root: Path, *args: str) -> tuple[int, dict[str, object]]:
    code, out, err = run("check", "--root", str(root), "--now", "2026-11-26", "-f", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def make_baseline(root: Path, *args: str) -> Path:
    code, out, err = run("baseline", "--root", str(root), "--now", "2026-11-26", *args)
    assert code == 0, err
    assert out.startswith("wrote ")
    return root / baseline.BASELINE_FILE


# The fingerprint


def test_fingerprint_ignores_position_and_whitespace_but_not_text() -> None:
    text = ["# Title", "", CLAIM]
    moved = ["# Title", "", "Intro.", "", f"  {CLAIM.replace(' ', '   ')}  "]
    assert baseline.fingerprint(finding(3), text) == baseline.fingerprint(finding(5, 3, 10), moved)
    edited = ["# Title", "", CLAIM.replace("box", "crate")]
    assert baseline.fingerprint(finding(3), text) != baseline.fingerprint(finding(3), edited)
    other_span = finding(3, 9, 16)  # same line, other words: another finding
    assert baseline.fingerprint(finding(3), text) != baseline.fingerprint(other_span, text)


def test_fingerprint_falls_back_to_the_normalized_message() -> None:
    unreadable = baseline.fingerprint(finding(3, message="a  claim\n here"), None)
    assert unreadable == baseline.fingerprint(finding(9, message="a claim here"), None)
    past_the_end = baseline.fingerprint(finding(40, message="a claim here"), ["one line"])
    assert past_the_end == unreadable
    assert len(unreadable) == 16 and re.fullmatch(r"[0-9a-f]+", unreadable)


# Recording and applying


def test_baseline_then_check_reports_nothing_until_something_new(repo: Path) -> None:
    _, before = check_json(repo)
    path = make_baseline(repo)
    recorded = json.loads(path.read_text())
    assert recorded["version"] == 1
    assert len(recorded["findings"]) == len(before["findings"])  # type: ignore[arg-type]
    assert set(recorded["findings"][0]) == {"fingerprint", "rule", "path", "message"}

    code, report = check_json(repo, "--baseline", str(path))
    assert code == 0
    assert report["findings"] == []
    assert report["baseline"] == {
        "file": str(path),
        "baselined": len(before["findings"]),  # type: ignore[arg-type]
        "vanished": [],
    }

    readme = repo / "README.md"
    readme.write_text(readme.read_text() + f"\n{CLAIM.replace('Forgejo', 'Woodpecker')}\n")
    code, report = check_json(repo, "--baseline", str(path))
    assert code == 1
    assert [(f["rule"], f["path"]) for f in report["findings"]] == [  # type: ignore[attr-defined]
        ("forge-claims-need-proof.named", "README.md")
    ]


def test_moving_code_keeps_findings_baselined(repo: Path) -> None:
    path = make_baseline(repo)
    readme = repo / "README.md"
    head, _, rest = readme.read_text().partition("\n")
    readme.write_text(f"{head}\n\nA new paragraph.\n\nAnd   another one.\n{rest}")
    workflow = repo / ".github" / "workflows" / "ci.yml"
    workflow.write_text("# a comment that moves every line down\n" + workflow.read_text())
    code, report = check_json(repo, "--baseline", str(path))
    assert (code, report["findings"]) == (0, [])


def test_vanished_entries_are_listed_in_text_and_json(repo: Path) -> None:
    path = make_baseline(repo)
    readme = repo / "README.md"
    lines = readme.read_text().splitlines(keepends=True)
    readme.write_text("".join(line for line in lines if "Civo" not in line))
    code, report = check_json(repo, "--baseline", str(path))
    assert code == 0
    vanished = report["baseline"]["vanished"]  # type: ignore[index]
    assert [(v["rule"], v["path"]) for v in vanished] == [("honey-is-baseline.docs", "README.md")]
    assert "Civo" in vanished[0]["message"]

    code, out, _ = run("check", "--root", str(repo), "--now", "2026-11-26", "--baseline", str(path))
    assert code == 0
    assert f"note: baseline {path}: " in out and ", 1 no longer found (" in out
    assert "note: no longer found: README.md: honey-is-baseline.docs: " in out


def test_a_fingerprint_recorded_n_times_absorbs_n_findings(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Runners\n\n{CLAIM}\n\n{CLAIM}\n")
    path = make_baseline(tmp_path)
    prints = [e["fingerprint"] for e in json.loads(path.read_text())["findings"]]
    assert len(prints) == 2 and prints[0] == prints[1]

    readme.write_text(f"# Runners\n\n{CLAIM}\n\n{CLAIM}\n\n{CLAIM}\n")
    _, report = check_json(tmp_path, "--baseline", str(path))
    assert len(report["findings"]) == 1  # type: ignore[arg-type]

    readme.write_text(f"# Runners\n\n{CLAIM}\n")
    _, report = check_json(tmp_path, "--baseline", str(path))
    assert report["findings"] == []
    assert len(report["baseline"]["vanished"]) == 1  # type: ignore[index]


def test_checking_some_paths_does_not_empty_the_baseline(repo: Path) -> None:
    path = make_baseline(repo)
    code, report = check_json(repo, "--baseline", str(path), "docs")
    assert code == 0
    assert report["baseline"]["vanished"] == []  # type: ignore[index]
    (repo / "docs" / "runners.md").unlink()  # a deleted file's entries are gone
    _, report = check_json(repo, "--baseline", str(path), "README.md")
    gone = {v["path"] for v in report["baseline"]["vanished"]}  # type: ignore[index]
    assert gone == {"docs/runners.md"}


def test_output_option_and_stable_file(repo: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.json"
    make_baseline(repo, "--output", str(target))
    assert target.is_file() and not (repo / baseline.BASELINE_FILE).exists()
    first = target.read_text()
    make_baseline(repo, "--output", str(target))
    assert target.read_text() == first
    entries = json.loads(first)["findings"]
    keys = [(e["path"], e["rule"], e["fingerprint"], e["message"]) for e in entries]
    assert keys == sorted(keys)
    assert '"line"' not in first


# Malformed baselines: exit 2 with file and line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"version": 1,\n  "findings": [\n}\n', "b.json:3:1: not valid JSON: "),
        (
            '{"version": 2,\n "findings": []}\n',
            "b.json:1:2: version: unsupported baseline version 2",
        ),
        (
            '{"version": 1,\n "findings": [\n  {"fingerprint": "0123456789abcdef",\n'
            '   "path": "README.md"}\n ]}\n',
            "b.json:3:3: findings[0].rule: required key is missing",
        ),
        (
            '{"version": 1, "findings": [],\n "extra": true}\n',
            "b.json:2:2: top level: unknown key 'extra'",
        ),
        (
            '{"version": 1, "findings": [\n {"fingerprint": "xyz", "rule": "r", "path": "p"}]}\n',
            "b.json:2:3: findings[0].fingerprint: String should match pattern",
        ),
        ("[]\n", "b.json:1:1: top level: Input should be a valid dictionary"),
    ],
)
def test_malformed_baseline_is_exit_2_with_file_and_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    (tmp_path / "README.md").write_text("# Nothing to see\n")
    (tmp_path / "b.json").write_text(text)
    monkeypatch.chdir(tmp_path)
    code, out, err = run("check", "--root", str(tmp_path), "--baseline", "b.json")
    assert code == 2
    assert expected in err
    assert "Traceback" not in out + err


def test_missing_baseline_file_is_exit_2(tmp_path: Path) -> None:
    code, _, err = run("check", "--root", str(tmp_path), "--baseline", "nope.json")
    assert code == 2
    assert "nope.json: no such baseline file" in err


# The README's example


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    start = text.index("\n## Baselines\n")
    section = text[start : text.index("\n## ", start + 1)]
    (block,) = re.findall(r"^```sh\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def test_readme_baseline_commands_run(repo: Path) -> None:
    python = f"{shlex.quote(sys.executable)} -m proofgate"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    results = []
    for command in readme_commands():
        assert command.startswith("proofgate ")
        proc = subprocess.run(
            ["bash", "-c", python + command.removeprefix("proofgate")],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        results.append(proc)
    (record, check) = results
    assert record.returncode == 0, record.stderr
    assert (repo / ".proofgate-baseline.json").is_file()
    assert check.returncode == 0, check.stdout + check.stderr
    assert "0 findings" in check.stdout and "baselined finding(s) not reported" in check.stdout
