"""The generic extractor: scalars of YAML, JSON and TOML files as config values."""

from __future__ import annotations

import json
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.extract import generic, yamlsrc
from engine.extract.base import Extraction, SourceFile
from engine.extract.generic import extract, key_path

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "generic"

Row = tuple[str, Any, int, int, int, int]


def _fixture(name: str, kind: str) -> Extraction:
    return extract(SourceFile(f"conf/{name}", (FIXTURES / name).read_text(encoding="utf-8"), kind))


def _text(text: str, kind: str) -> Extraction:
    return extract(SourceFile(f"conf/t.{kind}", text, kind))


def _rows(out: Extraction) -> list[Row]:
    return [
        (r["key"], r["value"], r["line"], r["column"], r["end_line"], r["end_column"])
        for r in out.records.get("config_values", [])
    ]


def _problems(out: Extraction) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in out.problems]


def test_yaml_fixture() -> None:
    out = _fixture("settings.yaml", "yaml")
    assert out.problems == []
    assert _rows(out) == [
        ("pool.name", "honey", 3, 9, 3, 14),
        ("pool.replicas", 3, 4, 13, 4, 14),
        ("pool.version", 3.1, 5, 12, 5, 16),
        ("pool.labels.0", "self-hosted", 6, 12, 6, 23),
        ("pool.labels.1", "kvm", 6, 25, 6, 28),
        ('pool.cache["attic.endpoint"]', "https://attic.honey.example", 8, 21, 8, 48),
        ("pool.cache.enabled", "yes", 9, 14, 9, 17),  # YAML 1.2: `yes` is a string
        ("pool.cache.fallback", True, 10, 15, 10, 19),
        ("pool.cache.budget", None, 11, 13, 11, 14),
        ('pool["8080"]', "http", 12, 11, 12, 15),
        ("motd", "Welcome to honey.\n", 13, 7, 15, 1),
        ("second", "document", 16, 9, 16, 17),  # every document of the stream
    ]
    record = out.records["config_values"][0]
    assert record["path"] == "conf/settings.yaml"
    assert record["format"] == "yaml"


def test_json_fixture() -> None:
    out = _fixture("package.json", "json")
    assert out.problems == []
    assert _rows(out) == [
        ("name", "@tinyland/flywheel-docs", 2, 11, 2, 36),
        ("version", "1.2.0", 3, 14, 3, 21),
        ("private", True, 4, 14, 4, 18),
        ('exports["./lint"]', "./dist/lint.js", 6, 15, 6, 31),
        ('exports["has space"]', None, 7, 18, 7, 22),
        ("engines.node", ">=20", 9, 23, 9, 29),
        ("keywords.0", "nix", 10, 16, 10, 21),
        ("keywords.1", "attic", 10, 23, 10, 30),
        ("keywords.2.deep.0", 1.5, 10, 42, 10, 46),
        ("keywords.2.deep.1", -2000.0, 10, 48, 10, 52),
        ("café", "naïve ✓", 11, 16, 11, 30),  # escapes decoded; empty {} and [] have no leaves
    ]
    assert {r["format"] for r in out.records["config_values"]} == {"json"}


def test_toml_fixture() -> None:
    out = _fixture("config.toml", "toml")
    assert out.problems == []
    assert _rows(out) == [
        ("title", "flywheel", 2, 9, 2, 19),  # not the `title = ` inside the multi-line string
        ("owner.name", "tinyland", 3, 14, 3, 24),
        ("cache.endpoint", "grpcs://bazel-cache.honey.example", 6, 12, 6, 47),
        ('cache["upload.local"]', False, 7, 18, 7, 23),
        ("cache.timeouts.0", 30, 8, 14, 8, 16),
        ("cache.timeouts.1", 60, 9, 3, 9, 5),
        ("cache.notes", 'title = "not a key"\n  ', 11, 9, 13, 6),
        ("runner.0.name", "kvm", 16, 8, 16, 13),
        ("runner.0.labels.primary", "kvm", 17, 22, 17, 27),
        ("runner.0.labels.extra.0", "nix-vm-test", 17, 38, 17, 51),
        ("runner.0.proof.verified", "2026-05-02", 20, 12, 20, 22),  # dates as ISO strings
        ("runner.1.name", "gpu", 23, 8, 23, 13),
    ]


