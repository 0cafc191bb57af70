"""Patterns composed from patterns: ``(?&name)`` inlines the pattern ``name``."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.pack import load_policies
from tests.support import program_errors, run_check

CLAUSE_HEDGE = """\
pattern hedge = /\\b(not|don't|yet|planned)\\b/i
pattern clause_break = /;|,\\s*(?=but\\b)/i
pattern forge = /\\b(?<forge>gitlab|forgejo|woodpecker)\\b/i
pattern hedged_before = /(?&hedge)(?:(?!(?&clause_break)).)*/i
pattern hedged_after = /(?:(?!(?&clause_break)).)*(?&hedge)/i
pattern claimed = /(?<!(?&hedged_before))(?&forge)(?!(?&hedged_after))/i

policy forges {
  severity error
  rationale "r"
  fix "f"
  deny named
    for s in sentences
    where s.text matches claimed
    message "{forge}"
}
"""


def lines_found(tmp_path: Path, patterns: str, readme: str) -> list[int]:
    """The lines of README.md that a clause `s.text matches a` reports."""
    (tmp_path / "p.policy").write_text(patterns + clause("a", "{s.text}"))
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text(readme)
    return [f.line for f in run_check(load_policies([tmp_path]), repo).findings]


def clause(pattern: str, message: str) -> str:
    return (
        'policy p {\n  severity error\n  rationale "r"\n  fix "f"\n'
        f'  deny for s in sentences where s.text matches {pattern} message "{message}"\n}}\n'
    )


def test_a_hedge_covers_its_own_clause(tmp_path: Path) -> None:
    (tmp_path / "forges.policy").write_text(CLAUSE_HEDGE)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text(
        "We don't run GitLab jobs yet, but Forgejo runners are available.\n\n"
        "GitLab is not supported; Woodpecker is.\n\n"
        "GitLab and Forgejo are planned.\n"
    )
    found = run_check(load_policies([tmp_path]), repo).findings
    assert [(f.line, f.message) for f in found] == [(1, "Forgejo"), (3, "Woodpecker")]


def test_composition_is_transitive_and_order_free(tmp_path: Path) -> None:
    # `outer` uses `middle`, defined after it and in another file, which uses `inner`
    (tmp_path / "a.policy").write_text(
        "pattern outer = /^(?&middle)$/i\n"
        'policy p {\n  severity error\n  rationale "r"\n  fix "f"\n'
        '  deny for s in sentences where s.text matches outer message "{s.text}"\n}\n'
    )
    (tmp_path / "b.policy").write_text(
        "pattern middle = /(?&inner) runners\\./i\npattern inner = /gpu|kvm/i\n"
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("KVM runners.\n\nKVM runners exist.\n")
    found = run_check(load_policies([tmp_path]), repo).findings
    assert [f.message for f in found] == ["KVM runners."]


def test_a_group_of_the_pattern_itself_is_called_not_inlined(tmp_path: Path) -> None:
    patterns = "pattern inner = /x/\npattern a = /^(?<inner>\\((?&inner)?\\))$/\n"
    assert lines_found(tmp_path, patterns, "((()))\n\n(x)\n") == [1]


@pytest.mark.parametrize(
    ("patterns", "message", "hint"),
    [
        ("pattern a = /(?&b)/i\n", "unknown pattern 'b' in (?&b)", ""),
        ("pattern hedge = /x/i\npattern a = /(?&hedg)/i\n", "unknown pattern 'hedg'", "hedge"),
        ("pattern b = /x/\npattern a = /(?&b)/i\n", "pattern 'b' has flags '', this", "same flags"),
        ("pattern a = /(?&b)/\npattern b = /(?&a)/\n", "uses itself", "cannot contain itself"),
    ],
)
def test_composition_errors_name_the_pattern(patterns: str, message: str, hint: str) -> None:
    errors = program_errors(patterns + clause("a", "m"))
    assert any(message in e.message and hint in (e.hint or "") for e in errors), errors
    assert all(e.path == "p.policy" and e.line >= 1 for e in errors)


def test_an_escaped_parenthesis_is_literal_text(tmp_path: Path) -> None:
    patterns = "pattern b = /never/\npattern a = /\\(?&b\\)/\n"
    assert lines_found(tmp_path, patterns, "see (&b) here\n\nnever\n") == [1]
