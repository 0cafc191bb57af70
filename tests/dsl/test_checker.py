"""The semantic pass rejects what regopy would silently accept."""

from __future__ import annotations

import pytest

from engine.core.errors import ErrorGroup, ProofgateError
from engine.dsl.checker import check_program
from engine.dsl.parser import parse


def errors_of(body: str, extra: str = "") -> list[ProofgateError]:
    source = extra + 'policy p {\n  rationale "r"\n  fix "f"\n' + body + "\n}\n"
    with pytest.raises(ProofgateError) as info:
        check_program([parse(source, "p.policy")], {"p.policy": source})
    error = info.value
    return error.errors if isinstance(error, ErrorGroup) else [error]


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (
            'deny for s in sentence message "m"',
            "unknown name 'sentence'",
            "did you mean 'sentences'?",
        ),
        (
            'deny for s in sentences where s.txt == "a" message "m"',
            "Sentence has no field 'txt'",
            "did you mean 'text'?",
        ),
        (
            'deny for s in sentences where s.line == "3" message "m"',
            "cannot compare a num with a str",
            "",
        ),
        (
            'deny for s in sentences where s.text matches /a(b/ message "m"',
            "invalid regular expression",
            "missing )",
        ),
        (
            'deny for s in sentences where s.text matches /(?i)a/ message "m"',
            "inline flags",
            "/…/i",
        ),
        (
            'deny for s in sentences where s.text matches /a/x message "m"',
            "unknown regex flag 'x'",
            "",
        ),
        (
            'deny for s in sentences where s.text matches nope message "m"',
            "unknown pattern 'nope'",
            "",
        ),
        (
            'deny for s in sentences where s.headings matches /a/ message "m"',
            "matches needs a string on its left",
            "",
        ),
        (
            'deny for s in sentences where lower(s.text) == "a" message "m"',
            "unknown function 'lower'",
            "count",
        ),
        (
            'deny for s in sentences where s.text in "abc" message "m"',
            "'in' needs a list on its right",
            "",
        ),
        (
            'deny for s in sentences where s.text message "m"',
            "a str is not a condition",
            "compare it",
        ),
        ('deny for s in sentences where forge == "x" message "m"', "unknown name 'forge'", ""),
        (
            'deny for s in sentences where not s.text matches /(?<g>a)/ message "{g}"',
            "unknown name 'g'",
            "",
        ),
        ('deny for s in sentences message "{s.txet}"', "Sentence has no field 'txet'", ""),
        (
            'deny for s in sentences message "m" suggest "{s.txet} (planned)"',
            "Sentence has no field 'txet'",
            "",
        ),
        ('deny for s in sentences message "m" suggest "{s.text"', "unbalanced brace", ""),
        ('deny for s in sentences message "{s.text + 1}"', "placeholder {s.text + 1}", ""),
        (
            'deny for c in runner_classes, l in c.labels message "m" at l',
            "findings need a position",
            "",
        ),
        ('deny for s in sentences, s in sentences message "m"', "'s' is already a name here", ""),
        (
            'deny for s in sentences where ledger.forgez == "x" message "m"',
            "Ledger has no field 'forgez'",
            "forges",
        ),
        ('deny for s in sentences where s.text.x == "a" message "m"', "a str has no fields", ""),
        ('deny for j in jobs where j.steps.uses == "a" message "m"', "has no fields", "some/every"),
    ],
)
def test_semantic_errors(body: str, message: str, hint: str) -> None:
    errors = errors_of(body)
    assert any(message in e.message and hint in e.message + e.hint for e in errors), [
        (e.message, e.hint) for e in errors
    ]
    assert all(e.path == "p.policy" and e.line >= 4 for e in errors)


def test_duplicate_policy_ids_and_patterns() -> None:
    source = (
        "pattern a = /x/\npattern a = /y/\n"
        'policy p { rationale "r" fix "f" deny for s in sentences message "m" }\n'
        'policy p { rationale "r" fix "f" deny for s in sentences message "m" }\n'
    )
    with pytest.raises(ErrorGroup) as info:
        check_program([parse(source, "d.policy")], {"d.policy": source})
    messages = [e.message for e in info.value.errors]
    assert "pattern 'a' is defined twice" in messages
    assert "policy id 'p' is already used at d.policy:3" in messages


def test_captures_bind_in_order_and_reach_the_message() -> None:
    source = (
        'policy p { rationale "r" fix "f"\n'
        "  deny for s in sentences where s.text matches /(?<forge>gitlab)/i as phrase\n"
        '    and ledger.forges[forge].state != "proved" message "{forge} {phrase} {s.text}" }\n'
    )
    program = check_program([parse(source, "c.policy")])
    (clause,) = program.clauses
    assert set(clause.var_types) == {"s", "forge", "phrase"}
    assert [text for text, _ in clause.placeholders] == ["forge", "phrase", "s.text"]
    assert clause.anchor is not None


def test_one_unknown_collection_is_one_error() -> None:
    """No cascade: the clause's other uses of the variable are not errors too (issue 13)."""
    text = (
        'policy p {\n  severity error\n  rationale "r"\n  fix "f"\n  deny x\n'
        "    for s in sentencs\n"
        '    where s.text matches /(?<w>foo)/ and s.block == "x" and s.heading contains "y"\n'
        '    message "{s.nope} {w} {s.text}"\n}\n'
    )
    with pytest.raises(ProofgateError) as raised:
        check_program([parse(text, "p.policy")], {"p.policy": text})
    assert not isinstance(raised.value, ErrorGroup)
    assert "unknown name 'sentencs'" in str(raised.value.message)


def test_a_bad_placeholder_is_located_at_the_placeholder() -> None:
    text = (
        'policy p {\n  severity error\n  rationale "r"\n  fix "f"\n  deny x\n'
        "    for s in sentences\n"
        "    where s.text matches /foo/\n"
        '    message "found {s.txt} here"\n'
        '    fix "see {nothing}"\n}\n'
    )
    with pytest.raises(ErrorGroup) as raised:
        check_program([parse(text, "p.policy")], {"p.policy": text})
    where = [(e.line, e.column) for e in raised.value.errors]
    assert where == [(8, 21), (9, 15)]  # the first character inside each brace
