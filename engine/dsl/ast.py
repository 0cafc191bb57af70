"""The typed, immutable AST of the policy language.

Nothing outside ``engine.dsl.parser`` sees lark trees: the parser turns them
into these frozen dataclasses, each with the :class:`Span` it came from.
Spans are excluded from equality, so two ASTs that differ only in layout
compare equal (``parse(format(ast)) == ast``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal as Lit


@dataclass(frozen=True)
class Span:
    path: str
    line: int
    column: int
    end_line: int
    end_column: int


NO_SPAN = Span("", 0, 0, 0, 0)


def _span() -> Span:
    span: Span = field(default=NO_SPAN, compare=False, repr=False)
    return span


# --- expressions -----------------------------------------------------------


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool
    span: Span = _span()


@dataclass(frozen=True)
class ListExpr:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Var:
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Field:
    base: Expr
    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Index:
    base: Expr
    key: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Regex:
    """A regular expression literal ``/source/flags`` (``regex`` syntax; flags i, m, s)."""

    source: str
    flags: str = ""
    span: Span = _span()


@dataclass(frozen=True)
class PatternRef:
    """A named pattern declared with ``pattern NAME = /.../``."""

    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Compare:
    op: Lit["==", "!=", "<", "<=", ">", ">="]
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Member:
    item: Expr
    container: Expr
    negated: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class StrTest:
    op: Lit["startswith", "endswith", "contains"]
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Matches:
    """``subject matches /re/ [as name]``: named groups bind variables."""

    subject: Expr
    regex: Regex | PatternRef
    bind: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class And:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Or:
    items: tuple[Expr, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    item: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Quantified:
    """``some x in xs { cond }`` or ``every x in xs { cond }``."""

    kind: Lit["some", "every"]
    var: str
    source: Expr
    body: Expr
    span: Span = _span()


Expr = (
    Literal
    | ListExpr
    | Var
    | Field
    | Index
    | Call
    | Compare
    | Member
    | StrTest
    | Matches
    | And
    | Or
    | Not
    | Quantified
)


# --- declarations ----------------------------------------------------------


@dataclass(frozen=True)
class Template:
    """A message template: literal text with ``{var.field}`` placeholders."""

    text: str
    span: Span = _span()


@dataclass(frozen=True)
class Generator:
    var: str
    source: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Edit:
    """``edit delete SPAN``, ``edit replace SPAN with "text"`` or ``edit insert
    before|after SPAN "text"``, applied when ``when`` holds (a mechanical fix).
    ``target`` is a ``Span`` record; ``text`` a template like the message's."""

    action: Lit["delete", "replace", "insert before", "insert after"]
    target: Expr
    text: str = ""
    when: Expr | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Clause:
    kind: Lit["deny", "warn"]
    name: str | None
    generators: tuple[Generator, ...]
    where: Expr | None
    message: Template
    fix: str | None = None
    at: str | None = None
    span: Span = _span()
    edits: tuple[Edit, ...] = ()
    # a hedged rewording of the anchored words, offered in the editor only
    suggest: str | None = None


@dataclass(frozen=True)
class Policy:
    id: str
    severity: Lit["error", "warning", "info"]
    rationale: str
    fix: str
    paths: tuple[str, ...]
    exclude: tuple[str, ...]
    clauses: tuple[Clause, ...]
    span: Span = _span()
    # ``paths params.NAME``: the paths are that param's globs (set when the pack is
    # configured, engine.pack.with_params); ``paths`` holds them once set.
    paths_param: str | None = None
    paths_param_span: Span = _span()

    def rule_id(self, clause: Clause) -> str:
        """The rule id a clause reports under: ``policy-id`` or ``policy-id.name``."""
        return f"{self.id}.{clause.name}" if clause.name else self.id


@dataclass(frozen=True)
class PatternDef:
    name: str
    regex: Regex
    span: Span = _span()


@dataclass(frozen=True)
class PredicateDef:
    """``predicate name(a, b) = condition``: a named condition, inlined at each call."""

    name: str
    params: tuple[str, ...]
    body: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Module:
    """One ``.policy`` file."""

    path: str
    patterns: tuple[PatternDef, ...]
    policies: tuple[Policy, ...]
    predicates: tuple[PredicateDef, ...] = ()
