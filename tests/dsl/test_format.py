"""The formatter: canonical layout, comments kept in place, the AST unchanged.

The round-trip property over generated ASTs is in
tests/reliability/test_properties.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.errors import ProofgateError
from engine.core.resources import shipped_policies
from engine.dsl import ast
from engine.dsl.format import format_module, format_source, number, quote
from engine.dsl.parser import parse

MESSY = (
    "pattern hedge = /\\b(planned|not yet)\\b/i\n"
    'policy  forge-claims {   fix  "Reword."   rationale "Broader " "claims."\n'
    '  paths "**/*.md","docs/**"  severity warning\n'
    "  deny named for s in sentences where s.text matches /\\b(?<forge>gitlab|forgejo)\\b/i"
    ' and not s.text matches hedge and not ledger.forges[forge].state == "proved"'
    ' message "presents {forge}: \\"{s.text}\\""\n'
    '  warn for c in runner_classes where ((c.index > 1.50 and c.state == "proved"))'
    ' or count(c.proofs) == 0 message "x" fix "y" at c\n'
    "}\n"
)

CANONICAL = """\
pattern hedge = /\\b(planned|not yet)\\b/i

policy forge-claims {
  severity warning
  rationale "Broader claims."
  fix "Reword."
  paths "**/*.md", "docs/**"

  deny named
    for s in sentences
    where s.text matches /\\b(?<forge>gitlab|forgejo)\\b/i
      and not s.text matches hedge
      and not ledger.forges[forge].state == "proved"
    message "presents {forge}: \\"{s.text}\\""

  warn
    for c in runner_classes
    where (c.index > 1.5 and c.state == "proved") or count(c.proofs) == 0
    message "x"
    fix "y"
    at c
}
"""


def test_canonical_layout() -> None:
    assert format_source(MESSY, "p.policy") == CANONICAL
    assert format_source(CANONICAL, "p.policy") == CANONICAL


def policy_with(where: str) -> str:
    return (
        'policy p {\n  severity error\n  rationale "r"\n  fix "f"\n\n'
        f'  deny\n    for o in bazelrc\n    where {where}\n    message "m"\n}}\n'
    )


def test_long_conditions_break_at_and_or_and_quantifier_bodies() -> None:
    long_or = (
        'o.kind == "option" and (o.path matches /(^|\\/)(\\.bazelrc|bazel\\.rc)$/ or some i in '
        'bazelrc { i.kind in ["import", "try-import"] and i.value endswith o.path and '
        'i.config == "" and i.line > 0 })'
    )
    expected = (
        '    where o.kind == "option"\n'
        "      and (o.path matches /(^|\\/)(\\.bazelrc|bazel\\.rc)$/\n"
        "           or some i in bazelrc {\n"
        '             i.kind in ["import", "try-import"]\n'
        "             and i.value endswith o.path\n"
        '             and i.config == ""\n'
        "             and i.line > 0\n"
        "           })\n"
    )
    formatted = format_source(policy_with(long_or))
    assert expected in formatted
    assert all(len(line) <= 100 for line in formatted.splitlines())


def test_parentheses_only_where_needed_and_kept_around_and_in_or() -> None:
    source = policy_with("not (not (a.x)) and ((b.y) or (c.z and d.w)) and (e.v).u == [(1)]")
    assert "    where not not a.x and (b.y or (c.z and d.w)) and e.v.u == [1]\n" in format_source(
        source
    )


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('tab\there "quoted" \\ back', '"tab\\there \\"quoted\\" \\\\ back"'),
        ("é ü 文 \u2028 \x7f", '"é ü 文 \u2028 \x7f"'),
        ("\x01\n", '"\\u0001\\n"'),
        ("\ud800", '"\\ud800"'),
    ],
)
def test_strings_are_re_escaped(value: str, written: str) -> None:
    assert quote(value) == written


@pytest.mark.parametrize(
    ("value", "written"),
    [(3, "3"), (-7, "-7"), (1.5, "1.5"), (1e20, "100000000000000000000.0"), (2.5e-7, "0.00000025")],
)
def test_numbers_are_written_plainly(value: float, written: str) -> None:
    assert number(value) == written
    assert (
        type(parse(policy_with(f"o.line == {written}")).policies[0].clauses[0].where) is ast.Compare
    )


def test_regex_slashes_are_escaped() -> None:
    source = policy_with("o.value matches /a\\/b\\\\/i as hit")
    formatted = format_source(source)
    assert "    where o.value matches /a\\/b\\\\/i as hit\n" in formatted
    assert parse(formatted) == parse(source)


COMMENTED = """\
# B0: a header that stays on top.

# The pattern's own comment.
pattern hedge = /planned/   # trailing, kept at the end of its line


