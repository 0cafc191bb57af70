"""A bare repository committed inside the checked tree (a folder with HEAD, config,
objects/ and refs/) is never taken for the repo: its config could name any work
tree (``core.worktree = /etc``) or commands (issue 16, docs/security.md)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.reliability.support import CLAIM, NOW, run_cli, write_files

SECRET = "the-secret-of-the-runner"


def test_an_embedded_bare_repository_is_not_obeyed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = write_files(tmp_path / "outside", {"notes.md": f"We support GitLab. {SECRET}\n"})
    marker = tmp_path / "marker"
    root = write_files(tmp_path / "repo", {"README.md": CLAIM})
    embedded = root / "vendor" / "lib"
    subprocess.run(["git", "init", "-q", "--bare", str(embedded)], check=True)
    config = ["git", "--git-dir", str(embedded), "config"]
    subprocess.run([*config, "core.bare", "false"], check=True)
    subprocess.run([*config, "core.worktree", str(outside)], check=True)
    subprocess.run([*config, "core.fsmonitor", f"touch {marker}; false"], check=True)
    monkeypatch.chdir(embedded)  # a user, or a hook, running proofgate from there
    outcome = run_cli("check", "--now", NOW, "-f", "json")
    assert SECRET not in outcome.stdout + outcome.stderr
    assert "notes.md" not in outcome.stdout
    assert not marker.exists()
