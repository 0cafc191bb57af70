"""Fixtures of the reliability suite (helpers in support.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from tests.reliability.support import (
    CLAIM,
    CONFIG_POLICY,
    NOW,
    SHIPPED,
    Outcome,
    run_cli,
    write_files,
)


@pytest.fixture
def config_policies(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """``-p`` options for the shipped pack plus :data:`CONFIG_POLICY`."""
    directory = tmp_path_factory.mktemp("policies")
    (directory / "config.policy").write_text(CONFIG_POLICY, encoding="utf-8")
    return ["-p", str(SHIPPED), "-p", str(directory)]


@pytest.fixture
def check_repo(tmp_path: Path) -> Callable[..., Outcome]:
    """Write a repo (a README with one claim, plus ``files``) and check it as JSON."""

    def check(files: Mapping[str, str | bytes], *options: str) -> Outcome:
        root = write_files(tmp_path / "repo", {"README.md": CLAIM, **files})
        return run_cli("check", "--root", str(root), "-f", "json", "--now", NOW, *options)

    return check
