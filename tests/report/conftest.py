"""A check of the drifting fixture repo, shared by the report tests."""

from __future__ import annotations

import datetime as dt
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.core.resources import shipped_policies
from engine.core.result import CheckResult
from engine.pack import load_policies
from tests.support import REPO, readme_blocks, run_check

DRIFTING = Path(__file__).resolve().parents[2] / "fixtures" / "repos" / "gf-drifting"
NOW = dt.date(2026, 11, 26)


def _check(root: Path, *paths: str) -> CheckResult:
    return run_check(load_policies([shipped_policies()]), root, list(paths), None, NOW)


@pytest.fixture(scope="session")
def check_repo() -> Callable[..., CheckResult]:
    """Check a repo (or PATHS in it) with the shipped pack, as of 2026-11-26."""
    return _check


@pytest.fixture(scope="session")
def drifting() -> CheckResult:
    return _check(DRIFTING)


@pytest.fixture(scope="session", name="readme_blocks")
def readme_blocks_fixture() -> Callable[[str, str], list[str]]:
    """The fenced code blocks of one language in a README section."""
    return readme_blocks


def run_readme_command(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a README shell command in ``cwd``, with ``proofgate`` being this checkout."""
    python = f"{shlex.quote(sys.executable)} -m proofgate"
    script = re.sub(r"(^|\s)proofgate(?=\s)", rf"\g<1>{python}", command)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        ["bash", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


@pytest.fixture(scope="session")
def run_readme() -> Callable[[str, Path], subprocess.CompletedProcess[str]]:
    return run_readme_command
