"""The flake extractors: flake.nix inputs and nixConfig, flake.lock nodes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.extract.base import Extraction, SourceFile
from engine.extract.flake import extract, flake_type, source_url
from tests.support import within

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "nix"
POSITION = ("line", "column", "end_line", "end_column")
INPUT = (*POSITION, "name", "url", "type")
SETTING = (*POSITION, "key", "value", "values")


def read(name: str, kind: str) -> Extraction:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return extract(SourceFile(name, text, kind))


def read_nix(text: str) -> Extraction:
    return extract(SourceFile("flake.nix", text, "flake"))


def read_lock(text: str) -> Extraction:
    return extract(SourceFile("flake.lock", text, "flake_lock"))


def rows(extraction: Extraction, collection: str, fields: tuple[str, ...]) -> list[tuple[Any, ...]]:
    records = extraction.records.get(collection, [])
    return [tuple(record[field] for field in fields) for record in records]


def problems(extraction: Extraction) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in extraction.problems]


# flake.nix


def test_flake_nix_inputs() -> None:
    extraction = read("flake.nix", "flake")
    assert extraction.problems == []
    assert rows(extraction, "flake_inputs", INPUT) == [
        (4, 24, 4, 61, "nixpkgs", "github:NixOS/nixpkgs/nixos-unstable", "github"),
        (6, 23, 6, 51, "flake-utils", "github:numtide/flake-utils", "github"),
        (8, 14, 8, 62, "fh", "https://flakehub.com/f/DeterminateSystems/fh/*", "flakehub"),
        (10, 13, 10, 63, "attic", "git+https://github.com/zhaofengli/attic?ref=main", "git"),
        (13, 5, 13, 12, "nix-src", "github:NixOS/nix", "github"),
        (18, 27, 18, 88, "rules-nixpkgs",
         "https://api.flakehub.com/f/tweag/rules_nixpkgs/0.1.tar.gz", "flakehub"),
        (19, 5, 19, 12, "systems", "", ""),
    ]  # fmt: skip
    records = extraction.records["flake_inputs"]
    assert {(r["source"], r["flake"], r["path"]) for r in records} == {
        ("flake.nix", "flake.nix", "flake.nix")
    }


def test_flake_nix_nix_config() -> None:
    extraction = read("flake.nix", "flake")
    key = "main:Cz5hKB1qQNzsGmPxsV0yjVHW8K0Uo+ANi1Dp8pdhhBs="
    attic = "https://attic.honey.internal/main"
    assert rows(extraction, "nix_settings", SETTING) == [
        (23, 5, 23, 23, "extra-substituters", attic, [attic]),
        (24, 5, 24, 30, "extra-trusted-public-keys", key, [key]),
        (28, 13, 28, 32, "accept-flake-config", "true", ["true"]),
    ]
    assert {r["source"] for r in extraction.records["nix_settings"]} == {"flake"}


def test_inputs_name_the_flake_they_belong_to() -> None:
    """Whether that flake bootstraps is the ledger's ``bootstrap_flakes``, read by B4."""
    text = (FIXTURES / "flake.nix").read_text(encoding="utf-8")
    extraction = extract(SourceFile("nix/publish/flake.nix", text, "flake"))
    assert {r["flake"] for r in extraction.records["flake_inputs"]} == {"nix/publish/flake.nix"}
    lock = (FIXTURES / "flake.lock").read_text(encoding="utf-8")
    extraction = extract(SourceFile("nix/publish/flake.lock", lock, "flake_lock"))
    assert {r["flake"] for r in extraction.records["flake_inputs"]} == {"nix/publish/flake.nix"}


def test_let_body_string_shorthand_escapes_and_uris() -> None:
    text = (
        "let\n  base = 1;\nin {\n"
        '  inputs.a = "github:o/a";\n'
        '  inputs.b.url = "https://x.example/\\${not}\\"q\\"";\n'
        "  inputs.c.url = github:o/c;\n"
        "  inputs.d.url = ''git+ssh://git@host/''${repo}'';\n"
        "}\n"
    )
    extraction = read_nix(text)
    assert extraction.problems == []
    assert rows(extraction, "flake_inputs", INPUT) == [
        (4, 14, 4, 26, "a", "github:o/a", "github"),
        (5, 18, 5, 50, "b", 'https://x.example/${not}"q"', "tarball"),
        (6, 18, 6, 28, "c", "github:o/c", "github"),
        (7, 18, 7, 50, "d", "git+ssh://git@host/${repo}", "git"),
    ]


def test_indented_string_lists_are_dedented_and_split() -> None:
    text = (
        "{\n  nixConfig.substituters = ''\n"
        "    https://attic.example/main\n    https://b\n  '';\n}\n"
    )
    extraction = read_nix(text)
    assert rows(extraction, "nix_settings", SETTING) == [
        (2, 13, 2, 25, "substituters", "https://attic.example/main\nhttps://b\n",
         ["https://attic.example/main", "https://b"]),
    ]  # fmt: skip


