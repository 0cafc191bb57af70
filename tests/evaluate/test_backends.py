"""Every shipped policy gives the same findings on regopy and regorus over the fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.check import load_policies, run_check
from engine.resources import shipped_policies

REPOS = Path(__file__).resolve().parent.parent.parent / "fixtures" / "repos"


@pytest.mark.parametrize("repo", sorted(p.name for p in REPOS.iterdir() if p.is_dir()))
def test_shipped_pack_agrees_on_both_backends(repo: str) -> None:
    policies = load_policies([shipped_policies()])
    now = dt.date(2026, 11, 26)
    results = {
        backend: run_check(policies, REPOS / repo, [], now=now, backend=backend).findings
        for backend in ("regopy", "regorus")
    }
    assert results["regopy"] == results["regorus"]
