"""A direct Python evaluator of checked policies, with Rego's semantics.

Two uses:
- the reference the compiler is tested against: for the same input model it
  must produce exactly the hits the generated Rego produces;
- the prefilter: :func:`may_hold` evaluates a clause's condition on one
  candidate record with everything that is not about that record unknown
  (three-valued), so records that cannot match never reach Rego.

Undefined values follow Rego: a missing field makes any test on it fail, and
``not`` of a failing test holds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from engine.core.model import COLLECTIONS
from engine.dsl import ast
from engine.dsl.program import CheckedClause, Program, conjuncts, walk
from engine.evaluate.facts import atom_found, atom_matches

UNDEF: Any = object()
Env = dict[str, Any]


def same(a: Any, b: Any) -> bool:
    """JSON equality as Rego sees it (true is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def _ordered(a: Any, b: Any) -> bool:
    return (isinstance(a, str) and isinstance(b, str)) or (
        isinstance(a, int | float)
        and isinstance(b, int | float)
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    )


def elements(container: Any) -> list[Any]:
    """What ``some x in container`` ranges over (map values in key order)."""
    if isinstance(container, list):
        return container
    if isinstance(container, dict):
        return [container[k] for k in sorted(container)]
    return []


class Evaluator:
    def __init__(self, program: Program, collections: dict[str, list[Any]], ledger: Any) -> None:
        self.program = program
        self.collections = collections
        self.ledger = ledger
        self.anchor: ast.Matches | None = None

    # --- values ----------------------------------------------------------------

    def value(self, expr: ast.Expr, env: Env) -> Any:
        if isinstance(expr, ast.Literal):
            return expr.value
        if isinstance(expr, ast.ListExpr):
            items = [self.value(item, env) for item in expr.items]
            return UNDEF if any(item is UNDEF for item in items) else items
        if isinstance(expr, ast.Var):
            if expr.name in env:
                return env[expr.name]
            if expr.name == "ledger":
                return self.ledger
            if expr.name in COLLECTIONS:
                return self.collections.get(expr.name, [])
            return UNDEF
        if isinstance(expr, ast.Field):
            base = self.value(expr.base, env)
            return base.get(expr.name, UNDEF) if isinstance(base, dict) else UNDEF
        if isinstance(expr, ast.Index):
            return self._index(self.value(expr.base, env), self.value(expr.key, env))
        if isinstance(expr, ast.Call):
            arg = self.value(expr.args[0], env)
            return len(arg) if isinstance(arg, list | dict | str) else UNDEF
        return UNDEF

    @staticmethod
    def _index(base: Any, key: Any) -> Any:
        if isinstance(base, dict) and isinstance(key, str):
            return base.get(key, UNDEF)
        if isinstance(base, list) and isinstance(key, int) and not isinstance(key, bool):
            return base[key] if 0 <= key < len(base) else UNDEF
        return UNDEF

    # --- conditions --------------------------------------------------------------

    def solve(self, expr: ast.Expr, env: Env, binds: bool) -> Iterator[Env]:
        """Every environment in which ``expr`` holds.

        With ``binds``, a regex test with captures (or the clause's anchor)
        yields one environment per match, as the compiled Rego iterates them.
        """
        if isinstance(expr, ast.And):
            yield from self._solve_all(list(expr.items), env, binds)
        elif isinstance(expr, ast.Matches) and binds and self._iterates(expr):
            yield from self._solve_matches(expr, env)
        elif self.holds(expr, env):
            yield env

    def _solve_all(self, items: list[ast.Expr], env: Env, binds: bool) -> Iterator[Env]:
        if not items:
            yield env
            return
        for next_env in self.solve(items[0], env, binds):
            yield from self._solve_all(items[1:], next_env, binds)

    def _iterates(self, expr: ast.Matches) -> bool:
        return bool(self.program.atom(expr).regex.groups or expr.bind or expr is self.anchor)

    def _solve_matches(self, expr: ast.Matches, env: Env) -> Iterator[Env]:
        atom = self.program.atom(expr)
        for match in self.matches_of(expr, env):
            bound = dict(env)
            for name in atom.regex.groups:
                bound[name] = match["groups"][name]
            if expr.bind:
                bound[expr.bind] = match["text"]
            bound[_match_slot(expr)] = match
            yield bound

    def matches_of(self, expr: ast.Matches, env: Env) -> list[dict[str, Any]]:
        atom = self.program.atom(expr)
        holder: ast.Expr = expr.subject
        for _ in atom.path:
            holder = holder.base  # type: ignore[union-attr]
        record = self.value(holder, env)
        return atom_matches(atom, record) if isinstance(record, dict) else []

    def holds(self, expr: ast.Expr, env: Env) -> bool:
        if isinstance(expr, ast.And):
            return all(self.holds(item, env) for item in expr.items)
        if isinstance(expr, ast.Or):
            return any(self._exists(item, env) for item in expr.items)
        if isinstance(expr, ast.Not):
            return not self._exists(expr.item, env)
        if isinstance(expr, ast.Matches):
            return bool(self.matches_of(expr, env))
        if isinstance(expr, ast.Quantified):
            source = self.value(expr.source, env)
            if source is UNDEF:
                return False
            results = (
                self._exists(expr.body, {**env, expr.var: item}) for item in elements(source)
            )
            return any(results) if expr.kind == "some" else all(results)
        return self._test(expr, env)

    def _exists(self, expr: ast.Expr, env: Env) -> bool:
        """Whether a local scope (or branch, not, quantifier body) holds, captures bound."""
        return next(self.solve(expr, env, binds=True), None) is not None

    def _test(self, expr: ast.Expr, env: Env) -> bool:
        if isinstance(expr, ast.Compare):
            left, right = self.value(expr.left, env), self.value(expr.right, env)
            if left is UNDEF or right is UNDEF:
                return False
            if expr.op == "==":
                return same(left, right)
            if expr.op == "!=":
                return not same(left, right)
            if not _ordered(left, right):
                return False
            return bool(
                {
                    "<": left < right,
                    "<=": left <= right,
                    ">": left > right,
                    ">=": left >= right,
                }[expr.op]
            )
        if isinstance(expr, ast.Member):
            item, container = self.value(expr.item, env), self.value(expr.container, env)
            if item is UNDEF or container is UNDEF:
                return expr.negated
            found = any(same(item, x) for x in elements(container))
            return found != expr.negated
        if isinstance(expr, ast.StrTest):
            left, right = self.value(expr.left, env), self.value(expr.right, env)
            if not (isinstance(left, str) and isinstance(right, str)):
                return False
            if expr.op == "startswith":
                return left.startswith(right)
            if expr.op == "endswith":
                return left.endswith(right)
            return right in left
        value = self.value(expr, env)
        return value is not UNDEF and value is not False

    # --- clauses -------------------------------------------------------------------

    def hits(self, checked: CheckedClause, candidates: list[Any]) -> list[dict[str, Any]]:
        """The hits of one clause, in the shape the compiled Rego returns."""
        out: list[dict[str, Any]] = []
        self.anchor = checked.anchor
        generators = checked.clause.generators
        for index, record in enumerate(candidates):
            for env in self._generate(list(generators[1:]), {checked.main_var: record}):
                for solved in self._solve_all(list(conjuncts(checked.clause.where)), env, True):
                    out.append(self._hit(checked, index, solved))
        return out

    def _generate(self, generators: list[ast.Generator], env: Env) -> Iterator[Env]:
        if not generators:
            yield env
            return
        first, rest = generators[0], generators[1:]
        source = self.value(first.source, env)
        for item in elements(source) if source is not UNDEF else []:
            yield from self._generate(rest, {**env, first.var: item})

    def _hit(self, checked: CheckedClause, index: int, env: Env) -> dict[str, Any]:
        hit: dict[str, Any] = {"i": index, "v": {}}
        for text, expr in checked.rego_placeholders():
            hit["v"][text] = self.value(expr, env)
        if checked.anchor is not None and _match_slot(checked.anchor) in env:
            match = env[_match_slot(checked.anchor)]
            hit["o"] = [match["start"], match["end"]]
        if checked.at != checked.main_var:
            at = env[checked.at]
            hit["at"] = [at.get(k) for k in ("path", "line", "column", "end_line", "end_column")]
        return hit


def _match_slot(expr: ast.Matches) -> str:
    return f" match {id(expr)}"  # a key no policy variable can have


# --- prefilter -----------------------------------------------------------------------

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


T = TypeVar("T")


class Memo:
    """What an object keeps, as an attribute, for one owner (see :func:`memo`).

    Pickling and copying leave its value behind (it may hold closures or
    hyperscan databases): the copy computes its own.
    """

    def __init__(self, owner: object = None, value: Any = None) -> None:
        self.owner = owner
        self.value = value

    def __reduce__(self) -> tuple[type[Memo], tuple[()]]:
        return (Memo, ())


def memo(obj: object, name: str, owner: object, make: Callable[[], T]) -> T:
    """The value ``obj`` keeps under ``name`` for ``owner``, made on first use."""
    slot = vars(obj).get(name)
    if not isinstance(slot, Memo) or slot.owner is not owner or slot.owner is None:
        slot = Memo(owner, make())
        vars(obj)[name] = slot
    value: T = slot.value
    return value


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
        atom = ev.program.atom(expr)
        return _Test(lambda r: isinstance(r, dict) and atom_found(atom, r), regexes)
    return _Test(lambda record: ev.holds(expr, {main: record}), regexes)


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
