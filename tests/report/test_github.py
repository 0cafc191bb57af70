"""GitHub workflow-command annotations: escaping, one command per finding, the README step."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Callable
from pathlib import Path

import yaml

from engine.core.finding import Finding
from engine.core.result import CheckResult
from engine.report import github, render

DRIFTING = Path(__file__).resolve().parents[2] / "fixtures" / "repos" / "gf-drifting"


def unescape(text: str) -> str:
    """What the Actions runner makes of an escaped value (``%25`` last)."""
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ",")):
        text = text.replace(escaped, raw)
    return text.replace("%25", "%")


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """Split a workflow command as the runner does: ``::name k=v,k=v::message``."""
    assert line.startswith("::")
    head, separator, message = line[2:].partition("::")
    assert separator
    name, _, properties = head.partition(" ")
    pairs = (item.split("=", 1) for item in properties.split(","))
    return name, {key: unescape(value) for key, value in pairs}, unescape(message)


def test_escaping_follows_the_actions_toolkit() -> None:
    raw = "50% of a\r\nb: c, d"
    assert github.escape_data(raw) == "50%25 of a%0D%0Ab: c, d"
    assert github.escape_property(raw) == "50%25 of a%0D%0Ab%3A c%2C d"
    assert unescape(github.escape_property("literal %0A stays")) == "literal %0A stays"


def test_hostile_text_cannot_break_or_start_a_command() -> None:
    finding = Finding(
        path="docs/a,b:c.md",
        line=3,
        column=2,
        rule="forge-claims-need-proof.named",
        message='claims "x"\n::warning file=evil::injected at 100%',
        severity="error",
        end_line=3,
        end_column=9,
        fix="Reword it, or prove it: see proofs.yaml",
    )
    line = github.annotation(finding)
    assert "\n" not in line and "\r" not in line
    name, properties, message = parse_command(line)
    assert name == "error"
    assert properties == {
        "file": "docs/a,b:c.md",
        "line": "3",
        "col": "2",
        "endLine": "3",
        "endColumn": "9",
        "title": "forge-claims-need-proof.named",
    }
    assert message == f"{finding.message}\nfix: {finding.fix}"


def test_one_annotation_per_finding_then_notes_and_summary(drifting: CheckResult) -> None:
    lines = render("github", drifting).splitlines()
    commands = [parse_command(line) for line in lines if line.startswith("::")]
    assert len(commands) == len(drifting.findings) > 0
    for (name, properties, message), finding in zip(commands, drifting.findings, strict=True):
        assert name == {"error": "error", "warning": "warning"}[finding.severity]
        assert properties["file"] == finding.path
        assert (properties["line"], properties["col"]) == (str(finding.line), str(finding.column))
        assert properties["title"] == finding.rule
        assert message.startswith(finding.message)
    assert lines[-1].startswith(f"proofgate: {len(drifting.findings)} finding(s) (")
    assert all(line.startswith(("::", "note: ", "proofgate: ")) for line in lines)


def test_info_findings_are_notices_and_notes_stay_on_one_line() -> None:
    finding = Finding("a.md", 1, 1, "x.rule", "fyi", "info", 1, 2)
    result = CheckResult([finding], 1, notes=["odd\nname: skipped, binary file"])
    lines = render("github", result).splitlines()
    assert lines[0].startswith("::notice file=a.md,")
    assert "note: odd%0Aname: skipped, binary file" in lines
    assert "note: no proof ledger found, so nothing counts as proved" in lines


def test_readme_annotation_step_runs(
    tmp_path: Path,
    readme_blocks: Callable[[str, str], list[str]],
    run_readme: Callable[[str, Path], subprocess.CompletedProcess[str]],
) -> None:
    (snippet,) = [b for b in readme_blocks("GitHub Actions", "yaml") if "--format github" in b]
    (step,) = yaml.safe_load(textwrap.dedent(snippet))
    repo = tmp_path / "repo"
    shutil.copytree(DRIFTING, repo)
    proc = run_readme(step["run"], repo)
    assert proc.returncode == 1, proc.stderr
    annotations = [line for line in proc.stdout.splitlines() if line.startswith("::error ")]
    assert annotations and all("title=" in line for line in annotations)
