"""Generate Rego v1 from checked policies: one package per policy, one rule per clause.

Each clause becomes an array comprehension over its candidate records
(``input.candidates["<policy>/<n>"]``): the measured fast form on regopy
(large ``contains`` sets build super-linearly). A hit carries the candidate's
index, the values the message needs (``v``) and the span of the anchoring
regex match (``o``). Regex tests read facts Python computed
(``record._m.rN``); ``or``, ``not`` of compound conditions, ``some`` and the
body of ``every`` become helper functions so that their variables stay local
(and, for ``every``, because regopy 1.5.2 gets a ``not`` inline in its body
wrong). The output only uses
constructs that behave the same on regopy and regorus.

regopy neither indexes nor plans, so two shapes are compiled for its cost:

- A join, ``some x in C { x.f == e ... }`` (or a generator ``x in C`` with
  ``x.f == e`` in the clause's ``where``) where ``f`` is a string field and
  ``e`` does not read ``x``, looks ``e`` up in an index Python builds from the
  input (``input.index.C.f``: value -> positions in ``C``) instead of scanning
  ``C`` for every binding of the outer variables. The equality stays in the
  body, so the result is the same as the scan's.
- A helper that reads no variable of its caller would be evaluated by regopy in
  every query, candidates or not; it takes the clause's candidates as its
  argument instead, which makes it evaluated only when the clause has
  candidates in the query, and once per query.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..core.model import COLLECTIONS, GLOBALS, RECORD_TYPES, STR
from . import ast
from .program import FACTS, RAW, CheckedClause, Program, conjuncts, walk

ROOT_PACKAGE = "proofgate"
# What a hit returns of each span an edit applies to (``"e"``), in this order.
EDIT_FIELDS = ("path", "line", "column", "end_line", "end_column", "eol")

_REGO_KEYWORDS = {
    "as", "default", "else", "false", "import", "package", "not", "null", "true", "with",
    "some", "in", "every", "if", "contains", "input", "data", "count", "startswith",
    "endswith", "regex", "time", "object", "array", "set", "string", "future", "rego",
}  # fmt: skip
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
_UNSAFE_IN_COMMENT = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def package_name(policy_id: str) -> str:
    return f"{ROOT_PACKAGE}.policies." + policy_id.replace("-", "_")


def rule_name(checked: CheckedClause) -> str:
    return f"clause_{checked.index}"


@dataclass
class RegoModule:
    """One generated module, with the entry points of its clauses."""

    policy_id: str
    path: str  # the .policy file it came from
    package: str
    text: str
    entrypoints: dict[str, str] = field(default_factory=dict)  # clause key -> rule ref
    # (collection, field) pairs the module looks up in ``input.index`` (see above)
    indexes: frozenset[tuple[str, str]] = frozenset()


class _PolicyCompiler:
    def __init__(
        self,
        program: Program,
        policy: ast.Policy,
        clauses: list[CheckedClause],
        counter: Iterator[int],
    ) -> None:
        self.program = program
        self.policy = policy
        self.clauses = clauses
        self.helpers: list[str] = []
        self.counter = counter
        self.anchor: ast.Matches | None = None
        self.indexes: set[tuple[str, str]] = set()
        self.clause_key = ""

    # --- names ---------------------------------------------------------------

    def fresh(self, stem: str) -> str:
        # Names are unique across all generated modules: regopy 1.5.2 aborts
        # when two packages define functions of one name with different arity.
        return f"pg_{stem}{next(self.counter)}"

    @staticmethod
    def var(name: str) -> str:
        if name in _REGO_KEYWORDS or name.startswith("pg_"):
            return f"u_{name}"
        return name

    @staticmethod
    def key(base: str, name: str) -> str:
        if _IDENT.match(name) and name not in _REGO_KEYWORDS:
            return f"{base}.{name}"
        return f"{base}[{json.dumps(name, ensure_ascii=False)}]"

    # --- values --------------------------------------------------------------

    def value(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Literal):
            if isinstance(expr.value, bool):
                return "true" if expr.value else "false"
            return json.dumps(expr.value, ensure_ascii=False)
        if isinstance(expr, ast.ListExpr):
            return "[" + ", ".join(self.value(item) for item in expr.items) + "]"
        if isinstance(expr, ast.Var):
            if expr.name in GLOBALS:
                return f"input.{expr.name}"
            if expr.name in COLLECTIONS and expr.name not in self.scope:
                return f"input.collections.{expr.name}"
            return self.var(expr.name)
        if isinstance(expr, ast.Field):
            return self.key(self.value(expr.base), expr.name)
        if isinstance(expr, ast.Index):
            return f"{self.value(expr.base)}[{self.value(expr.key)}]"
        if isinstance(expr, ast.Call):
            return f"{expr.func}({', '.join(self.value(a) for a in expr.args)})"
        raise AssertionError(f"not a value: {expr!r}")  # the checker rejects this

    # --- conditions -------------------------------------------------------------

    def statements(self, expr: ast.Expr, bound: set[str], binds: bool) -> list[str]:
        """Rego body statements for a condition; ``bound`` grows with captures."""
        if isinstance(expr, ast.And):
            out: list[str] = []
            for item in expr.items:
                out.extend(self.statements(item, bound, binds))
            return out
        if isinstance(expr, ast.Compare):
            return [f"{self.value(expr.left)} {expr.op} {self.value(expr.right)}"]
        if isinstance(expr, ast.Member):
            test = f"{self.value(expr.item)} in {self.value(expr.container)}"
            return [f"not {test}" if expr.negated else test]
        if isinstance(expr, ast.StrTest):
            return [f"{expr.op}({self.value(expr.left)}, {self.value(expr.right)})"]
        if isinstance(expr, ast.Matches):
            return self.matches(expr, bound, binds)
        if isinstance(expr, ast.Not):
            if self.simple(expr.item):
                (inner,) = self.statements(expr.item, set(bound), binds=False)
                return [f"not {inner}"]
            return [f"not {self.helper(expr.item, bound)}"]
        if isinstance(expr, ast.Or):
            return [self.helper(expr, bound)]
        if isinstance(expr, ast.Quantified):
            if expr.kind == "some":
                return [self.helper(expr, bound)]
            # The body is a helper: regopy 1.5.2 finds `every` true when a `not` in
            # its body fails (docs/design.md); a `not` in a helper it gets right.
            call = self.helper(expr.body, {*bound, expr.var})
            return [f"every {self.var(expr.var)} in {self.value(expr.source)} {{\n\t\t{call}\n\t}}"]
        return [self.value(expr)]

    def matches(self, expr: ast.Matches, bound: set[str], binds: bool) -> list[str]:
        atom = self.program.atom(expr)
        holder = expr.subject
        for _ in atom.path:
            holder = holder.base  # type: ignore[union-attr]
        facts = f"{self.value(holder)}.{FACTS}.{atom.key}"
        names = [*atom.regex.groups, *([expr.bind] if expr.bind else [])]
        if not (binds and (names or expr is self.anchor)):
            return [facts]
        match = self.fresh("m")
        self.matched[id(expr)] = match
        out = [f"some {match} in {facts}"]
        for name in atom.regex.groups:
            out.append(f"{self.var(name)} := {self.key(match + '.groups', name)}")
            if "i" in atom.regex.flags and not self.depth:
                raw = self.fresh("raw")
                out.append(f"{raw} := {self.key(match + '.raw', name)}")
                self.raw[name] = raw
        if expr.bind:
            out.append(f"{self.var(expr.bind)} := {match}.text")
        bound.update(names)
        return out

    def helper(self, expr: ast.Or | ast.Not | ast.Quantified | ast.Expr, bound: set[str]) -> str:
        """A helper function for a condition whose variables must stay local."""
        self.depth += 1
        try:
            return self._helper(expr, bound)
        finally:
            self.depth -= 1

    def _helper(self, expr: ast.Or | ast.Not | ast.Quantified | ast.Expr, bound: set[str]) -> str:
        free = sorted(_free_vars(expr) & bound)
        name = self.fresh("cond")
        params = args = ", ".join(self.var(v) for v in free)
        if not free:  # evaluated only where, and once per query when, the clause has candidates
            params, args = "pg_c", f"input.candidates[{json.dumps(self.clause_key)}]"
        bodies: list[list[str]]
        if isinstance(expr, ast.Or):
            bodies = [self.statements(item, set(bound), binds=True) for item in expr.items]
        elif isinstance(expr, ast.Quantified) and expr.kind == "some":
            inner = set(bound) | {expr.var}
            head = self.generator(expr.var, expr.source, conjuncts(expr.body), bound)
            bodies = [[*head, *self.statements(expr.body, inner, binds=True)]]
        else:
            bodies = [self.statements(expr, set(bound), binds=True)]
        for body in bodies:
            lines = "".join(f"\t{line}\n" for line in body)
            self.helpers.append(f"{name}({params}) if {{\n{lines}}}\n")
        return f"{name}({args})"

    def generator(
        self, var: str, source: ast.Expr, conditions: tuple[ast.Expr, ...], bound: set[str]
    ) -> list[str]:
        """``some var in source``, as an index lookup when ``conditions`` (which hold
        for every binding) equate a string field of a collection's records with a
        value that only reads ``bound`` variables."""
        name = source.name if isinstance(source, ast.Var) else ""
        if name not in COLLECTIONS or name in self.scope:
            return [f"some {self.var(var)} in {self.value(source)}"]
        fields = RECORD_TYPES[COLLECTIONS[name].record].fields
        keys: list[tuple[str, ast.Expr]] = []
        for item in conditions:
            if not (isinstance(item, ast.Compare) and item.op == "=="):
                continue
            for side, other in ((item.left, item.right), (item.right, item.left)):
                reads = {n.name for n in walk(other) if isinstance(n, ast.Var)}
                if (
                    isinstance(side, ast.Field)
                    and isinstance(side.base, ast.Var)
                    and side.base.name == var
                    and fields.get(side.name) == STR
                    and var not in reads
                    and reads <= bound | set(GLOBALS) | set(COLLECTIONS)
                ):
                    keys.append((side.name, other))
        if not keys:
            return [f"some {self.var(var)} in {self.value(source)}"]
        # A join (a value from the outer variables) before a constant: it is what
        # makes a scan per outer binding.
        key, value = min(keys, key=lambda pair: isinstance(pair[1], ast.Literal))
        self.indexes.add((name, key))
        position = self.fresh("k")
        lookup = self.key(self.key("input.index", name), key)
        return [
            f"some {position} in {lookup}[{self.value(value)}]",
            f"{self.var(var)} := input.collections.{name}[{position}]",
        ]

    def simple(self, expr: ast.Expr) -> bool:
        """True when a condition compiles to one Rego expression that ``not`` can prefix."""
        if isinstance(expr, ast.Member):
            return not expr.negated
        if isinstance(expr, ast.Matches):
            return not (self.program.atom(expr).regex.groups or expr.bind)
        return isinstance(
            expr, ast.Compare | ast.StrTest | ast.Literal | ast.Var | ast.Field | ast.Index
        )

    # --- clauses -------------------------------------------------------------

    def clause(self, checked: CheckedClause) -> str:
        clause = checked.clause
        self.scope: set[str] = set()
        self.matched: dict[int, str] = {}
        self.raw: dict[str, str] = {}  # capture -> the variable of its text as written
        self.depth = 0  # helper functions being written
        self.anchor = checked.anchor
        self.clause_key = checked.key
        index = "pg_i"
        main = checked.main_var
        body = [
            f"some {index}",
            f"{self.var(main)} := input.candidates[{json.dumps(checked.key)}][{index}]",
        ]
        bound = {main}
        self.scope.add(main)
        where = conjuncts(clause.where)
        for generator in clause.generators[1:]:
            body += self.generator(generator.var, generator.source, where, bound)
            bound.add(generator.var)
            self.scope.add(generator.var)
        for item in where:
            body.extend(self.statements(item, bound, binds=True))
        values = ", ".join(
            f"{json.dumps(text)}: {self.value(expr)}" for text, expr in checked.rego_placeholders()
        )
        written = [
            f"{json.dumps(text + RAW)}: {self.raw[expr.name]}"
            for text, expr in checked.rego_placeholders()
            if isinstance(expr, ast.Var) and expr.name in self.raw
        ]
        values = ", ".join([values, *written]) if values and written else values
        hit = [f'"i": {index}', f'"v": {{{values}}}']
        if checked.anchor is not None and id(checked.anchor) in self.matched:
            match = self.matched[id(checked.anchor)]
            hit.append(f'"o": [{match}.start, {match}.end]')
        if checked.at != main:
            at = self.var(checked.at)
            hit.append(f'"at": [{at}.path, {at}.line, {at}.column, {at}.end_line, {at}.end_column]')
        if clause.edits:
            edits = ", ".join(self.edit(edit, bound) for edit in clause.edits)
            hit.append(f'"e": [{edits}]')
        body.append("pg_hit := {" + ", ".join(hit) + "}")
        span = clause.span
        comment = _comment(f"{checked.rule} ({checked.severity}) — {span.path}:{span.line}")
        lines = "".join(f"\t{line}\n" for line in body)
        return f"{comment}\n{rule_name(checked)} := [pg_hit |\n{lines}]\n"

    def edit(self, edit: ast.Edit, bound: set[str]) -> str:
        """The spans an edit applies to, as a comprehension: empty when its ``when``
        fails or its target is undefined (the hit stands without the edit)."""
        self.depth += 1  # captures of a `when` stay inside it, as in a helper
        try:
            body = self.statements(edit.when, set(bound), binds=True) if edit.when else []
        finally:
            self.depth -= 1
        span = self.fresh("s")
        body.append(f"{span} := {self.value(edit.target)}")
        fields = ", ".join(f"{span}.{name}" for name in EDIT_FIELDS)
        return f"[[{fields}] | " + "; ".join(body) + "]"

    def module(self) -> RegoModule:
        rules = [self.clause(checked) for checked in self.clauses]
        span = self.policy.span
        header = [
            _comment(
                f"Generated by proofgate from {span.path}:{span.line}: policy {self.policy.id}"
            ),
            _comment(self.policy.rationale),
            f"package {package_name(self.policy.id)}",
            "",
            "import rego.v1",
            "",
        ]
        text = "\n".join(header) + "\n".join([*rules, *self.helpers])
        package = package_name(self.policy.id)
        entrypoints = {c.key: f"data.{package}.{rule_name(c)}" for c in self.clauses}
        indexes = frozenset(self.indexes)
        return RegoModule(self.policy.id, span.path, package, text, entrypoints, indexes)


def _comment(text: str) -> str:
    """A one-line Rego comment: line breaks and control characters (a NUL stops
    regopy's parser) in policy text become spaces."""
    return "# " + _UNSAFE_IN_COMMENT.sub(" ", text)


def _free_vars(expr: object) -> set[str]:
    names = {node.name for node in walk(expr) if isinstance(node, ast.Var)}
    for node in walk(expr):
        if isinstance(node, ast.Quantified):
            names.add(node.var)  # harmless: only names also bound outside are passed
    return names


def compile_program(program: Program) -> list[RegoModule]:
    """One Rego module per policy, in the program's order."""
    modules = []
    counter = itertools.count(1)
    for policy in program.policies:
        clauses = [c for c in program.clauses if c.policy is policy]
        modules.append(_PolicyCompiler(program, policy, clauses, counter).module())
    return modules


def aggregate_module(modules: list[RegoModule]) -> str:
    """A module whose rule ``hits`` gathers every clause's hits in one query."""
    entries = [
        f"\t{json.dumps(key)}: {ref},"
        for module in modules
        for key, ref in module.entrypoints.items()
    ]
    return (
        f"package {ROOT_PACKAGE}\n\nimport rego.v1\n\nhits := {{\n" + "\n".join(entries) + "\n}\n"
    )
