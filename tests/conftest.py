"""Every test runs without proofgate's cache unless it asks for it (tests/test_cache.py):
a result taken from the cache would hide what the test means to exercise. A test
that turns it on gets its own user cache (XDG_CACHE_HOME), never the real one."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("PROOFGATE_NO_CACHE", "1")
    monkeypatch.setenv("XDG_CACHE_HOME", str(_user_cache(tmp_path_factory)))


def _user_cache(factory: pytest.TempPathFactory) -> Path:
    return factory.getbasetemp() / "user-cache"
