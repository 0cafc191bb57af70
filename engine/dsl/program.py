"""A checked policy program: what the semantic pass (:mod:`engine.dsl.checker`)
hands to the compiler and the evaluators.

Each clause with its types, rule id, placeholders and anchor; each regex test
as an :class:`Atom` Python evaluates; and the analyses every stage shares
(which collections the program reads, which it needs whole).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.model import COLLECTIONS, Type
from . import ast
from .ledger_words import LedgerWords, substitute
from .regex import CompiledRegex

FACTS = "_m"  # the record field where Rego finds the regex matches Python computed
RAW = "#raw"  # a hit value's key suffix: a capture as written (engine.dsl.regex)
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@dataclass(frozen=True)
class Atom:
    """A regex test Python evaluates; Rego reads its matches as facts.

    Facts live on records of type ``record`` under ``_m[key]``, for the
    value at ``path`` (a field path through maps, from that record). Rego
    iterates the matches (a list of ``{start, end, groups, text}``) only when
    the test binds captures (``bind``: named groups or ``as``) or anchors the
    finding; otherwise the fact is just ``true``. ``origin`` is where the
    pattern is written (for errors, such as a match that runs too long).
    A pattern with ledger slots (:mod:`engine.dsl.ledger_words`) keeps its
    source with them as ``template``; ``regex`` is it with the slots empty
    until :meth:`bound`.
    """

    key: str
    record: str
    path: tuple[str, ...]
    regex: CompiledRegex
    bind: bool = False
    anchor: bool = False
    origin: ast.Span = ast.NO_SPAN
    template: str = ""

    @property
    def iterated(self) -> bool:
        return self.bind or self.anchor

    def bound(self, words: LedgerWords) -> Atom:
        """The atom with its ledger slots filled with ``words`` (itself without slots),
        compiled on first use. The words, escaped, add no group and cannot make
        the pattern invalid; nor does their length count against the limit on
        what a policy writes (:data:`engine.dsl.regex.MAX_PATTERN_LENGTH`)."""
        if not self.template:
            return self
        source = substitute(self.template, words)
        return dataclasses.replace(
            self, regex=CompiledRegex(source, self.regex.flags, self.regex.groups)
        )


@dataclass
class CheckedClause:
    policy: ast.Policy
    clause: ast.Clause
    index: int
    key: str  # unique per clause: "<policy id>/<index>"
    rule: str
    severity: str
    fix: str
    main_var: str
    main_collection: str | None  # set when the first generator ranges over a collection
    var_types: dict[str, Type]
    placeholders: tuple[tuple[str, ast.Expr], ...]
    at: str
    anchor: ast.Matches | None  # first top-level regex test on the located variable

    def from_record(self, expr: ast.Expr) -> bool:
        """True for a placeholder Python renders from the main record itself."""
        while isinstance(expr, ast.Field):
            expr = expr.base
        return _is_var(expr, self.main_var)

    @property
    def reports_at_candidate(self) -> bool:
        """Whether every finding lies in the file of the candidate it came from: it is
        located at the main record, or at a record nested in it (``at label`` for
        ``label in j.runs_on_labels``)."""
        inside = {self.main_var}
        for generator in self.clause.generators[1:]:
            root: ast.Expr = generator.source
            while isinstance(root, ast.Field | ast.Index):
                root = root.base
            if isinstance(root, ast.Var) and root.name in inside:
                inside.add(generator.var)
        return self.at in inside

    def rego_placeholders(self) -> tuple[tuple[str, ast.Expr], ...]:
        """The placeholders whose values Rego must return (captures, joined records)."""
        return tuple((t, e) for t, e in self.placeholders if not self.from_record(e))

    def rego_roots(self) -> list[ast.Expr]:
        """The expressions of the clause that Rego evaluates (the first generator's
        source is evaluated by Python: its records arrive as candidates)."""
        roots = [generator.source for generator in self.clause.generators[1:]]
        if self.clause.where is not None:
            roots.append(self.clause.where)
        roots.extend(expr for _, expr in self.rego_placeholders())
        return roots + self.edit_roots()

    def edit_roots(self) -> list[ast.Expr]:
        """The expressions of the clause's edits (Rego returns the spans they apply to)."""
        return edit_roots(self.clause)


def _is_var(node: object, name: str) -> bool:
    return isinstance(node, ast.Var) and node.name == name


