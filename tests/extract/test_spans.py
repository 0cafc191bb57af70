"""Span facts: where parts of a record are written, for a policy's ``edit`` lines."""

from __future__ import annotations

from typing import Any

from engine.extract import bazelrc, flake, nixconf, workflow
from engine.extract.base import SourceFile


def _at(span: dict[str, Any]) -> tuple[int, int, int, int]:
    return span["line"], span["column"], span["end_line"], span["end_column"]


def _cut(text: str, span: dict[str, Any]) -> str:
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)
    return text[
        starts[span["line"] - 1] + span["column"] - 1 : starts[span["end_line"] - 1]
        + span["end_column"]
        - 1
    ]


WORKFLOW = """on: push
x: &shared {a: b}
jobs:
  a:
    steps:
      - name: warm   # the cache
        with:
          flakehub: true
          extra: 'x'
        run: |
          bazel build --config=ci //...

      - uses: a/b@v1
        with: *shared
      - {uses: c/d@v1}
      - run: "bazel --config=ci"
"""


def test_step_spans_cover_whole_lines_and_only_block_steps() -> None:
    steps = workflow.extract(SourceFile("ci.yml", WORKFLOW, "workflow")).records["steps"]
    spans = steps[0]["spans"]
    assert _cut(WORKFLOW, spans["item"]) == WORKFLOW.split("\n", 5)[5].split("\n\n")[0] + "\n\n"
    assert spans["step"]["indent"] == " " * 8
    assert _cut(WORKFLOW, spans["step"]).endswith("//...\n")  # the blank line the block ends on
    assert _cut(WORKFLOW, spans["with"]["flakehub"]) == "          flakehub: true\n"
    assert _cut(WORKFLOW, spans["keys"]["with"]) == (
        "        with:\n          flakehub: true\n          extra: 'x'\n"
    )
    assert "name" not in spans["keys"]  # the first key shares its line with "- "
    assert _cut(WORKFLOW, spans["run_flags"]["--config=ci"]) == "--config=ci"
    assert steps[1]["spans"] == {}  # an alias: written elsewhere
    assert steps[2]["spans"] == {}  # flow style
    assert steps[3]["spans"]["run_flags"] == {}  # quoted: offsets are not positions


def test_no_spans_where_yaml_counts_other_line_breaks() -> None:
    text = "on: push\r# a lone CR ends a YAML line\njobs:\n  a:\n    steps:\n      - run: echo\n"
    (step,) = workflow.extract(SourceFile("ci.yml", text, "workflow")).records["steps"]
    assert step["spans"] == {}


def test_bazelrc_spans_and_options_on_line() -> None:
    text = "build --jobs 4 \\\n  --remote_cache=x  # note\r\ntest:ci --a\n"
    records = bazelrc.extract(SourceFile(".bazelrc", text, "bazelrc")).records["bazelrc"]
    jobs, cache, other = records
    assert [r["options_on_line"] for r in (jobs, cache, other)] == [2, 2, 1]
    assert _cut(text, cache["spans"]["command"]) == "build"
    assert _cut(text, cache["spans"]["option"]) == " \\\n  --remote_cache=x"
    assert _cut(text, cache["spans"]["line"]) == text.split("\r\n")[0]
    assert _cut(text, other["spans"]["command"]) == "test:ci"


def test_nix_spans_of_keys_and_values() -> None:
    conf = "substituters = https://a  https://b # c\n"
    (setting,) = nixconf.extract(SourceFile("nix.conf", conf, "nixconf")).records["nix_settings"]
    assert _cut(conf, setting["spans"]["key"]) == "substituters"
    assert _cut(conf, setting["spans"]["values"]["https://b"]) == "  https://b"
    nix = '{\n  nixConfig = {\n    substituters = [ "https://a" "https://ü" ];\n  };\n}\n'
    records = flake.extract_flake(SourceFile("flake.nix", nix, "flake")).records
    (setting,) = records["nix_settings"]
    assert _cut(nix, setting["spans"]["key"]) == "substituters"
    assert _cut(nix, setting["spans"]["values"]["https://ü"]) == ' "https://ü"'
    assert _at(setting["spans"]["values"]["https://a"]) == (3, 21, 3, 33)
