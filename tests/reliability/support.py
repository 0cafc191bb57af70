"""Helpers for the reliability suite: build a repo, run the CLI, demand no traceback."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from engine.cli import main
from engine.core.resources import shipped_policies

REPO = Path(__file__).resolve().parents[2]
SHIPPED = shipped_policies()
DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
COMPLIANT = REPO / "fixtures" / "repos" / "gf-compliant"
NOW = "2026-11-26"
CLAIM = "We support GitLab today.\n"  # one shipped-pack finding: forge-claims-need-proof.named

# A user policy over YAML, JSON and TOML values, so that generic config files are read.
CONFIG_POLICY = """\
policy no-flakehub-config {
  severity error
  rationale "Configs must not point at FlakeHub."
  fix "Use a github: URL."

  deny
    for c in config_values
    where c.key contains "flakehub"
    message "config key {c.key} names FlakeHub"
}
"""


@dataclass(frozen=True)
class Outcome:
    """What one CLI run did: exit code and the two streams."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.stdout)
        return data

    def findings(self) -> set[tuple[str, int, str]]:
        """``(path, line, rule)`` of every finding of a ``--format json`` run."""
        return {(f["path"], f["line"], f["rule"]) for f in self.json()["findings"]}

    def messages(self, rule: str) -> list[str]:
        return [f["message"] for f in self.json()["findings"] if f["rule"] == rule]


def run_cli(*args: str) -> Outcome:
    """Run proofgate in-process; a Python exception other than SystemExit fails the test."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"proofgate raised {result.exception!r}"
    )
    assert "Traceback" not in result.stdout + result.stderr
    return Outcome(result.exit_code, result.stdout, result.stderr)


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Create ``files`` (path -> text or bytes) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root
