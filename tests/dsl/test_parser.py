"""The parser: every construct becomes the right AST; syntax errors point at the source."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.core.errors import ErrorGroup, ProofgateError
from engine.dsl import ast
from engine.dsl.parser import parse

HEADER = 'policy p {\n  rationale "why"\n  fix "how"\n'


def where(condition: str) -> ast.Expr:
    module = parse(HEADER + f'  deny for s in sentences where {condition} message "m"\n}}\n')
    expr = module.policies[0].clauses[0].where
    assert expr is not None
    return expr


def test_policy_settings_and_clause() -> None:
    module = parse(
        "pattern hedge = /\\bplanned\\b/i\n"
        "policy flakehub-never-bootstrap {\n"
        "  severity warning\n"
        '  rationale "FlakeHub is publication" " and discovery."\n'
        '  fix "Pin it."\n'
        '  paths "flake.nix", "**/flake.nix"\n'
        '  exclude "vendor/**"\n'
        "  deny inputs for i in flake_inputs, l in i.url where i.bootstrap\n"
        '    message "input {i.name}" fix "clause fix" at i\n'
        '  warn for s in sentences message "x"\n'
        "}\n",
        "p.policy",
    )
    assert module.patterns == (ast.PatternDef("hedge", ast.Regex("\\bplanned\\b", "i")),)
    (policy,) = module.policies
    assert policy.id == "flakehub-never-bootstrap"
    assert policy.severity == "warning"
    assert policy.rationale == "FlakeHub is publication and discovery."
    assert policy.paths == ("flake.nix", "**/flake.nix")
    assert policy.exclude == ("vendor/**",)
    first, second = policy.clauses
    assert first.kind == "deny" and first.name == "inputs"
    assert [g.var for g in first.generators] == ["i", "l"]
    assert first.fix == "clause fix" and first.at == "i"
    assert first.message.text == "input {i.name}"
    assert policy.rule_id(first) == "flakehub-never-bootstrap.inputs"
    assert second.kind == "warn" and second.name is None and second.where is None
    assert policy.rule_id(second) == "flakehub-never-bootstrap"
    assert first.span.line == 8 and first.span.path == "p.policy"


def test_precedence_and_flattening() -> None:
    expr = where("a and b and not c or d")
    assert expr == ast.Or(
        (ast.And((ast.Var("a"), ast.Var("b"), ast.Not(ast.Var("c")))), ast.Var("d"))
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('s.text == "x"', ast.Compare("==", ast.Field(ast.Var("s"), "text"), ast.Literal("x"))),
        ("s.line >= 3", ast.Compare(">=", ast.Field(ast.Var("s"), "line"), ast.Literal(3))),
        ("x != 1.5", ast.Compare("!=", ast.Var("x"), ast.Literal(1.5))),
        (
            'x in ["a", "b"]',
            ast.Member(ast.Var("x"), ast.ListExpr((ast.Literal("a"), ast.Literal("b")))),
        ),
        ("x not in y", ast.Member(ast.Var("x"), ast.Var("y"), negated=True)),
        ('x startswith "a"', ast.StrTest("startswith", ast.Var("x"), ast.Literal("a"))),
        ('x endswith "a"', ast.StrTest("endswith", ast.Var("x"), ast.Literal("a"))),
        ('x contains "a"', ast.StrTest("contains", ast.Var("x"), ast.Literal("a"))),
        ("x matches /a\\/b/i as m", ast.Matches(ast.Var("x"), ast.Regex("a/b", "i"), "m")),
        ("x matches hedge", ast.Matches(ast.Var("x"), ast.PatternRef("hedge"))),
        (
            'ledger.forges[f].state == "proved"',
            ast.Compare(
                "==",
                ast.Field(ast.Index(ast.Field(ast.Var("ledger"), "forges"), ast.Var("f")), "state"),
                ast.Literal("proved"),
            ),
        ),
        ("count(x) > 0", ast.Compare(">", ast.Call("count", (ast.Var("x"),)), ast.Literal(0))),
        ("true", ast.Literal(True)),
        ("false", ast.Literal(False)),
        (
            "some st in j.steps { st.x }",
            ast.Quantified(
                "some", "st", ast.Field(ast.Var("j"), "steps"), ast.Field(ast.Var("st"), "x")
            ),
        ),
        (
            "every p in c.proofs { p.age_days < 180 }",
            ast.Quantified(
                "every",
                "p",
                ast.Field(ast.Var("c"), "proofs"),
                ast.Compare("<", ast.Field(ast.Var("p"), "age_days"), ast.Literal(180)),
            ),
        ),
        ("(a or b) and c", ast.And((ast.Or((ast.Var("a"), ast.Var("b"))), ast.Var("c")))),
        ('"tab\\there"', ast.Literal("tab\there")),
    ],
)
def test_expressions(text: str, expected: ast.Expr) -> None:
    assert where(text) == expected


def test_spans_are_excluded_from_equality_but_kept() -> None:
    a, b = where("x == 1"), where("x   ==   1")
    assert a == b
    assert isinstance(a, ast.Compare) and a.span.line == 4


@pytest.mark.parametrize(
    ("source", "line", "column", "message", "hint"),
    [
        ("policy x { severty error }", 1, 12, "unexpected 'severty'", "'severity'"),
        ("policy X {}", 1, 8, "unexpected 'X'", "kebab-case"),
        ('policy x {\n  rationale "a" @\n}', 2, 17, "unexpected character '@'", "expected"),
        ('policy x {\n  rationale "a"\n', 2, 16, "unexpected end of file", "'}'"),
        (
            'policy x { rationale "a\\q" fix "b" deny for s in y message "m" }',
            1,
            22,
            "invalid escape",
            "",
        ),
    ],
)
def test_syntax_errors(source: str, line: int, column: int, message: str, hint: str) -> None:
    with pytest.raises(ProofgateError) as info:
        parse(source, "bad.policy")
    error = info.value
    assert (error.path, error.line, error.column) == ("bad.policy", line, column)
    assert message in error.message
    assert hint in error.hint
    rendered = error.render()
    assert rendered.startswith(f"bad.policy:{line}:{column}: ")
    assert rendered.splitlines()[2].strip() == "^"


def test_missing_rationale_fix_and_clauses_are_all_reported() -> None:
    with pytest.raises(ErrorGroup) as info:
        parse("policy x {\n  severity error\n  severity info\n}\n", "p.policy")
    messages = [e.message for e in info.value.errors]
    assert "'severity' is given twice in policy x" in messages
    assert "policy x has no rationale" in messages
    assert "policy x has no fix" in messages
    assert "policy x has no deny or warn clause" in messages


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_parses_or_raises_our_error(text: str) -> None:
    try:
        result = parse(text, "fuzz.policy")
    except ProofgateError as error:
        assert error.path == "fuzz.policy"
        error.render()
    else:
        assert isinstance(result, ast.Module)
