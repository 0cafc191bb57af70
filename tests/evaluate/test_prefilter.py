"""The prefilter never drops a record that the full evaluation would report."""

from __future__ import annotations

from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.core.errors import ProofgateError
from engine.dsl.checker import check_program
from engine.dsl.parser import parse
from engine.evaluate.prefilter import may_hold
from engine.evaluate.reference import Evaluator

WORDS = ["GitLab", "forgejo", "supports", "planned", "FlakeHub", "boot", "not", "é", '"q"', "x"]
ATOMS = [
    "s.text matches /gitlab/i",
    "s.text matches /(?<w>supports|planned)/",
    "s.text matches /^\\w+ \\w+$/",
    's.text contains "boot"',
    's.text startswith "GitLab"',
    "s.line > 2",
    's.block == "paragraph"',
    'ledger.repo == "o/r"',
    'ledger.forges["gitlab"].state == "proved"',
    'some h in s.headings { h == "Intro" }',
    "count(s.headings) == 0",
]


def conditions() -> st.SearchStrategy[str]:
    leaf = st.sampled_from(ATOMS)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, inner).map(lambda p: f"({p[0]} and {p[1]})"),
            st.tuples(inner, inner).map(lambda p: f"({p[0]} or {p[1]})"),
            inner.map(lambda c: f"not ({c})"),
        ),
        max_leaves=6,
    )


def sentences() -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda words, line, block, headings: {
            "path": "a.md",
            "line": line,
            "column": 1,
            "end_line": line,
            "end_column": 2,
            "text": " ".join(words),
            "block": block,
            "heading": "",
            "headings": headings,
            "table_header": "",
            "in_blockquote": False,
        },
        st.lists(st.sampled_from(WORDS), max_size=6),
        st.integers(1, 5),
        st.sampled_from(["paragraph", "heading"]),
        st.lists(st.sampled_from(["Intro", "Usage"]), max_size=2),
    )


@settings(max_examples=300, deadline=None)
@given(
    conditions(),
    st.lists(sentences(), min_size=1, max_size=8),
    st.sampled_from(["proved", "retired"]),
)
def test_prefilter_keeps_every_match(
    condition: str, records: list[dict[str, Any]], state: str
) -> None:
    source = (
        'policy p { rationale "r" fix "f" deny for s in sentences '
        f'where {condition} message "m" }}'
    )
    try:
        program = check_program([parse(source, "p.policy")])
    except ProofgateError:  # e.g. a capture bound twice: not a program to test
        assume(False)
    (clause,) = program.clauses
    ledger = {"present": True, "repo": "o/r", "forges": {"gitlab": {"state": state}}}
    evaluator = Evaluator(program, {"sentences": records}, ledger)
    for record in records:
        if evaluator.hits(clause, [record]):
            assert may_hold(evaluator, clause, record), (condition, record)
