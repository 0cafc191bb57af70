"""engine.core.jsontext writes what json.dumps(indent=2, ensure_ascii=False) writes."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from engine.core.jsontext import pretty

scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text()
values = st.recursive(
    scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=30
)


@given(values)
def test_pretty_is_json_dumps_with_an_indent(value: Any) -> None:
    assert pretty(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def test_a_path_that_is_not_utf8_still_renders() -> None:
    value = {"path": "docs/caf\udce9.md"}  # a git listing keeps the byte as a surrogate
    assert pretty(value) == json.dumps(value, indent=2, ensure_ascii=False) + "\n"