# before the policy
policy p {
  # before a setting
  rationale "r"
  fix "f"

  # before the clause
  deny docs
    for s in sentences
    # before the condition
    where s.text matches hedge
      # before a conjunct
      and s.line > 1
    message "m"  # after the message

  # before the closing brace
}
# at the end
"""

COMMENTED_FORMATTED = """\
# B0: a header that stays on top.

# The pattern's own comment.
pattern hedge = /planned/  # trailing, kept at the end of its line

# before the policy
policy p {
  severity error
  # before a setting
  rationale "r"
  fix "f"

  # before the clause
  deny docs
    for s in sentences
    # before the condition
    where s.text matches hedge
      # before a conjunct
      and s.line > 1
    message "m"  # after the message
  # before the closing brace
}
# at the end
"""


def test_comments_stay_with_the_line_they_precede() -> None:
    formatted = format_source(COMMENTED, "c.policy")
    assert formatted == COMMENTED_FORMATTED
    assert format_source(formatted, "c.policy") == formatted


def test_a_comment_forces_the_condition_to_break_where_it_stands() -> None:
    source = policy_with(
        'o.kind == "option"\n      # why the flag matters\n      and o.flag == "x"'
    )
    assert (
        '    where o.kind == "option"\n      # why the flag matters\n      and o.flag == "x"\n'
        in format_source(source)
    )


@pytest.mark.parametrize(
    ("where", "line"),
    [
        ('o.flag in ["a",\n  # inside a list\n  "b"]', 9),
        ("count(\n  # inside a call\n  o.text) > 1", 9),
    ],
)
def test_a_comment_that_cannot_be_kept_is_an_error(where: str, line: int) -> None:
    with pytest.raises(ProofgateError) as info:
        format_source(policy_with(where), "c.policy")
    assert info.value.message == "cannot keep this comment in place when formatting"
    assert (info.value.path, info.value.line) == ("c.policy", line)


def test_a_comment_after_an_operator_ends_the_line() -> None:
    source = policy_with("o.line > 1 and  # after an operator\n o.line < 3")
    assert "    where o.line > 1  # after an operator\n      and o.line < 3\n" in format_source(
        source
    )


def test_crlf_files_stay_crlf() -> None:
    formatted = format_source(CANONICAL.replace("\n", "\r\n"))
    assert formatted == CANONICAL.replace("\n", "\r\n")


def test_syntax_errors_are_the_parsers() -> None:
    with pytest.raises(ProofgateError, match="unexpected"):
        format_source("policy p {", "bad.policy")


def test_format_module_without_source() -> None:
    module = parse(MESSY, "p.policy")
    assert format_module(module) == CANONICAL
    assert parse(format_module(module), "p.policy") == module


@pytest.mark.parametrize("path", sorted(shipped_policies().glob("*.policy")), ids=lambda p: p.name)
def test_shipped_pack_formats_idempotently_keeping_ast_and_comments(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    formatted = format_source(source, path.name)
    assert parse(formatted, path.name) == parse(source, path.name)
    assert format_source(formatted, path.name) == formatted
    comments = [line.strip() for line in source.splitlines() if line.lstrip().startswith("#")]
    kept = [line.strip() for line in formatted.splitlines() if line.lstrip().startswith("#")]
    assert kept == comments


PACK = {path.name: path.read_text(encoding="utf-8") for path in shipped_policies().glob("*.policy")}


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(sorted(PACK)),
    st.lists(st.tuples(st.integers(0, 200), st.booleans()), min_size=1, max_size=6),
)
def test_comments_anywhere_are_kept_or_refused(name: str, places: list[tuple[int, bool]]) -> None:
    """Comments put on any line (own line or end of line) are kept, in order, with
    the AST unchanged; or the file is refused with a ProofgateError. Never anything else."""
    lines = PACK[name].splitlines()
    for label, (index, trailing) in enumerate(sorted(places, reverse=True)):
        at = min(index, len(lines) - 1)
        if trailing and not lines[at].lstrip().startswith("#"):
            lines[at] += f"  # note {label}"
        else:
            lines.insert(at, f"# note {label}")
    source = "\n".join(lines) + "\n"
    try:
        formatted = format_source(source, name)
    except ProofgateError as error:
        assert error.message == "cannot keep this comment in place when formatting"
        return
    assert parse(formatted, name) == parse(PACK[name], name)
    notes = re.findall(r"# note \d+", source)
    assert re.findall(r"# note \d+", formatted) == notes


def test_a_suggestion_stays_after_the_edits_and_before_at() -> None:
    source = (
        'policy p {\n  severity error\n  rationale "r"\n  fix "f"\n\n'
        "  deny\n    for s in sentences\n    where s.text matches /(?<forge>gitlab)/i\n"
        '    message "m"\n    fix "say planned"\n      suggest   "{forge} (planned)"\n    at s\n}\n'
    )
    formatted = format_source(source, "p.policy")
    assert '    fix "say planned"\n    suggest "{forge} (planned)"\n    at s\n' in formatted
    assert format_source(formatted, "p.policy") == formatted
