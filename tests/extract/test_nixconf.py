"""The nix.conf extractor: settings as Nix reads them, with the key's position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.extract.base import Extraction, SourceFile
from engine.extract.nixconf import extract
from tests.support import within

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "nix"
FIELDS = ("line", "column", "end_line", "end_column", "key", "value", "values")


def read(name: str) -> Extraction:
    path = FIXTURES / name
    return extract(SourceFile(f"etc/{name}", path.read_text(encoding="utf-8"), "nixconf"))


def read_text(text: str) -> Extraction:
    return extract(SourceFile("nix.conf", text, "nixconf"))


def rows(extraction: Extraction) -> list[tuple[Any, ...]]:
    records = extraction.records.get("nix_settings", [])
    return [tuple(record[field] for field in FIELDS) for record in records]


def test_runner_nix_conf() -> None:
    extraction = read("nix.conf")
    assert extraction.problems == []
    keys = (
        "cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=",
        "main:Cz5hKB1qQNzsGmPxsV0yjVHW8K0Uo+ANi1Dp8pdhhBs=",
    )
    fallbacks = ["https://cache.nixos.org", "https://nix-community.cachix.org"]
    assert rows(extraction) == [
        (2, 1, 2, 22, "experimental-features", "nix-command flakes", ["nix-command", "flakes"]),
        (4, 1, 4, 13, "substituters", "https://attic.honey.internal/main",
         ["https://attic.honey.internal/main"]),
        (5, 1, 5, 20, "trusted-public-keys", " ".join(keys), list(keys)),
        (6, 1, 6, 19, "extra-substituters", " ".join(fallbacks), fallbacks),
        (7, 1, 7, 9, "max-jobs", "auto", ["auto"]),
        (8, 1, 8, 9, "include", "/etc/nix/nix.custom.conf", ["/etc/nix/nix.custom.conf"]),
    ]  # fmt: skip
    records = extraction.records["nix_settings"]
    assert {(record["source"], record["path"]) for record in records} == {
        ("nix.conf", "etc/nix.conf")
    }


def test_illegal_lines_are_problems_and_reading_goes_on() -> None:
    extraction = read("malformed/nix.conf")
    assert [(p.line, p.column, p.message) for p in extraction.problems] == [
        (1, 1, "illegal line 'substituters=https://attic.honey.internal/main': "
               "expected 'name = value' with spaces around '='"),
        (2, 1, "illegal line 'extra-substituters': "
               "expected 'name = value' with spaces around '='"),
        (3, 1, "illegal line 'include a.conf b.conf': expected 'include PATH'"),
    ]  # fmt: skip
    assert rows(extraction) == [
        (4, 1, 4, 14, "trusted-users", "root runner", ["root", "runner"]),
    ]


def test_hash_starts_a_comment_anywhere() -> None:
    extraction = read_text("substituters = https://attic.example/main#frag https://b\n")
    assert rows(extraction) == [
        (1, 1, 1, 13, "substituters", "https://attic.example/main", ["https://attic.example/main"]),
    ]


def test_indented_keys_empty_values_and_crlf() -> None:
    extraction = read_text("  \tpost-build-hook =\r\n\r\nextra-substituters = https://a\r\n")
    assert rows(extraction) == [
        (1, 4, 1, 19, "post-build-hook", "", []),
        (3, 1, 3, 19, "extra-substituters", "https://a", ["https://a"]),
    ]


def test_columns_count_code_points() -> None:
    extraction = read_text("\u00a0é = x\n")
    assert rows(extraction) == [(1, 1, 1, 3, "\u00a0é", "x", ["x"])]


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list(" \t\n\r=#!abcdeilnu-/:")) | st.characters(),
        max_size=300,
    )
)
def test_arbitrary_text_never_raises_and_positions_lie_within(text: str) -> None:
    extraction = read_text(text)
    for record in extraction.records.get("nix_settings", []):
        assert within(text, record["line"], record["column"])
        assert within(text, record["end_line"], record["end_column"])
        assert record["value"] == " ".join(record["values"])
    for problem in extraction.problems:
        assert within(text, problem.line, problem.column)