def test_explicit_type_wins_unless_the_host_is_flakehub() -> None:
    text = (
        "{\n"
        '  inputs.a = { type = "git"; url = "https://example.org/a.git"; };\n'
        '  inputs.b = { type = "tarball";\n'
        '    url = "https://api.flakehub.com/f/pinned/o/b/1/x.tar.gz"; };\n'
        '  inputs.c = { type = "indirect"; id = "nixpkgs"; };\n'
        '  inputs.d = { type = "path"; path = "/srv/flake"; };\n'
        "}\n"
    )
    assert [
        (r[1], r[2]) for r in rows(read_nix(text), "flake_inputs", ("name", "url", "type"))
    ] == [
        ("https://example.org/a.git", "git"),
        ("https://api.flakehub.com/f/pinned/o/b/1/x.tar.gz", "flakehub"),
        ("flake:nixpkgs", "indirect"),
        ("path:/srv/flake", "path"),
    ]


def test_values_that_need_evaluation_are_problems() -> None:
    text = (
        "{\n"
        '  inputs.a.url = "github:o/${name}";\n'
        '  inputs.${x}.url = "github:o/x";\n'
        "  inputs = { inherit (other) b; };\n"
        "  nixConfig.substituters = [ attic ];\n"
        '  nixConfig.extra-substituters = [ "https://ok" ];\n'
        "}\n"
    )
    extraction = read_nix(text)
    assert problems(extraction) == [
        (2, 18, "inputs.a.url is not a literal"),
        (3, 10, "a computed attribute name is not followed"),
        (4, 14, "'inherit' under inputs is not followed"),
        (5, 28, "nixConfig.substituters is not a literal"),
    ]
    assert rows(extraction, "flake_inputs", ("name", "url")) == [("a", "")]
    assert rows(extraction, "nix_settings", ("key", "values")) == [
        ("extra-substituters", ["https://ok"])
    ]


def test_inputs_and_nix_config_must_be_sets() -> None:
    extraction = read_nix('{ inputs = import ./inputs.nix; nixConfig = "x"; }\n')
    assert problems(extraction) == [
        (1, 12, "'inputs' must be an attribute set"),
        (1, 45, "'nixConfig' must be an attribute set"),
    ]


def test_syntax_errors_report_the_first_one() -> None:
    extraction = read_nix('{\n  inputs.a.url = "github:o/a"\n  inputs.b.url = "x";\n}\n')
    assert len(extraction.problems) == 1
    assert extraction.problems[0].message.startswith("cannot parse flake.nix:")
    assert extraction.records == {}


def test_a_trailing_comma_in_formals_is_valid_nix() -> None:
    text = '{\n  inputs.a.url = "github:o/a";\n  outputs = { self, a, }: { };\n}\n'
    extraction = read_nix(text)
    assert extraction.problems == []
    assert [r["name"] for r in extraction.records["flake_inputs"]] == ["a"]
    # an empty formal anywhere else, or a missing value after one, is still an error
    assert problems(read_nix("{ outputs = { self, , a }: { }; }\n"))[0][:2] == (1, 19)
    assert problems(read_nix("{ outputs = { self, a, }: { x = ; }; }\n"))[0][2] == (
        "cannot parse flake.nix: missing 'identifier'"
    )


def test_a_flake_that_is_not_an_attribute_set() -> None:
    assert problems(read_nix("import ./flake-impl.nix\n")) == [
        (1, 1, "flake.nix is not an attribute set")
    ]


def test_columns_count_code_points_in_flake_nix() -> None:
    extraction = read_nix('{ description = "déjà vu"; inputs."é".url = "github:o/é"; }')
    assert rows(extraction, "flake_inputs", INPUT) == [(1, 45, 1, 57, "é", "github:o/é", "github")]


# flake.lock


def test_flake_lock_nodes() -> None:
    extraction = read("flake.lock", "flake_lock")
    assert extraction.problems == []
    pinned_fh = (
        "https://api.flakehub.com/f/pinned/DeterminateSystems/fh/0.1.10/"
        "018f60a4-7f19-7a8b-9a6e-4d1c0b7b3a51/source.tar.gz"
    )
    pinned_nixpkgs = (
        "https://api.flakehub.com/f/pinned/NixOS/nixpkgs/0.1.628374%2Brev-"
        "25865a40d14b3f9cf19f19b924e2ab4069b09588/018f4f0e-2e5b-7c6d-8f5e-0c1e7e0b3f7a/"
        "source.tar.gz"
    )
    assert rows(extraction, "flake_inputs", INPUT) == [
        (3, 5, 3, 12, "attic", "https://github.com/zhaofengli/attic", "git"),
        (24, 5, 24, 9, "fh", pinned_fh, "flakehub"),
        (41, 5, 41, 18, "flake-utils", "github:numtide/flake-utils", "github"),
        (59, 5, 59, 14, "nixpkgs", "github:NixOS/nixpkgs", "github"),
        (75, 5, 75, 16, "nixpkgs_2", pinned_nixpkgs, "flakehub"),
        (89, 5, 89, 23, "registry-nixpkgs", "flake:nixpkgs", "indirect"),
        (108, 5, 108, 14, "systems", "github:nix-systems/default", "github"),
    ]
    records = extraction.records["flake_inputs"]
    assert {(r["source"], r["flake"]) for r in records} == {("flake.lock", "flake.nix")}


