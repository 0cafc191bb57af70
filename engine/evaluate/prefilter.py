"""The prefilter: which candidate records cannot match a clause, decided before Rego.

:func:`prefilter` compiles a clause's condition once into a three-valued test
of one candidate record, with everything that is not about that record
unknown (the reference evaluator's semantics, :mod:`engine.evaluate.reference`):
a record is dropped only when the condition is false whatever the unknown
parts are, so records that cannot match never reach Rego. A hypothesis test
checks that it never drops a record the full evaluation reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..dsl import ast
from ..dsl.program import CheckedClause, Program, walk
from .facts import finder
from .memo import memo
from .reference import UNDEF, Evaluator, same

# A three-valued test of one candidate: False when the condition cannot hold,
# True when it holds whatever the unknown parts are, None when that depends on them.
Tri = bool | None
RecordTest = Callable[[Any], Tri]


def may_hold(evaluator: Evaluator, checked: CheckedClause, record: Any) -> bool:
    """False only when the clause cannot hold for this candidate, whatever else is true."""
    return prefilter(evaluator.program, checked)(record)


def prefilter(program: Program, checked: CheckedClause) -> Callable[[Any], bool]:
    """The clause's prefilter, compiled once: :func:`_maybe` without walking the AST
    per record (which parts are about the main record is decided here, once).

    Tests run cheapest first and stop at the first one that decides: the result
    is the same three-valued answer, and a record that fails a cheap test never
    runs a regex.
    """
    test: Callable[[Any], bool] = memo(
        checked, "_prefilter", program, lambda: _prefilter(program, checked)
    )
    return test


def _prefilter(program: Program, checked: CheckedClause) -> Callable[[Any], bool]:
    where = checked.clause.where
    main = checked.main_var
    compiled = None if where is None else _compile(Evaluator(program, {}, {}), where, main)
    if isinstance(compiled, _Test):
        tri = compiled.run
        return lambda record: tri(record) is not False
    return _never if compiled is False else _always


def _always(record: Any) -> bool:
    return True


def _never(record: Any) -> bool:
    return False


@dataclass(frozen=True)
class _Test:
    run: RecordTest
    regexes: int  # how many regex tests it may run: the cost to order by


def _compile(ev: Evaluator, expr: ast.Expr, main: str) -> _Test | Tri:
    """A test of the main record, or the answer itself when it does not depend on it."""
    if isinstance(expr, ast.And | ast.Or):
        return _compile_junction(ev, expr, main)
    if isinstance(expr, ast.Not):
        inner = _compile(ev, expr.item, main)
        if not isinstance(inner, _Test):
            return None if inner is None else not inner
        test = inner.run
        return _Test(lambda record: None if (v := test(record)) is None else not v, inner.regexes)
    if not _only_about(expr, main):
        return None
    regexes = sum(isinstance(node, ast.Matches) for node in walk(expr))
    if isinstance(expr, ast.Matches) and _holder(ev.program, expr) == ast.Var(main):
        return _Test(finder(ev.program.atom(expr)), regexes)
    direct = _comparison(expr, main) or _truth(expr, main)
    if direct is not None:
        return _Test(direct, regexes)
    return _Test(lambda record: ev.holds(expr, {main: record}), regexes)


Getter = Callable[[Any], Any]


def _comparison(expr: ast.Expr, main: str) -> RecordTest | None:
    """``==`` or ``!=`` between fields of the main record and literals as a direct test,
    without the evaluator's walk per record: the same answer as ``Evaluator._test``
    (an undefined side fails the test; equality as Rego sees it)."""
    if not isinstance(expr, ast.Compare) or expr.op not in ("==", "!="):
        return None
    left, right = _getter(expr.left, main), _getter(expr.right, main)
    if left is None or right is None:
        return None
    equal = expr.op == "=="

    def compare(record: Any) -> bool:
        a, b = left(record), right(record)
        return a is not UNDEF and b is not UNDEF and same(a, b) is equal

    return compare


def _truth(expr: ast.Expr, main: str) -> RecordTest | None:
    """A field of the main record as a test (``s.link_only``): defined and not false."""
    value = _getter(expr, main) if isinstance(expr, ast.Field | ast.Index) else None
    if value is None:
        return None
    return lambda record: (v := value(record)) is not UNDEF and v is not False


def _getter(expr: ast.Expr, main: str) -> Getter | None:
    """``Evaluator.value`` of a literal or a field path of the main record, compiled."""
    if isinstance(expr, ast.Literal):
        value = expr.value
        return lambda record: value
    if isinstance(expr, ast.Var) and expr.name == main:
        return lambda record: record
    if isinstance(expr, ast.Field):
        base = _getter(expr.base, main)
        return None if base is None else _field(base, expr.name, isinstance(expr.base, ast.Var))
    if isinstance(expr, ast.Index) and isinstance(expr.key, ast.Literal):
        base, key = _getter(expr.base, main), expr.key.value
        return None if base is None else (lambda record: Evaluator.index(base(record), key))
    return None


def _field(base: Getter, name: str, of_record: bool) -> Getter:
    if of_record:  # the record's own field: the common case
        return lambda record: record.get(name, UNDEF) if isinstance(record, dict) else UNDEF

    def field(record: Any) -> Any:
        value = base(record)
        return value.get(name, UNDEF) if isinstance(value, dict) else UNDEF

    return field


def _compile_junction(ev: Evaluator, expr: ast.And | ast.Or, main: str) -> _Test | Tri:
    decisive = isinstance(expr, ast.Or)  # the value that decides the junction
    parts = [_compile(ev, item, main) for item in expr.items]
    if decisive in parts:
        return decisive
    compiled = sorted((p for p in parts if isinstance(p, _Test)), key=lambda t: t.regexes)
    initial: Tri = None if None in parts else not decisive
    if not compiled:
        return initial
    tests = [t.run for t in compiled]

    def junction(record: Any) -> Tri:
        result = initial
        for test in tests:
            value = test(record)
            if value is decisive:
                return decisive
            if value is None:
                result = None
        return result

    return _Test(junction, sum(t.regexes for t in compiled))


def _holder(program: Program, expr: ast.Matches) -> ast.Expr:
    """The record a regex test reads its field from (``s`` in ``s.text matches``)."""
    holder: ast.Expr = expr.subject
    for _ in program.atom(expr).path:
        holder = holder.base  # type: ignore[union-attr]
    return holder


def _maybe(ev: Evaluator, expr: ast.Expr, main: str, record: Any) -> bool | None:
    """The prefilter's specification, walking the AST per record (:func:`prefilter`
    compiles it; the tests compare the two)."""
    if isinstance(expr, ast.And):
        results = [_maybe(ev, item, main, record) for item in expr.items]
        if False in results:
            return False
        return None if None in results else True
    if isinstance(expr, ast.Or):
        results = [_maybe(ev, item, main, record) for item in expr.items]
        if True in results:
            return True
        return None if None in results else False
    if isinstance(expr, ast.Not):
        inner = _maybe(ev, expr.item, main, record)
        return None if inner is None else not inner
    if not _only_about(expr, main):
        return None
    return ev.holds(expr, {main: record})


def _only_about(expr: ast.Expr, main: str) -> bool:
    """True when a test reads nothing but the main record and literals."""
    if isinstance(expr, ast.Quantified):
        return False
    return all(node.name == main for node in walk(expr) if isinstance(node, ast.Var))
