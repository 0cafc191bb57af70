"""Named predicates: defined once, called from any clause, inlined by the checker."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.dsl import ast
from engine.dsl.checker import check_program
from engine.dsl.format import format_source
from engine.dsl.parser import parse
from engine.dsl.program import walk
from engine.pack import load_policies
from tests.support import program_errors, run_check

PREDICATES = """\
pattern hedge = /\\b(planned|not yet)\\b/i

# Research prose is not a claim.
predicate notes(s) = s.path matches /(^|\\/)research\\// or s.heading matches /\\bhistory\\b/i

predicate hedged(x) = x.text matches hedge or notes(x)
"""

POLICY = """\
policy no-gitlab {
  severity error
  rationale "r"
  fix "f"

  deny named
    for s in sentences
    where s.text matches /\\b(?<forge>gitlab)\\b/i and not hedged(s)
    message "{forge}: {s.text}"
}
"""


def test_calls_are_inlined_across_files(tmp_path: Path) -> None:
    (tmp_path / "vocabulary.policy").write_text(PREDICATES)
    (tmp_path / "forges.policy").write_text(POLICY)
    repo = tmp_path / "repo"
    (repo / "docs" / "research").mkdir(parents=True)
    (repo / "README.md").write_text(
        "# Forges\n\nGitLab works.\n\nGitLab is planned.\n\n## History\n\nGitLab worked.\n"
    )
    (repo / "docs" / "research" / "gitlab.md").write_text("GitLab works.\n")
    policies = load_policies([tmp_path])
    found = run_check(policies, repo).findings
    assert [(f.path, f.line, f.message) for f in found] == [
        ("README.md", 3, "GitLab: GitLab works.")  # captures quoted as written
    ]
    where = policies.program.clauses[0].clause.where
    assert where is not None
    assert not any(isinstance(node, ast.Call) for node in walk(where))  # nothing left to call


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            "predicate p(s) = s.text matches /x/\n" + POLICY.replace("hedged(s)", "p(s, s)"),
            "predicate p takes 1 argument(s) (s), not 2",
        ),
        (
            "predicate a(s) = b(s)\npredicate b(s) = a(s)\n" + POLICY.replace("hedged(s)", "a(s)"),
            "predicate a calls itself (a -> b -> a)",
        ),
        (
            "predicate p(s) = true\npredicate p(s) = false\n" + POLICY.replace("hedged(s)", "p(s)"),
            "predicate 'p' is already defined at p.policy:1",
        ),
        ("predicate count(s) = true\n" + POLICY.replace("hedged(s)", "true"), "is a function"),
        (POLICY.replace("hedged(s)", "hedgd(s)"), "unknown function 'hedgd'"),
        (
            "predicate p(s) = s.txt == 'a'\n".replace("'a'", '"a"')
            + POLICY.replace("hedged(s)", "p(s)"),
            "Sentence has no field 'txt'",
        ),
    ],
)
def test_errors(source: str, message: str) -> None:
    assert any(message in error.message for error in program_errors(source)), program_errors(source)


def test_an_error_in_a_body_points_at_the_predicate() -> None:
    source = 'predicate p(s) = s.txt == "a"\n' + POLICY.replace("hedged(s)", "p(s)")
    (error,) = program_errors(source)
    assert (error.line, error.column) == (1, 18)


def test_a_quantifier_that_rebinds_a_parameter_hides_it() -> None:
    source = (
        'predicate any_label(c) = some c in runner_classes { c.state == "proved" }\n'
        + POLICY.replace("not hedged(s)", "any_label(s)")
    )
    program = check_program([parse(source, "p.policy")], {"p.policy": source})
    assert program.clauses[0].clause.where is not None


def test_predicates_format_and_parse_back() -> None:
    source = PREDICATES + "\n" + POLICY
    formatted = format_source(source, "p.policy")
    assert formatted == source
    assert parse(formatted, "p.policy") == parse(source, "p.policy")