def test_toml_arrays_of_tables_nest() -> None:
    text = (
        '[[fruit]]\nname = "apple"\n[fruit.physical]\ncolor = "red"\n'
        '[[fruit.variety]]\nname = "red"\n[[fruit.variety]]\nname = "gala"\n'
        '[[fruit]]\nname = "banana"\n[[fruit.variety]]\nname = "plantain"\n'
    )
    assert [(key, line) for key, _, line, *_ in _rows(_text(text, "toml"))] == [
        ("fruit.0.name", 2),
        ("fruit.0.physical.color", 4),
        ("fruit.0.variety.0.name", 6),
        ("fruit.0.variety.1.name", 8),
        ("fruit.1.name", 10),
        ("fruit.1.variety.0.name", 12),
    ]


def test_toml_values_the_scanner_cannot_place_take_their_ancestor() -> None:
    text = "a = 1\n[t]\nb = 2\n"
    assert generic.nearest_span({("t",): (2, 1, 2, 4)}, ("t", "x", 0)) == (2, 1, 2, 4)
    assert generic.nearest_span({}, ("t",)) == (1, 1, 1, 1)
    assert [row[2] for row in _rows(_text(text, "toml"))] == [1, 3]


def test_toml_special_values() -> None:
    text = (
        "inf = inf\nnan = nan\nwhen = 1979-05-27T07:32:00-08:00\nlocal = 07:32:00\n"
        "lit = '''\nraw ''\\n'''''\nq = \"a \\\" b\"\n\"key \\u0041\" = 1\n"
    )
    rows = {row[0]: row[1:] for row in _rows(_text(text, "toml"))}
    assert rows["inf"][0] == "inf" and rows["nan"][0] == "nan"
    assert rows["when"] == ("1979-05-27T07:32:00-08:00", 3, 8, 3, 33)
    assert rows["local"][0] == "07:32:00"
    assert rows["lit"] == ("raw ''\\n''", 5, 7, 6, 14)
    assert rows["q"] == ('a " b', 7, 5, 7, 13)
    assert rows['["key A"]'] == (1, 8, 16, 8, 17)


@pytest.mark.parametrize(
    ("name", "kind", "line", "column", "start"),
    [
        ("malformed.json", "json", 4, 1, "malformed JSON: Expecting property name"),
        ("malformed.toml", "toml", 4, 1, "malformed TOML: Unclosed array"),
        ("malformed.yaml", "yaml", 4, 5, "malformed YAML: while parsing a flow sequence"),
    ],
)
def test_malformed_files(name: str, kind: str, line: int, column: int, start: str) -> None:
    out = _fixture(name, kind)
    assert out.records == {}
    [(got_line, got_column, message)] = _problems(out)
    assert (got_line, got_column) == (line, column)
    assert message.startswith(start)


@pytest.mark.parametrize(
    ("text", "kind", "problem"),
    [
        ('{"a": [1, 2,]}', "json", (1, 13, "malformed JSON: Expecting value")),
        ('{"a": 1} x', "json", (1, 10, "malformed JSON: Extra data")),
        ("a = 1\nb = \n", "toml", (2, 5, "malformed TOML: Invalid value")),
        ('a = "x', "toml", (1, 7, "malformed TOML: Unterminated string")),
        ("a = 1\na = 2\n", "toml", (2, 6, "malformed TOML: Cannot overwrite a value")),
    ],
)
def test_parser_errors_keep_their_position(
    text: str, kind: str, problem: tuple[int, int, str]
) -> None:
    out = _text(text, kind)
    assert out.records == {}
    assert _problems(out) == [problem]


def test_yaml_duplicate_keys_are_problems_and_the_last_wins() -> None:
    out = _text("a: 1\nb: 2\na: 3\n", "yaml")
    assert _problems(out) == [(3, 1, "duplicate key 'a'")]
    assert [(k, v) for k, v, *_ in _rows(out)] == [("a", 3), ("b", 2)]


def test_json_duplicate_keys_are_all_kept() -> None:
    out = _text('{"a": 1, "a": 2}', "json")
    assert out.problems == []
    assert [(k, v, c) for k, v, _, c, *_ in _rows(out)] == [("a", 1, 7), ("a", 2, 15)]


@pytest.mark.parametrize(
    ("text", "kind", "rows"),
    [
        ("", "json", []),
        ("  \n", "json", []),
        ("", "toml", []),
        ("# nothing\n", "yaml", []),
        ('"just a string"', "json", [("", "just a string", 1, 1, 1, 16)]),
        ("42\n", "yaml", [("", 42, 1, 1, 1, 3)]),
        ("[NaN, -Infinity]", "json", [("0", "nan", 1, 2, 1, 5), ("1", "-inf", 1, 7, 1, 16)]),
        ("a: .inf\n", "yaml", [("a", "inf", 1, 4, 1, 8)]),
        ("{}", "json", []),
    ],
)
def test_small_documents(text: str, kind: str, rows: list[Row]) -> None:
    out = _text(text, kind)
    assert out.problems == []
    assert _rows(out) == rows


