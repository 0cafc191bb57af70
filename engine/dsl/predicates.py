"""Named predicates: ``predicate notes(s) = s.path matches notes_path or ...``.

A predicate is a condition with parameters, defined once (any ``.policy`` file
of the pack) and called from any clause: ``where ... and not notes(s)``. The
checker inlines every call before anything else looks at the clause: the
arguments take the place of the parameters in a fresh copy of the body, so the
compiler, the evaluators and the prefilter only ever see plain conditions, and
an error inside a body points at the predicate's definition.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TypeVar

from . import ast

N = TypeVar("N")


def rebuild(node: N, change: Callable[[object], object | None]) -> N:
    """A fresh copy of ``node``'s expression tree; ``change`` may return a node to put
    in place of one (copied no further), or None to copy it as it is."""
    replaced = change(node)
    if replaced is not None:
        return replaced  # type: ignore[return-value]
    if not dataclasses.is_dataclass(node) or isinstance(node, ast.Span | type):
        return node
    values = {}
    for item in dataclasses.fields(node):
        value = getattr(node, item.name)
        if isinstance(value, tuple):
            values[item.name] = tuple(rebuild(v, change) for v in value)
        else:
            values[item.name] = rebuild(value, change)
    return dataclasses.replace(node, **values)


def substitute(body: ast.Expr, bound: dict[str, ast.Expr]) -> ast.Expr:
    """``body`` with each parameter replaced by a fresh copy of its argument (a
    quantifier that rebinds a parameter's name hides it in its body)."""

    def change(node: object) -> object | None:
        if isinstance(node, ast.Var) and node.name in bound:
            return rebuild(bound[node.name], lambda _: None)
        if isinstance(node, ast.Quantified) and node.var in bound:
            inner = {name: arg for name, arg in bound.items() if name != node.var}
            return dataclasses.replace(
                node, source=substitute(node.source, bound), body=substitute(node.body, inner)
            )
        return None

    return rebuild(body, change)


class Inliner:
    """Inlines the predicates of a program into its conditions, collecting errors."""

    def __init__(self, predicates: dict[str, ast.PredicateDef], error: Callable[..., None]):
        self.predicates = predicates
        self.error = error

    def inline(self, expr: ast.Expr, calling: tuple[str, ...] = ()) -> ast.Expr:
        """``expr`` with every predicate call replaced by the predicate's body."""

        def change(node: object) -> object | None:
            if not isinstance(node, ast.Call) or node.func not in self.predicates:
                return None
            return self.call(node, calling)

        return rebuild(expr, change)

    def call(self, node: ast.Call, calling: tuple[str, ...]) -> ast.Expr:
        predicate = self.predicates[node.func]
        if node.func in calling:
            chain = " -> ".join((*calling, node.func))
            self.error(f"predicate {node.func} calls itself ({chain})", node.span)
            return ast.Literal(False, node.span)
        if len(node.args) != len(predicate.params):
            self.error(
                f"predicate {node.func} takes {len(predicate.params)} argument(s) "
                f"({', '.join(predicate.params)}), not {len(node.args)}",
                node.span,
            )
            return ast.Literal(False, node.span)
        args = [self.inline(arg, calling) for arg in node.args]
        body = substitute(predicate.body, dict(zip(predicate.params, args, strict=True)))
        return self.inline(body, (*calling, node.func))
