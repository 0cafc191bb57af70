"""The positioned YAML loader: scalars, positions, limits and error positions."""

from __future__ import annotations

import time

import pytest

from engine.extract import yamlsrc


def _one(text: str) -> yamlsrc.Node:
    [document] = yamlsrc.load(text)
    return document


def _get(node: yamlsrc.Node, *keys: str) -> yamlsrc.Node:
    for key in keys:
        child = node.get(key)
        assert child is not None, key
        node = child
    return node


def test_scalars_follow_yaml_1_2_core() -> None:
    doc = _one("a: on\nb: yes\nc: true\nd: ~\ne: 010\nf: 0x1F\ng: 1.5\nh: '3'\ni:\n")
    assert doc.plain() == {
        "a": "on",
        "b": "yes",
        "c": True,
        "d": None,
        "e": 10,
        "f": 31,
        "g": 1.5,
        "h": "3",
        "i": None,
    }


def test_raw_and_style_keep_the_scalar_as_written() -> None:
    doc = _one("v: 3.10\nq: \"x\"\ns: 'y'\nb: |\n  z\nf: >\n  w\np: plain\n")
    assert _get(doc, "v").value == 3.1
    assert _get(doc, "v").raw == "3.10"
    styles = {key: node.style for key, node in doc.value.items()}
    assert styles == {"v": "", "q": '"', "s": "'", "b": "|", "f": ">", "p": ""}


def test_text_reads_numbers_as_written() -> None:
    doc = _one("python: 3.10\nhex: 0x1F\nflag: True\nname: x\nlist: [1]\nnull:\n")
    assert doc.text("python") == "3.10"
    assert doc.text("hex") == "0x1F"
    assert doc.text("flag") == "true"
    assert doc.text("name") == "x"
    assert doc.text("list", "-") == "-"
    assert doc.text("null", "-") == "-"


def test_an_integer_too_long_for_python_stays_text() -> None:
    digits = "1" * 5000
    assert _one(f"a: {digits}\n").plain() == {"a": digits}


def test_positions_of_keys_and_values() -> None:
    doc = _one("top:\n  key: value\n  list:\n    - item\n")
    key = _get(doc, "top", "key")
    assert (key.key_line, key.key_column) == (2, 3)
    assert (key.line, key.column, key.end_line, key.end_column) == (2, 8, 2, 13)
    item = _get(doc, "top", "list").value[0]
    assert (item.line, item.column) == (4, 7)


def test_columns_count_code_points() -> None:
    doc = _one('name: "🚀é"\nnext: {a: "ü", b: x}\n')
    b = _get(doc, "next", "b")
    assert (b.line, b.column) == (2, 19)


def test_duplicate_keys_are_reported_and_the_last_wins() -> None:
    doc = _one("a: 1\nb:\n  c: 1\n  c: 2\na: 3\n")
    assert yamlsrc.duplicate_keys(doc) == [("a", 5, 1), ("c", 4, 3)]
    assert doc.plain() == {"a": 3, "b": {"c": 2}}


def test_a_key_written_beside_a_merge_overrides_it_without_a_duplicate() -> None:
    doc = _one("base: &b {a: 1, c: 3}\nx:\n  <<: *b\n  a: 2\ny:\n  a: 0\n  <<: *b\n")
    assert yamlsrc.duplicate_keys(doc) == []
    assert doc.plain()["x"] == {"a": 2, "c": 3}
    assert doc.plain()["y"] == {"a": 0, "c": 3}


def test_several_documents() -> None:
    docs = yamlsrc.load("a: 1\n---\nb: 2\n")
    assert [d.plain() for d in docs] == [{"a": 1}, {"b": 2}]
    assert docs[1].line == 3
    assert yamlsrc.load("") == []
    assert yamlsrc.load("# only a comment\n") == []


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a:\n  b: 1\n c: 2\n", 3, 2),
        ("é: ü\nb: \x07\n", 2, 4),  # libyaml counts bytes; the error is in code points
        ("a: 🚀🚀\x00\n", 1, 6),
        ("a: \ud800\n", 1, 4),
    ],
)
def test_errors_carry_their_position(text: str, line: int, column: int) -> None:
    with pytest.raises(yamlsrc.YamlError) as caught:
        yamlsrc.load(text)
    assert (caught.value.line, caught.value.column) == (line, column)


def test_an_alias_bomb_is_an_error_not_a_hang() -> None:
    rows = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    for level in range(1, 10):
        prev = f"*a{level - 1}"
        rows.append(f"a{level}: &a{level} [{', '.join([prev] * 10)}]")
    started = time.monotonic()
    with pytest.raises(yamlsrc.YamlError, match="alias"):
        yamlsrc.load("\n".join(rows) + "\n")
    assert time.monotonic() - started < 5


def test_nesting_deeper_than_the_limit_is_an_error() -> None:
    depth = yamlsrc.MAX_DEPTH + 5
    with pytest.raises(yamlsrc.YamlError, match="nested deeper"):
        yamlsrc.load("a: " + "[" * depth + "]" * depth + "\n")
    assert _get(_one("a: " + "[" * 50 + "]" * 50 + "\n"), "a").is_seq


def test_split_lines_counts_every_yaml_line_break() -> None:
    assert yamlsrc.split_lines("a\r\nb\rc\nd\x85e\u2028f") == ["a", "b", "c", "d", "e", "f"]
    assert yamlsrc.split_lines("a\n") == ["a", ""]


def test_positions_at_the_end_of_a_text_without_a_final_break_stay_inside_it() -> None:
    # libyaml puts the end of such a stream on a line after the last one
    doc = _one("a: {b: 1}")
    assert (doc.end_line, doc.end_column) == (1, 10)
    with pytest.raises(yamlsrc.YamlError) as caught:
        yamlsrc.load("a: {")
    assert (caught.value.line, caught.value.column) == (1, 5)
