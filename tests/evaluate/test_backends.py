"""Every shipped policy gives the same findings on regopy and regorus over the fixtures."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.resources import shipped_policies
from engine.pack import load_policies
from tests.support import run_check

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


scalars = st.none() | st.booleans() | st.integers(-(2**62), 2**62) | st.text(max_size=20)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None)
@given(values)
def test_the_direct_input_builder_gives_regopy_what_its_own_builder_gives(value: Any) -> None:
    """engine.evaluate.backends.regopy_input against regopy.Input(_as_parsed(...)):
    the same input as regopy prints it back."""
    import regopy

    from engine.evaluate.backends import _as_parsed, regopy_input

    interpreter = regopy.Interpreter()
    interpreter.set_input(regopy.Input(_as_parsed(value)))
    expected = str(interpreter.query("x := input"))
    interpreter.set_input(regopy_input(value))
    assert str(interpreter.query("x := input")) == expected
