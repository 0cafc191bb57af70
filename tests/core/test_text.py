"""The text utilities of engine/core, written once for every layer, against naive versions."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from engine.core.text import ByteLineIndex, LineIndex, did_you_mean, iso_date, plural

TEXT = st.text(st.sampled_from("ab\n\ré€😀 "), max_size=40)


def naive(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


@given(TEXT, st.data())
def test_line_index_counts_code_points_from_line_starts(text: str, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(text)))
    assert LineIndex(text).position(offset) == naive(text, offset)


@given(TEXT, st.data())
def test_byte_line_index_agrees_at_every_character_start(text: str, data: st.DataObject) -> None:
    offset = data.draw(st.integers(0, len(text)))
    byte_offset = len(text[:offset].encode())
    assert ByteLineIndex(text.encode()).position(byte_offset) == naive(text, offset)


def test_iso_date_takes_only_real_days_in_the_long_form() -> None:
    assert iso_date("2026-02-28") == dt.date(2026, 2, 28)
    for text in ["2026-02-30", "2026-2-28", "20260228", "2026-02-28T00:00", " 2026-02-28", ""]:
        assert iso_date(text) is None, text


def test_did_you_mean_and_plural() -> None:
    assert did_you_mean("honey-is-basline", ["honey-is-baseline", "forge"]) == "honey-is-baseline"
    assert did_you_mean("zzz", ["honey-is-baseline"]) is None
    assert (plural(1, "file"), plural(0, "file"), plural(2, "file")) == (
        "1 file",
        "0 files",
        "2 files",
    )