def test_lock_root_name_comes_from_the_lock() -> None:
    text = json.dumps(
        {
            "nodes": {
                "root": {"locked": {"type": "github", "owner": "o", "repo": "r"}},
                "top": {"inputs": {"root": "root"}},
            },
            "root": "top",
        }
    )
    assert rows(read_lock(text), "flake_inputs", ("name", "url")) == [("root", "github:o/r")]


def test_malformed_lock_files() -> None:
    assert problems(read_lock('{\n  "nodes": {\n    "a": {,\n')) == [
        (3, 11, "invalid JSON: Expecting property name enclosed in double quotes")
    ]
    assert problems(read_lock("[]")) == [(1, 1, "flake.lock has no 'nodes' object")]
    extraction = read_lock('{"nodes": {"a": 1, "b": {"original": {"type": "gitlab"}}}}')
    assert problems(extraction) == [(1, 12, "lock node 'a' is not an object")]
    assert rows(extraction, "flake_inputs", ("name", "url", "type")) == [("b", "", "gitlab")]


def test_duplicate_lock_keys_point_at_the_one_json_keeps() -> None:
    text = '{"nodes": {"a": {}, "a": {"locked": {"type": "path", "path": "/x"}}}}'
    assert rows(read_lock(text), "flake_inputs", ("column", "url")) == [(21, "path:/x")]


# URL types


@pytest.mark.parametrize(
    ("url", "explicit", "expected"),
    [
        ("github:NixOS/nixpkgs", "", "github"),
        ("gitlab:o/r", "", "gitlab"),
        ("git+https://example.org/r.git", "", "git"),
        ("git+ssh://git@example.org/r", "", "git"),
        ("https://example.org/r.tar.gz", "", "tarball"),
        ("tarball+https://example.org/r", "", "tarball"),
        ("file+https://example.org/r", "", "file"),
        ("hg+https://example.org/r", "", "mercurial"),
        ("path:/srv/flake", "", "path"),
        ("./sub", "", "path"),
        ("nixpkgs", "", "indirect"),
        ("flake:nixpkgs", "", "indirect"),
        ("https://flakehub.com/f/NixOS/nixpkgs/*", "", "flakehub"),
        ("https://api.flakehub.com/f/pinned/o/r/1/x.tar.gz", "tarball", "flakehub"),
        ("https://example.org/x", "file", "file"),
        ("http://[::1", "", "tarball"),
        ("", "", ""),
    ],
)
def test_flake_type(url: str, explicit: str, expected: str) -> None:
    assert flake_type(url, explicit) == expected


def test_source_url_needs_owner_and_repo() -> None:
    assert source_url({"type": "sourcehut", "owner": "~o", "repo": "r"}) == "sourcehut:~o/r"
    assert source_url({"type": "github", "owner": "o"}) == ""
    assert source_url({"type": "file", "url": "https://x/y"}) == "https://x/y"


# properties


def assert_within(text: str, extraction: Extraction) -> None:
    for records in extraction.records.values():
        for record in records:
            assert within(text, record["line"], record["column"])
            assert within(text, record["end_line"], record["end_column"])
    for problem in extraction.problems:
        assert within(text, problem.line, problem.column)


NIX_PIECES = [
    "{", "}", "[", "]", "(", ")", ";", "=", ".", " ", "\n", '"', "''", "${", "#", "/*", "*/",
    "\\", "inputs", "nixConfig", "url", "a", "é", "let", "in", "rec", "inherit", "follows",
    '"github:o/r"', '"https://flakehub.com/f/x"', "true", "1",
]  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(NIX_PIECES) | st.text(max_size=3), max_size=60).map("".join))
def test_arbitrary_flake_nix_never_raises(text: str) -> None:
    assert_within(text, read_nix(text))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
LOCK_NODES = st.dictionaries(
    st.text(max_size=8),
    JSON_VALUES
    | st.fixed_dictionaries(
        {
            "locked": st.dictionaries(
                st.sampled_from(["type", "url", "owner", "repo", "id"]), st.text(max_size=12)
            )
        }
    ),
    max_size=5,
)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(lambda nodes, indent: json.dumps({"nodes": nodes, "root": "root"}, indent=indent),
                  LOCK_NODES, st.sampled_from([None, 1, 2, "\t"])),
    )
)  # fmt: skip
def test_arbitrary_flake_lock_never_raises(text: str) -> None:
    extraction = read_lock(text)
    assert_within(text, extraction)
    data = json.loads(text) if not extraction.problems else None
    if isinstance(data, dict) and isinstance(data.get("nodes"), dict):
        names = [r["name"] for r in extraction.records.get("flake_inputs", [])]
        assert names == [name for name in data["nodes"] if name != "root"]
