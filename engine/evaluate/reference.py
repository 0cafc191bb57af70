"""A direct Python evaluator of checked policies, with Rego's semantics.

It is the reference the compiler is tested against: for the same input model
it must produce exactly the hits the generated Rego produces. Run three-valued
on one candidate, it is also the prefilter (:mod:`engine.evaluate.prefilter`).

Undefined values follow Rego: a missing field makes any test on it fail, and
``not`` of a failing test holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..core.model import COLLECTIONS
from ..core.params import params_record
from ..dsl import ast
from ..dsl.compile import EDIT_FIELDS
from ..dsl.program import RAW, CheckedClause, Program, conjuncts
from .facts import atom_matches

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
    def __init__(
        self,
        program: Program,
        collections: dict[str, list[Any]],
        ledger: Any,
        params: Any = None,
    ) -> None:
        self.program = program
        self.collections = collections
        self.ledger = ledger
        self.params = params_record() if params is None else params  # the defaults
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
            if expr.name == "params":
                return self.params
            if expr.name in COLLECTIONS:
                return self.collections.get(expr.name, [])
            return UNDEF
        if isinstance(expr, ast.Field):
            base = self.value(expr.base, env)
            return base.get(expr.name, UNDEF) if isinstance(base, dict) else UNDEF
        if isinstance(expr, ast.Index):
            return self.index(self.value(expr.base, env), self.value(expr.key, env))
        if isinstance(expr, ast.Call):
            arg = self.value(expr.args[0], env)
            return len(arg) if isinstance(arg, list | dict | str) else UNDEF
        return UNDEF

    @staticmethod
    def index(base: Any, key: Any) -> Any:
        """``base[key]``: a map's entry or a list's item, or undefined."""
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
                if "raw" in match:
                    bound[_raw_slot(name)] = match["raw"][name]
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
            if isinstance(expr, ast.Var) and _raw_slot(expr.name) in env:
                hit["v"][text + RAW] = env[_raw_slot(expr.name)]
        if checked.anchor is not None and _match_slot(checked.anchor) in env:
            match = env[_match_slot(checked.anchor)]
            hit["o"] = [match["start"], match["end"]]
        if checked.at != checked.main_var:
            at = env[checked.at]
            hit["at"] = [at.get(k) for k in ("path", "line", "column", "end_line", "end_column")]
        if checked.clause.edits:
            hit["e"] = [self._edit_spans(edit, env) for edit in checked.clause.edits]
        return hit

    def _edit_spans(self, edit: ast.Edit, env: Env) -> list[list[Any]]:
        """The spans an edit applies to, as the compiled comprehension returns them."""
        spans = []
        for solved in self._solve_all(list(conjuncts(edit.when)), env, True):
            span = self.value(edit.target, solved)
            if isinstance(span, dict) and all(name in span for name in EDIT_FIELDS):
                spans.append([span[name] for name in EDIT_FIELDS])
        return spans


def _raw_slot(name: str) -> str:
    return f" raw {name}"  # a capture as written (see engine.dsl.regex)


def _match_slot(expr: ast.Matches) -> str:
    return f" match {id(expr)}"  # a key no policy variable can have
