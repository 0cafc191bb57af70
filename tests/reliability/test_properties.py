"""Properties of the policy language, over generated ASTs (bounded example counts).

- Formatting round-trips: ``parse(format(ast)) == ast``.
- Every generated program the checker accepts compiles to Rego that regopy
  builds, calls no regex builtin, and gives the same findings as the Python
  reference evaluator over a generated input model (a differential test of
  the compiler and the prefilter).

Other properties live beside their code and are listed in docs/reliability.md:
the parser on arbitrary text (tests/dsl/test_parser.py), the extractors on
arbitrary input (tests/extract/), the prefilter (tests/evaluate/test_prefilter.py),
formatting the shipped pack (tests/dsl/test_format.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.core.errors import ProofgateError
from engine.dsl import ast
from engine.dsl.checker import check_program
from engine.dsl.compile import compile_program
from engine.dsl.format import format_module
from engine.dsl.parser import parse
from engine.evaluate import run
from engine.evaluate.run import InputModel, evaluate
from tests.support import reference_findings

# --- the AST strategy ------------------------------------------------------------
# Programs range over sentences and runner classes (with their proofs) and read the
# ledger; every expression is well typed against engine/model.py, so the checker
# rejects only what the strategy cannot see (a capture bound twice in a clause).

# Quotes, backslashes and tabs: regopy keeps such strings JSON-escaped.
WORDS = [
    "GitLab",
    "forgejo",
    "supports",
    "planned",
    "Intro",
    "kvm",
    "é",
    "文",
    '"q"',
    "\\",
    "\t",
    "x",
]
TEXT = st.sampled_from(WORDS)
FIELDS: dict[str, dict[str, str]] = {
    "Sentence": {
        "text": "str",
        "block": "str",
        "heading": "str",
        "line": "num",
        "column": "num",
        "in_blockquote": "bool",
        "headings": "list[str]",
    },
    "RunnerClass": {
        "name": "str",
        "state": "str",
        "index": "num",
        "labels": "list[str]",
        "proofs": "list[Proof]",
    },
    "Proof": {
        "surface": "str",
        "evidence": "str",
        "verified": "str",
        "age_days": "num",
        "evidence_exists": "bool",
    },
}
REGEXES = [
    ast.Regex("gitlab", "i"),
    ast.Regex("^(planned|kvm)\\b"),
    ast.Regex("(?<w>supports|forgejo)", "i"),
    ast.Regex("\\w+ \\w+$"),
    ast.Regex('"q"|\\\\|é|/'),
    ast.Regex("文", "s"),
]
PATTERNS = {"hedge": ast.Regex("\\b(planned|experimental)\\b", "i"), "cjk": ast.Regex("文|é")}
STATES = ["proved", "experimental", "backlog"]


@dataclass(frozen=True)
class Scope:
    """The variables a condition may read: name -> record type or "str"."""

    variables: tuple[tuple[str, str], ...]

    def records(self) -> list[tuple[str, str]]:
        return [(n, t) for n, t in self.variables if t in FIELDS]

    def fields(self, kind: str) -> list[tuple[str, str]]:
        """(variable, field) pairs of the given field type."""
        return [(n, f) for n, t in self.records() for f, k in FIELDS[t].items() if k == kind]

    def with_var(self, name: str, kind: str) -> Scope:
        return Scope((*self.variables, (name, kind)))


def field(var: str, name: str) -> ast.Field:
    return ast.Field(ast.Var(var), name)


@st.composite
def str_value(draw: st.DrawFn, scope: Scope) -> ast.Expr:
    options: list[ast.Expr] = [field(v, f) for v, f in scope.fields("str")]
    options += [ast.Var(n) for n, t in scope.variables if t == "str"]
    options.append(ast.Field(ast.Index(field("ledger", "forges"), ast.Literal("gitlab")), "state"))
    return draw(st.sampled_from(options))


@st.composite
def leaf(draw: st.DrawFn, scope: Scope) -> ast.Expr:
    kind = draw(st.sampled_from(["cmp-str", "cmp-num", "member", "strtest", "bool", "count", "re"]))
    if kind == "cmp-str":
        op = draw(st.sampled_from(["==", "!="]))  # strings are not ordered (the checker)
        other = draw(st.one_of(TEXT.map(ast.Literal), st.sampled_from(STATES).map(ast.Literal)))
        return ast.Compare(op, draw(str_value(scope)), other)
    if kind == "cmp-num" and scope.fields("num"):
        var, name = draw(st.sampled_from(scope.fields("num")))
        number = draw(st.one_of(st.integers(-1, 4), st.sampled_from([0.5, 1.5, 2.0])))
        op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
        return ast.Compare(op, field(var, name), ast.Literal(number))
    if kind == "member":
        if scope.fields("list[str]") and draw(st.booleans()):
            var, name = draw(st.sampled_from(scope.fields("list[str]")))
            return ast.Member(ast.Literal(draw(TEXT)), field(var, name), draw(st.booleans()))
        items = tuple(ast.Literal(w) for w in draw(st.lists(TEXT, max_size=3)))
        return ast.Member(draw(str_value(scope)), ast.ListExpr(items), draw(st.booleans()))
    if kind == "strtest":
        op = draw(st.sampled_from(["startswith", "endswith", "contains"]))
        return ast.StrTest(op, draw(str_value(scope)), ast.Literal(draw(TEXT)))
    if kind == "bool" and scope.fields("bool"):
        var, name = draw(st.sampled_from(scope.fields("bool")))
        return field(var, name)
    if kind == "count" and scope.fields("list[str]"):
        var, name = draw(st.sampled_from(scope.fields("list[str]")))
        op = draw(st.sampled_from(["==", ">", "<="]))
        return ast.Compare(
            op, ast.Call("count", (field(var, name),)), ast.Literal(draw(st.integers(0, 2)))
        )
    if kind == "re" and scope.fields("str"):
        var, name = draw(st.sampled_from(scope.fields("str")))
        regex: ast.Regex | ast.PatternRef = draw(
            st.one_of(
                st.sampled_from(REGEXES), st.sampled_from(sorted(PATTERNS)).map(ast.PatternRef)
            )
        )
        bind = draw(st.one_of(st.none(), st.just("hit")))
        return ast.Matches(field(var, name), regex, bind)
    return ast.Literal(draw(st.booleans()))


@st.composite
def quantified(draw: st.DrawFn, scope: Scope, depth: int) -> ast.Expr:
    sources: list[tuple[ast.Expr, str]] = [(ast.Var("runner_classes"), "RunnerClass")]
    sources += [(field(v, f), "Proof") for v, f in scope.fields("list[Proof]")]
    sources += [(field(v, f), "str") for v, f in scope.fields("list[str]")]
    source, kind = draw(st.sampled_from(sources))
    name = f"q{depth}"
    body = draw(condition(scope.with_var(name, kind), depth + 1))
    return ast.Quantified(draw(st.sampled_from(["some", "every"])), name, source, body)


def joined(kind: type[ast.And] | type[ast.Or], items: list[ast.Expr]) -> ast.Expr:
    """An and/or of ``items``, flattened as the parser flattens it."""
    flat: list[ast.Expr] = []
    for item in items:
        flat.extend(item.items if isinstance(item, kind) else [item])
    return kind(tuple(flat))


@st.composite
def condition(draw: st.DrawFn, scope: Scope, depth: int = 0) -> ast.Expr:
    if depth >= 2:
        return draw(leaf(scope))
    shape = draw(st.sampled_from(["leaf", "leaf", "and", "or", "not", "quantified"]))
    if shape in ("and", "or"):
        items = draw(st.lists(condition(scope, depth + 1), min_size=2, max_size=3))
        return joined(ast.And if shape == "and" else ast.Or, items)
    if shape == "not":
        return ast.Not(draw(condition(scope, depth + 1)))
    if shape == "quantified":
        return draw(quantified(scope, depth))
    return draw(leaf(scope))


@st.composite
def clauses(draw: st.DrawFn) -> ast.Clause:
    shape = draw(st.sampled_from(["sentences", "classes", "proofs", "pairs"]))
    generators = {
        "sentences": [ast.Generator("s", ast.Var("sentences"))],
        "classes": [ast.Generator("c", ast.Var("runner_classes"))],
        "proofs": [
            ast.Generator("c", ast.Var("runner_classes")),
            ast.Generator("p", field("c", "proofs")),
        ],
        "pairs": [
            ast.Generator("c", ast.Var("runner_classes")),
            ast.Generator("prev", ast.Var("runner_classes")),
        ],
    }[shape]
    kinds = {"s": "Sentence", "c": "RunnerClass", "p": "Proof", "prev": "RunnerClass"}
    scope = Scope(tuple((g.var, kinds[g.var]) for g in generators))
    where = draw(st.one_of(st.none(), condition(scope)))
    main = generators[0].var
    shown = draw(
        st.sampled_from(["path", *[n for n, k in FIELDS[kinds[main]].items() if k == "str"]])
    )
    words = draw(st.text(st.characters(blacklist_characters="{}"), max_size=12))
    message = ast.Template(f"{words} {{{main}.{shown}}} {{{{literal}}}}")
    return ast.Clause(
        kind=draw(st.sampled_from(["deny", "warn"])),
        name=draw(st.one_of(st.none(), st.sampled_from(["docs", "ledger-state", "pairs"]))),
        generators=tuple(generators),
        where=where,
        message=message,
        fix=draw(st.one_of(st.none(), st.just(f"Fix {{{main}.path}}."))),
        at="p" if shape == "proofs" and draw(st.booleans()) else None,
    )


@st.composite
def modules(draw: st.DrawFn) -> ast.Module:
    count = draw(st.integers(1, 2))
    policies = tuple(
        ast.Policy(
            id=f"generated-{index}",
            severity=draw(st.sampled_from(["error", "warning", "info"])),
            rationale=draw(st.text(max_size=20)),
            fix=draw(st.text(st.characters(blacklist_characters="{}"), max_size=20)),
            paths=tuple(
                draw(
                    st.lists(
                        st.sampled_from(["**/*.md", "proofs.yaml", "docs/**"]),
                        max_size=2,
                        unique=True,
                    )
                )
            ),
            exclude=tuple(draw(st.lists(st.just("vendor/**"), max_size=1))),
            clauses=tuple(draw(st.lists(clauses(), min_size=1, max_size=2))),
        )
        for index in range(count)
    )
    patterns = tuple(ast.PatternDef(name, regex) for name, regex in PATTERNS.items())
    return ast.Module("generated.policy", patterns, policies)


# --- the input model strategy ------------------------------------------------------


def position(path: str, line: int) -> dict[str, Any]:
    return {"path": path, "line": line, "column": 1, "end_line": line, "end_column": 5}


@st.composite
def models(draw: st.DrawFn) -> InputModel:
    sentences = [
        {
            **position(draw(st.sampled_from(["README.md", "docs/a.md", "vendor/x.md"])), line),
            "text": " ".join(draw(st.lists(TEXT, max_size=5))),
            "block": draw(st.sampled_from(["paragraph", "heading", "table_cell"])),
            "heading": draw(TEXT),
            "headings": draw(st.lists(TEXT, max_size=2)),
            "table_header": "",
            "in_blockquote": draw(st.booleans()),
        }
        for line in range(1, draw(st.integers(0, 4)) + 1)
    ]
    classes = []
    for index, name in enumerate(
        draw(st.lists(st.sampled_from(["kvm", "gpu", "macos"]), max_size=3, unique=True))
    ):
        proofs = [
            {
                **position("proofs.yaml", 10 * index + k + 2),
                "surface": draw(st.sampled_from(["", "vm test", "forgejo"])),
                "evidence": draw(st.sampled_from(["", "ci.yml", "https://x"])),
                "evidence_kind": "path",
                "evidence_exists": draw(st.booleans()),
                "verified": draw(st.sampled_from(["", "2026-01-01"])),
                "age_days": draw(st.integers(-1, 3)),
            }
            for k in range(draw(st.integers(0, 2)))
        ]
        classes.append(
            {
                **position("proofs.yaml", 10 * index + 1),
                "name": name,
                "index": index,
                "state": draw(st.sampled_from(STATES)),
                "labels": draw(st.lists(TEXT, max_size=2)),
                "proofs": proofs,
            }
        )
    forges = {
        "gitlab": {
            **position("proofs.yaml", 40),
            "name": "gitlab",
            "index": 0,
            "state": draw(st.sampled_from(STATES)),
            "proofs": [],
            "surfaces": [],
        }
    }
    ledger = {**position("proofs.yaml", 1), "present": True, "repo": "o/r", "forges": forges}
    return InputModel({"sentences": sentences, "runner_classes": classes}, ledger)


# --- the properties ----------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules())
def test_formatting_round_trips(module: ast.Module) -> None:
    text = format_module(module)
    assert parse(text, module.path) == module
    assert format_module(parse(text, module.path)) == text


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(modules(), models())
def test_compiled_rego_agrees_with_the_reference_evaluator(
    module: ast.Module, model: InputModel
) -> None:
    try:
        program = check_program([module])
    except ProofgateError:  # e.g. a regex capture bound twice in one clause
        assume(False)
    rego = compile_program(program)
    for generated in rego:
        code = re.sub(r'#[^\n]*|"(?:[^"\\]|\\.)*"', "", generated.text)  # no comments, strings
        called = set(re.findall(r"\b([A-Za-z_][\w.]*)\(", code))
        assert {name for name in called if not name.startswith("pg_")} <= {
            "count",
            "startswith",
            "endswith",
            "contains",
        }
    try:
        found = evaluate(program, rego, model, backend="regopy")
    finally:
        run._loaded_backend.cache_clear()  # one compiled bundle per example: do not keep them
    assert set(found) == reference_findings(program, model)