def test_values_are_json_able() -> None:
    """Rego receives the records as JSON: every value survives the round trip as it is
    (no NaN, dates or other Python-only types), and the scalars keep their JSON types."""
    for name, kind in [
        ("settings.yaml", "yaml"),
        ("package.json", "json"),
        ("config.toml", "toml"),
    ]:
        records = _fixture(name, kind).records
        assert records["config_values"], name
        assert json.loads(json.dumps(records, allow_nan=False)) == records, name
        types = {type(r["value"]) for r in records["config_values"]}
        assert types <= {str, int, float, bool, type(None)}, (name, types)


@pytest.mark.parametrize(
    ("path", "key"),
    [
        ((), ""),
        (("a", "b", 0, "c"), "a.b.0.c"),
        (("a", "x.y"), 'a["x.y"]'),
        (("x.y", "b"), '["x.y"].b'),
        (("a", "has space"), 'a["has space"]'),
        (("a", ""), 'a[""]'),
        (("a", "8080"), 'a["8080"]'),
        (("a", 'q"uote'), 'a["q\\"uote"]'),
        (("a", "[0]"), 'a["[0]"]'),
        (("runs-on", "ünï"), "runs-on.ünï"),
    ],
)
def test_key_path(path: tuple[str | int, ...], key: str) -> None:
    assert key_path(path) == key


def test_unknown_kind_is_a_problem() -> None:
    out = _text("x", "ini")
    assert _problems(out) == [(1, 1, "no generic reader for 'ini'")]


# --- limits ----------------------------------------------------------------------


def test_more_than_the_leaf_cap_is_cut_with_a_problem() -> None:
    count = generic.MAX_LEAVES + 5
    text = "[" + ",\n".join(["0"] * count) + "]"
    out = _text(text, "json")
    assert len(out.records["config_values"]) == generic.MAX_LEAVES
    assert _problems(out) == [
        (generic.MAX_LEAVES + 1, 1, "more than 100000 values: the rest of the file is not checked")
    ]


def test_the_cap_applies_to_every_format(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generic, "MAX_LEAVES", 2)
    for text, kind, column in [
        ("a: 1\nb: 2\nc: 3\n", "yaml", 4),
        ("a = 1\nb = 2\nc = 3\n", "toml", 5),
    ]:
        out = _text(text, kind)
        assert [row[0] for row in _rows(out)] == ["a", "b"]
        assert [(p.line, p.column) for p in out.problems] == [(3, column)]


def test_deep_nesting() -> None:
    depth = 500
    out = _text("[" * depth + "1" + "]" * depth, "json")
    assert _rows(out) == [(".".join(["0"] * depth), 1, 1, depth + 1, 1, depth + 2)]
    for text, kind in [
        ("[" * 100_000 + "]" * 100_000, "json"),
        ("a = " + "[" * 5000 + "]" * 5000, "toml"),
        ("a: " + "[" * 1000 + "]" * 1000, "yaml"),
    ]:
        out = _text(text, kind)
        assert out.records == {}
        [(_, _, message)] = _problems(out)
        assert "nest" in message


def test_deep_toml_is_placed_up_to_the_scanner_limit() -> None:
    depth = yamlsrc.MAX_DEPTH + 20
    out = _text("\n\na = " + "[" * depth + "1" + "]" * depth + "\n", "toml")
    assert out.problems == []
    [(_, value, line, column, *_)] = _rows(out)
    assert (value, line) == (1, 3)
    assert 5 < column < 5 + depth  # the deepest array the scanner placed


def test_an_alias_bomb_is_a_problem_not_a_hang() -> None:
    rows = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 8)}]" for n in range(1, 10)]
    started = time.monotonic()
    out = _text("\n".join(rows) + "\n", "yaml")
    assert time.monotonic() - started < 5
    assert out.records == {}
    assert "alias" in out.problems[0].message


def test_huge_numbers() -> None:
    digits = "1" * 5000
    assert _rows(_text(f"a: {digits}\n", "yaml"))[0][1] == digits
    [(line, column, message)] = _problems(_text(digits, "json"))
    assert (line, column) == (1, 1) and message.startswith("malformed JSON")


# --- properties ----------------------------------------------------------------


