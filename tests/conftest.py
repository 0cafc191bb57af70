"""Every test runs without proofgate's cache unless it asks for it (tests/test_cache.py):
a result taken from the cache would hide what the test means to exercise."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROOFGATE_NO_CACHE", "1")
