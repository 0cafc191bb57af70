"""The .bazelrc extractor: Bazel's rc syntax, options and exact positions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.extract.base import Extraction, SourceFile
from engine.extract.bazelrc import extract
from tests.support import within

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "bazel"
FIELDS = ("line", "column", "end_line", "end_column", "kind", "command", "config", "flag", "value")


def read(name: str) -> Extraction:
    path = FIXTURES / name
    return extract(SourceFile(name, path.read_text(encoding="utf-8"), "bazelrc"))


def read_text(text: str) -> Extraction:
    return extract(SourceFile(".bazelrc", text, "bazelrc"))


def rows(extraction: Extraction) -> list[tuple[Any, ...]]:
    return [tuple(r[field] for field in FIELDS) for r in extraction.records.get("bazelrc", [])]


def problems(extraction: Extraction) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in extraction.problems]


def test_gloriousflywheel_bazelrc() -> None:
    extraction = read(".bazelrc")
    assert extraction.problems == []
    assert rows(extraction) == [
        (4, 8, 4, 23, "option", "common", "", "--enable_bzlmod", ""),
        (5, 8, 5, 33, "option", "common", "", "--remote_download_minimal", ""),
        (6, 7, 6, 57, "option", "build", "", "--remote_cache", "grpcs://bazel-cache.example.com:443"),
        (9, 10, 9, 63, "option", "build", "ci", "--remote_cache", "grpcs://bazel-cache.honey.internal:443"),
        (10, 10, 10, 47, "option", "build", "ci", "--remote_header", "x-honey-runner=true"),
        (11, 10, 11, 29, "option", "build", "ci", "--remote_timeout", "60"),
        (12, 10, 12, 34, "option", "build", "ci", "--noremote_accept_cached", ""),
        (13, 10, 13, 70, "option", "build", "ci", "--bes_results_url", "https://bazel.honey.internal/invocation/"),
        (16, 10, 16, 21, "option", "build", "pr", "--config", "ci"),
        (17, 10, 17, 45, "option", "build", "pr", "--remote_upload_local_results", "false"),
        (18, 9, 18, 29, "option", "test", "pr", "--test_output", "errors"),
        (18, 30, 18, 61, "option", "test", "pr", "--test_tag_filters", "-manual,-kvm"),
        (21, 9, 21, 31, "option", "startup", "", "--host_jvm_args", "-Xmx2g"),
        (23, 1, 23, 36, "try-import", "try-import", "", "", "%workspace%/user.bazelrc"),
    ]  # fmt: skip


def test_text_is_the_option_as_written() -> None:
    texts = [record["text"] for record in read(".bazelrc").records["bazelrc"]]
    assert texts[4] == '--remote_header="x-honey-runner=true"'
    assert texts[5] == "--remote_timeout 60"
    assert texts[7] == "--bes_results_url='https://bazel.honey.internal/invocation/'"
    assert texts[-1] == "try-import %workspace%/user.bazelrc"
    assert all(record["path"] == ".bazelrc" for record in read(".bazelrc").records["bazelrc"])


def test_commented_out_config_is_not_an_option() -> None:
    configs = {record["config"] for record in read(".bazelrc").records["bazelrc"]}
    assert "example" not in configs


def test_malformed_lines_are_problems_and_reading_goes_on() -> None:
    extraction = read("broken.bazelrc")
    assert problems(extraction) == [
        (2, 1, "'build:' needs a config name after ':'"),
        (3, 1, "':ci' needs a command before ':'"),
        (4, 30, 'unterminated quote in "unterminated'),
        (6, 1, "'import' takes exactly one path"),
        (7, 7, "'//not/an:option' is not an option; to give a flag a value, write '--flag=value'"),
    ]
    assert rows(extraction) == [
        (1, 10, 1, 42, "option", "build", "ci", "--remote_header", "x-owner=Jürgen"),
        (1, 43, 1, 75, "option", "build", "ci", "--disk_cache", "~/.cache/bazel-disk"),
        (5, 6, 5, 26, "option", "test", "", "--test_output", "errors"),
    ]


def test_continuation_inside_a_token_spans_lines() -> None:
    extraction = read_text("build:ci --remote_instance_name=hon\\\ney --jobs=4\n")
    assert rows(extraction) == [
        (1, 10, 2, 3, "option", "build", "ci", "--remote_instance_name", "honey"),
        (2, 4, 2, 12, "option", "build", "ci", "--jobs", "4"),
    ]
    assert extraction.records["bazelrc"][0]["text"] == "--remote_instance_name=honey"


def test_a_continued_comment_swallows_the_next_line() -> None:
    extraction = read_text("# disabled for now \\\nbuild --remote_cache=grpc://x\nbuild --jobs=2\n")
    assert rows(extraction) == [(3, 7, 3, 15, "option", "build", "", "--jobs", "2")]


def test_crlf_continuation_and_line_endings() -> None:
    extraction = read_text("build:ci \\\r\n  --remote_cache=grpc://x\r\nbuild --jobs=2\r\n")
    assert rows(extraction) == [
        (2, 3, 2, 26, "option", "build", "ci", "--remote_cache", "grpc://x"),
        (3, 7, 3, 15, "option", "build", "", "--jobs", "2"),
    ]


def test_hash_ends_the_line_even_inside_a_word() -> None:
    extraction = read_text("build --remote_header=a#b --jobs=2\nbuild --x='#kept'\n")
    assert [(r["value"], r["text"]) for r in extraction.records["bazelrc"]] == [
        ("a", "--remote_header=a"),
        ("#kept", "--x='#kept'"),
    ]


def test_quotes_and_escapes_follow_bazel() -> None:
    extraction = read_text("build --\"define\"='a b' \"\" --action_env=X\\ Y --repo_env='it\\'s'\n")
    assert [(r["flag"], r["value"]) for r in extraction.records["bazelrc"]] == [
        ("--define", "a b"),
        ("--action_env", "X Y"),
        ("--repo_env", "it's"),
    ]


def test_value_flags_take_the_next_word_even_with_a_dash() -> None:
    extraction = read_text("build --copt -O2 --remote_cache grpc://x -c opt --keep_going\n")
    assert [(r["flag"], r["value"]) for r in extraction.records["bazelrc"]] == [
        ("--copt", "-O2"),
        ("--remote_cache", "grpc://x"),
        ("-c", "opt"),
        ("--keep_going", ""),
    ]


def test_unknown_flags_take_a_following_word_but_not_a_following_flag() -> None:
    extraction = read_text("build --some_new_flag value --flag_a --flag_b\n")
    assert [(r["flag"], r["value"]) for r in extraction.records["bazelrc"]] == [
        ("--some_new_flag", "value"),
        ("--flag_a", ""),
        ("--flag_b", ""),
    ]


def test_no_prefix_and_false_forms() -> None:
    extraction = read_text(
        "build:pr --noremote_upload_local_results --remote_accept_cached=false\n"
    )
    assert [(r["flag"], r["value"]) for r in extraction.records["bazelrc"]] == [
        ("--noremote_upload_local_results", ""),
        ("--remote_accept_cached", "false"),
    ]


def test_value_flag_without_value_is_recorded_and_reported() -> None:
    extraction = read_text("build --remote_cache\n")
    assert rows(extraction) == [(1, 7, 1, 21, "option", "build", "", "--remote_cache", "")]
    assert problems(extraction) == [(1, 7, "'--remote_cache' expects a value")]


def test_import_and_quoted_command() -> None:
    extraction = read_text("import %workspace%/.bazelrc.ci\n'build:ci' --jobs=8\n")
    assert rows(extraction) == [
        (1, 1, 1, 31, "import", "import", "", "", "%workspace%/.bazelrc.ci"),
        (2, 12, 2, 20, "option", "build", "ci", "--jobs", "8"),
    ]


def test_empty_and_comment_only_files() -> None:
    for text in ("", "\n\n", "# only a comment\n", "   \t\n", "build\n"):
        extraction = read_text(text)
        assert extraction.records == {} and extraction.problems == []


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list(" \t\n\r\\'\"#:=-_abcdefgimoprtu/%é")) | st.characters(),
        max_size=300,
    )
)
def test_arbitrary_text_never_raises_and_positions_lie_within(text: str) -> None:
    extraction = read_text(text)
    for record in extraction.records.get("bazelrc", []):
        assert within(text, record["line"], record["column"])
        assert within(text, record["end_line"], record["end_column"])
        assert (record["line"], record["column"]) < (record["end_line"], record["end_column"])
    for problem in extraction.problems:
        assert within(text, problem.line, problem.column)