def _assert_within(text: str, out: Extraction, kind: str) -> None:
    lines = yamlsrc.split_lines(text) if kind == "yaml" else text.split("\n")
    spots = [(p.line, p.column) for p in out.problems]
    for r in out.records.get("config_values", []):
        spots += [(r["line"], r["column"]), (r["end_line"], r["end_column"])]
    for line, column in spots:
        assert 1 <= line <= len(lines), (line, column)
        assert 1 <= column <= len(lines[line - 1]) + 1, (line, column)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.sampled_from(["yaml", "json", "toml"]))
def test_arbitrary_text_never_raises(text: str, kind: str) -> None:
    _assert_within(text, _text(text, kind), kind)


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=25,
)


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _scalars(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _scalars(item)]
    return [value]


@settings(max_examples=200, deadline=None)
@given(_JSON, st.sampled_from([None, 0, 2]), st.booleans())
def test_every_json_leaf_spans_its_own_text(
    value: Any, indent: int | None, ascii_only: bool
) -> None:
    text = json.dumps(value, indent=indent, ensure_ascii=ascii_only)
    out = _text(text, "json")
    assert out.problems == []
    lines = text.split("\n")
    records = out.records.get("config_values", [])
    assert [r["value"] for r in records] == _scalars(value)
    for r in records:
        assert r["line"] == r["end_line"]
        written = lines[r["line"] - 1][r["column"] - 1 : r["end_column"] - 1]
        assert json.loads(written) == r["value"]


@settings(max_examples=100, deadline=None)
@given(_JSON, st.booleans())
def test_yaml_leaves_match_the_data(value: Any, flow: bool) -> None:
    text = yaml.safe_dump(value, default_flow_style=flow, allow_unicode=True)
    out = _text(text, "yaml")
    _assert_within(text, out, "yaml")
    assert len(out.records.get("config_values", [])) == len(_scalars(value))


# A small TOML writer for the property below: tables, arrays of tables, inline
# tables, arrays, and the four kinds of strings.

_TOML_KEY = st.from_regex(r"[A-Za-z0-9_-]{1,6}", fullmatch=True) | st.text(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=5
)
_TOML_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]), max_size=8)
_TOML_VALUE = st.recursive(
    st.integers(-(10**6), 10**6) | st.booleans() | _TOML_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TOML_KEY, inner, max_size=3),
    max_leaves=8,
)
_TOML_BODY = st.dictionaries(_TOML_KEY, _TOML_VALUE, max_size=4)


def _toml_key(key: str) -> str:
    return (
        key
        if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
        else json.dumps(key, ensure_ascii=False)
    )


def _toml_value(value: Any, style: int) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if style == 1 and "'" not in value:
            return f"'{value}'"
        if style == 2 and not value.endswith('"'):
            return '"""\n' + value.replace("\\", "\\\\").replace('"""', '""\\"') + '"""'
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        joiner = ",\n  " if style == 2 else ", "
        return "[" + joiner.join(_toml_value(v, style) for v in value) + "]"
    pairs = (f"{_toml_key(k)} = {_toml_value(v, style)}" for k, v in value.items())
    return "{" + ", ".join(pairs) + "}"


def _toml_table(body: dict[str, Any], style: int) -> str:
    return "".join(f"{_toml_key(k)} = {_toml_value(v, style)}\n" for k, v in body.items())


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    _TOML_BODY,
    st.dictionaries(_TOML_KEY, _TOML_BODY, max_size=3),
    st.dictionaries(_TOML_KEY, st.lists(_TOML_BODY, min_size=1, max_size=3), max_size=2),
    st.integers(0, 2),
)
def test_every_toml_leaf_spans_its_own_text(
    top: dict[str, Any], tables: dict[str, Any], arrays: dict[str, Any], style: int
) -> None:
    text = _toml_table(top, style)
    text += "".join(
        f"\n[{_toml_key(n)}]  # table\n{_toml_table(b, style)}" for n, b in tables.items()
    )
    for name, bodies in arrays.items():
        text += "".join(f"[[{_toml_key(name)}]]\n{_toml_table(b, style)}" for b in bodies)
    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assume(False)  # a name used twice
    out = _text(text, "toml")
    assert out.problems == []
    records = out.records.get("config_values", [])
    assert [r["value"] for r in records] == _scalars(expected)
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    for r in records:
        written = text[
            starts[r["line"] - 1] + r["column"] - 1 : starts[r["end_line"] - 1]
            + r["end_column"]
            - 1
        ]
        assert tomllib.loads(f"v = {written}")["v"] == r["value"], (r["key"], written)