@dataclass
class Program:
    policies: list[ast.Policy]
    clauses: list[CheckedClause]
    patterns: dict[str, ast.Regex]
    atoms: dict[int, Atom] = field(default_factory=dict)  # keyed by id() of the Matches node
    modules: list[ast.Module] = field(default_factory=list)
    words: LedgerWords = field(default_factory=dict)  # what its ledger slots hold (Atom.bound)
    # Analyses other layers make of the program, worked out once (never pickled):
    # engine.evaluate.projection keeps what Rego reads here.
    memo: dict[object, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def atom(self, node: ast.Matches) -> Atom:
        return self.atoms[id(node)]

    def __getstate__(self) -> dict[str, object]:
        """Pickled with each atom beside its node: ``id()`` keys do not survive pickling."""
        state = dict(self.__dict__)
        nodes = {id(n): n for c in self.clauses for n in walk_clause(c.clause)}
        state["atoms"] = [(nodes[k], atom) for k, atom in self.atoms.items()]
        state["memo"] = {}
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state["atoms"] = {id(node): atom for node, atom in state["atoms"]}
        state["memo"] = {}
        self.__dict__.update(state)

    def bound(self, words: LedgerWords) -> Program:
        """The program with the ledger slots of its patterns holding ``words`` (a run's
        ledger's, :func:`engine.dsl.ledger_words.words`); itself when none of its
        patterns has a slot. Made once per set of words and kept, with what it
        works out, while this program lives (a language server's runs)."""
        if dict(words) == dict(self.words) or not any(a.template for a in self.atoms.values()):
            return self
        memo_key = ("bound", tuple(sorted(words.items())))
        if memo_key not in self.memo:
            atoms = {k: atom.bound(words) for k, atom in self.atoms.items()}
            self.memo[memo_key] = dataclasses.replace(self, atoms=atoms, words=dict(words))
        program: Program = self.memo[memo_key]
        return program

    def compile_regexes(self) -> None:
        """Compile every regex of the program now, where each compiles on first use:
        before fork()ed workers start, so that each does not compile them again."""
        for atom in self.atoms.values():
            atom.regex.program  # noqa: B018 -- compiles it

    def atoms_by_record(self, clause: CheckedClause | None = None) -> dict[str, list[Atom]]:
        """The regex atoms by the record type they apply to: all of them, or one
        clause's (worked out once per clause; the answer is not to be changed)."""
        if clause is None:
            return _grouped(list(self.atoms.values()))
        memo_key = ("atoms_by_record", clause.key)
        if memo_key not in self.memo:
            nodes = walk_clause(clause.clause)
            atoms = [self.atoms[id(n)] for n in nodes if isinstance(n, ast.Matches)]
            self.memo[memo_key] = _grouped(atoms)
        grouped: dict[str, list[Atom]] = self.memo[memo_key]
        return grouped

    def collections_used(self) -> set[str]:
        """Every collection any clause names (these are the ones to extract)."""
        if "collections_used" not in self.memo:
            self.memo["collections_used"] = {
                node.name
                for clause in self.clauses
                for node in walk_clause(clause.clause)
                if isinstance(node, ast.Var) and node.name in COLLECTIONS
            }
        return set(self.memo["collections_used"])

    def whole_collections(self) -> set[str]:
        """Collections needed in full by Rego (named anywhere but a first generator)."""
        if "whole_collections" not in self.memo:
            self.memo["whole_collections"] = {
                node.name
                for clause in self.clauses
                for node in walk_clause(clause.clause)
                if isinstance(node, ast.Var)
                and node.name in COLLECTIONS
                and node is not clause.clause.generators[0].source
            }
        return set(self.memo["whole_collections"])


def children(node: object) -> list[object]:
    if isinstance(node, ast.ListExpr | ast.And | ast.Or):
        return list(node.items)
    if isinstance(node, ast.Field):
        return [node.base]
    if isinstance(node, ast.Index):
        return [node.base, node.key]
    if isinstance(node, ast.Call):
        return list(node.args)
    if isinstance(node, ast.Compare | ast.StrTest):
        return [node.left, node.right]
    if isinstance(node, ast.Member):
        return [node.item, node.container]
    if isinstance(node, ast.Matches):
        return [node.subject]
    if isinstance(node, ast.Not):
        return [node.item]
    if isinstance(node, ast.Quantified):
        return [node.source, node.body]
    return []


def walk(node: object) -> list[object]:
    """Every expression node under ``node`` (itself included), depth first."""
    out = [node]
    for child in children(node):
        out.extend(walk(child))
    return out


def walk_clause(clause: ast.Clause) -> list[object]:
    nodes: list[object] = []
    for generator in clause.generators:
        nodes.extend(walk(generator.source))
    if clause.where is not None:
        nodes.extend(walk(clause.where))
    for root in edit_roots(clause):
        nodes.extend(walk(root))
    return nodes


def edit_roots(clause: ast.Clause) -> list[ast.Expr]:
    """Each edit's target and ``when`` condition."""
    roots: list[ast.Expr] = []
    for edit in clause.edits:
        roots.append(edit.target)
        if edit.when is not None:
            roots.append(edit.when)
    return roots


def conjuncts(expr: ast.Expr | None) -> tuple[ast.Expr, ...]:
    if expr is None:
        return ()
    return expr.items if isinstance(expr, ast.And) else (expr,)


def placeholders(template: str) -> list[str]:
    """The ``{...}`` placeholders of a message template (``{{``/``}}`` escape braces)."""
    return PLACEHOLDER.findall(template.replace("{{", "").replace("}}", ""))


def _grouped(atoms: list[Atom]) -> dict[str, list[Atom]]:
    """Regex atoms by the record type they apply to."""
    grouped: dict[str, list[Atom]] = {}
    for atom in atoms:
        grouped.setdefault(atom.record, []).append(atom)
    return grouped
