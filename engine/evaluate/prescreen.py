"""The prescreen: drop, without running a regex, the records a clause's regex cannot match.

A clause's positive regex tests on its main record (``s.text matches P`` in
the top-level ``and``, not under ``not``/``or``) are necessary conditions: a
record where one of them has no match cannot produce a hit. So is a
top-level ``or`` of such tests (``s.row matches A or s.row matches B``): a
record where none of them matches cannot produce one. Running every
such regex on every record is what made the prefilter slow, so before it the
prescreen decides "cannot match" for whole collections at once:

1. :func:`engine.dsl.literals.condition` reads a pattern and derives a
   condition on the literal strings (all of / any of) that every value where
   the pattern matches satisfies.
2. Hyperscan searches all the literals of a collection's clauses in one pass
   over the field values joined with newlines (one byte per character; see
   :class:`Search` and :data:`engine.dsl.literals.FOLDS_TO_ASCII` for non-ASCII text), and each
   match end is mapped back to its record; set algebra over the records of
   each literal evaluates the conditions.
   A ledger slot of a pattern (:mod:`engine.dsl.ledger_words`) is a
   condition of its own, "one of the slot's words occurs": the words are the
   run's, so they are searched per run in the same bytes, beside the
   literals' database (which the pack cache keeps).
3. A record is dropped only when a condition fails, so the result is a
   superset of the records where the regexes match: "no literal" implies "no
   match". ``tests/evaluate/test_prescreen.py`` checks that with hypothesis
   against the ``regex`` package, and that findings are unchanged.

Hyperscan is optional: without it (or below :data:`MIN_RECORDS` records,
where importing it and compiling would cost more than they save, unless the
databases come compiled from the pack cache: :func:`prepared`) every record
takes the exact path (:func:`engine.evaluate.prefilter.prefilter`), with the
same findings.
"""

from __future__ import annotations

import bisect
import copy
import functools
import itertools
import operator
from dataclasses import dataclass
from typing import Any

from ..dsl import ast
from ..dsl.ledger_words import EMPTY, TOKENS, LedgerWords, slot_of
from ..dsl.literals import (
    All,
    Formula,
    condition,
    expression,
    literals,
    searchable,
)
from ..dsl.program import CheckedClause, Program, conjuncts
from .facts import field_value
from .memo import Memo, memo

MIN_RECORDS = 1000  # smaller collections: importing and compiling would cost more

# --- screening collections --------------------------------------------------------------


@dataclass(frozen=True)
class Screen:
    """A necessary condition of a clause: the value at ``path`` of its main record
    satisfies ``condition`` (case-insensitively when ``caseless``)."""

    path: tuple[str, ...]
    caseless: bool
    condition: Formula


def clause_screens(program: Program, checked: CheckedClause) -> tuple[tuple[Screen, ...], ...]:
    """The clause's necessary conditions that yield screens: each of its positive regex
    tests on its main record (top-level conjuncts, each must match for the clause to
    hold), and each top-level ``or`` of such tests (one of them must match), as the
    screens one of which must hold."""
    out: list[tuple[Screen, ...]] = []
    for item in conjuncts(checked.clause.where):
        tests = item.items if isinstance(item, ast.Or) else (item,)
        screens = [_screen(program, checked, test) for test in tests]
        if all(screens):
            out.append(tuple(s for s in screens if s is not None))
    return tuple(out)


def _screen(program: Program, checked: CheckedClause, item: ast.Expr) -> Screen | None:
    """The screen of a regex test on the main record, if its pattern yields a condition."""
    if not isinstance(item, ast.Matches) or id(item) not in program.atoms:
        return None
    atom = program.atom(item)
    holder: ast.Expr = item.subject
    for _ in atom.path:
        if not isinstance(holder, ast.Field | ast.Index):
            break
        holder = holder.base
    if holder != ast.Var(checked.main_var):
        return None
    found = condition(atom.template or atom.regex.source, atom.regex.flags)
    return None if found is None else Screen(atom.path, "i" in atom.regex.flags, found)


def prescreened(
    program: Program, checked: CheckedClause, owner: object, records: list[Any]
) -> list[Any]:
    """``records`` (a collection of ``owner``, the input model, which keeps the
    search results for the other clauses) less those where a screen of the
    clause fails; in the same order."""
    if checked.main_collection is None:
        return records
    plan = _plan(program)
    if len(records) < MIN_RECORDS and not plan.ready:
        return records
    keep: set[int] | None = None
    for screens in plan.screens.get(checked.key, ()):
        maybe = plan.maybe_any(owner, checked.main_collection, records, screens)
        if maybe is not None:
            keep = maybe if keep is None else keep & maybe
    if keep is None:
        return records
    return [records[i] for i in sorted(keep)]


def _plan(program: Program) -> Plan:
    plan: Plan = memo(program, "_prescreen", program, lambda: Plan(program))
    return plan


def prepared(program: Program) -> Plan:
    """The program's plan with every database compiled, for the pack cache to keep
    (it pickles them as hyperscan's serialized databases); see :func:`adopt`."""
    plan = _plan(program)
    if _hyperscan() is not None:
        for key, screens in plan.fields.items():
            if key not in plan.databases:
                plan.databases[key] = Database.build(screens)
        plan.ready = True
    return plan


def adopt(program: Program, plan: Plan) -> None:
    """Screen ``program`` with a plan :func:`prepared` for an equal program (taken
    from the cache; ``program`` may be it bound to a ledger's words, which the
    plan then searches for its ledger slots). Its databases are ready, so even a
    few records are worth a search: a pre-commit run of one doc runs the regexes
    of the clauses whose literals occur in it, and compiles no others."""
    if plan.words != program.words:
        plan = copy.copy(plan)
        plan.words = program.words
    vars(program)["_prescreen"] = Memo(program, plan)


class Plan:
    """A program's screens, and one hyperscan database per collection and field
    with all their literals (compiled on first use, then kept; all of them when
    ``ready``)."""

    def __init__(self, program: Program) -> None:
        self.screens = {c.key: clause_screens(program, c) for c in program.clauses}
        self.fields: dict[tuple[str, tuple[str, ...]], list[Screen]] = {}
        for checked in program.clauses:
            for screen in itertools.chain.from_iterable(self.screens[checked.key]):
                group = self.fields.setdefault((checked.main_collection or "", screen.path), [])
                group.append(screen)
        self.databases: dict[tuple[str, tuple[str, ...]], Database | None] = {}
        self.ready = False
        self.words = program.words  # what the ledger slots of its conditions hold

    def maybe_any(
        self, owner: object, collection: str, records: list[Any], screens: tuple[Screen, ...]
    ) -> set[int] | None:
        """The indices of the records where one of the screens may hold (None: all)."""
        found: list[set[int]] = []
        for screen in screens:
            maybe = self.maybe(owner, collection, records, screen)
            if maybe is None:
                return None
            found.append(maybe)
        return found[0] if len(found) == 1 else set().union(*found)

    def maybe(
        self, owner: object, collection: str, records: list[Any], screen: Screen
    ) -> set[int] | None:
        """The indices of the records where the screen may hold (None: all of them)."""
        key = (collection, screen.path)
        if key not in self.databases:
            self.databases[key] = Database.build(self.fields.get(key, []))
        database = self.databases[key]
        if database is None:
            return None
        searches: dict[int, Search] = memo(owner, "_prescreen", self, dict)
        search = searches.get(id(database))
        if search is None or search.database is not database or search.stale(records):
            try:
                search = Search(database, records, screen.path, self.words)
            except _hyperscan().error:  # e.g. its scratch space busy in another thread
                return None
            searches[id(database)] = search
        return search.maybe(screen)


@dataclass
class Database:
    """Hyperscan's compiled search for a set of literals (ids index ``literals``);
    pickled as hyperscan's serialized form. ``slots``: the ledger slots the
    conditions also name (their words are searched per run, :class:`Search`)."""

    literals: list[tuple[str, bool]]  # (literal, caseless)
    compiled: Any
    slots: tuple[str, ...] = ()

    def __getstate__(self) -> dict[str, Any]:
        compiled = _hyperscan().dumpb(self.compiled)
        return {"literals": self.literals, "compiled": compiled, "slots": self.slots}

    def __setstate__(self, state: dict[str, Any]) -> None:
        hyperscan = _hyperscan()
        compiled = hyperscan.loadb(state["compiled"], hyperscan.HS_MODE_BLOCK)
        compiled.scratch = hyperscan.Scratch(compiled)
        self.literals, self.compiled = state["literals"], compiled
        self.slots = state.get("slots", ())

    @staticmethod
    def build(screens: list[Screen]) -> Database | None:
        """None without hyperscan (or literals): the screens then keep every record."""
        hyperscan = _hyperscan()
        found = {(lit, s.caseless) for s in screens for lit in literals(s.condition)}
        slots = tuple(sorted({name for lit, _ in found if (name := slot_of(lit)) is not None}))
        found = {(lit, caseless) for lit, caseless in found if slot_of(lit) is None}
        if hyperscan is None or not found:
            return None
        ordered = sorted(found)
        try:
            return Database(ordered, _compiled(hyperscan, ordered), slots)
        except hyperscan.error:
            return None


def _compiled(hyperscan: Any, ordered: list[tuple[str, bool]]) -> Any:
    """Hyperscan's database of the literals, ids their indices."""
    expressions = [expression(lit).encode() for lit, _ in ordered]
    flags = [hyperscan.HS_FLAG_CASELESS if caseless else 0 for _, caseless in ordered]
    compiled = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    compiled.compile(expressions=expressions, ids=list(range(len(ordered))), flags=flags)
    return compiled


@functools.cache
def _words_database(words: tuple[str, ...]) -> Any:
    """A database of a slot's words as the search reads them (caseless: a superset)."""
    return _compiled(_hyperscan(), [(searchable(word).lower(), True) for word in words])


class Search:
    """Where a database's literals occur in the values at ``path`` of records.

    The values are joined with newlines and searched in one pass, one byte per
    character: the characters of :data:`engine.dsl.literals.FOLDS_TO_ASCII` become their ASCII
    letter and every other non-ASCII character a ``?``, which no literal
    needs (literals are ASCII), so a literal occurs in the bytes wherever a
    pattern's match holds it in the value. Each match end is mapped to the value
    holding its last character; a literal found across a join only keeps a
    record it need not. A value that is not a string is not searched (its record
    is never kept): a regex test on it has no match either.
    """

    def __init__(
        self,
        database: Database,
        records: list[Any],
        path: tuple[str, ...],
        words: LedgerWords = EMPTY,
    ) -> None:
        self.database = database
        self.records = records
        self.size = len(records)
        values = _values(records, path)
        # Only the strings are searched (a field most records lack, such as a
        # table row, is quick): ``index[k]`` is the record of the k-th.
        strings = list(map(isinstance, values, itertools.repeat(str)))
        index: list[int] | None = None
        if not all(strings):
            index = list(itertools.compress(itertools.count(), strings))
            values = list(itertools.compress(values, strings))
        text = "\n".join(values)
        # ends[k]: where the value after the k-th starts (past the newline).
        ends = list(map(operator.add, itertools.accumulate(map(len, values)), itertools.count(1)))
        found: list[set[int]] = [set() for _ in database.literals]
        where = bisect.bisect_left

        def on_match(literal: int, start: int, end: int, flags: int, context: object) -> None:
            found[literal].add(where(ends, end))

        data = searchable(text).encode("ascii")
        if data:
            database.compiled.scan(data, match_event_handler=on_match)
        held = [_holding(data, ends, words.get(slot, ())) for slot in database.slots]
        if index is not None:
            found = [{index[k] for k in f} if f else f for f in found]
            held = [{index[k] for k in h} if h else h for h in held]
        self.found = dict(zip(database.literals, found, strict=True))
        for slot, records_held in zip(database.slots, held, strict=True):
            self.found[(TOKENS[slot], True)] = self.found[(TOKENS[slot], False)] = records_held
        self.cache: dict[Screen, set[int]] = {}

    def stale(self, records: list[Any]) -> bool:
        return records is not self.records or len(records) != self.size

    def maybe(self, screen: Screen) -> set[int]:
        """The indices of the records whose value satisfies the screen."""
        if screen not in self.cache:
            self.cache[screen] = self._positions(screen.condition, screen.caseless)
        return self.cache[screen]

    def _positions(self, formula: Formula, caseless: bool) -> set[int]:
        if isinstance(formula, str):
            return self.found.get((formula, caseless), set())
        parts = sorted((self._positions(p, caseless) for p in formula.parts), key=len)
        if isinstance(formula, All):
            return parts[0].intersection(*parts[1:])
        return set().union(*parts)


def _holding(data: bytes, ends: list[int], words: tuple[str, ...]) -> set[int]:
    """The values (their indices, ``ends`` as in :class:`Search`) of the searched
    ``data`` that hold one of a ledger slot's ``words`` (none without words)."""
    held: set[int] = set()
    where = bisect.bisect_left

    def on_match(word: int, start: int, end: int, flags: int, context: object) -> None:
        held.add(where(ends, end))

    if words and data:
        _words_database(words).scan(data, match_event_handler=on_match)
    return held


def _values(records: list[Any], path: tuple[str, ...]) -> list[Any]:
    if len(path) == 1:
        try:
            return list(map(dict.get, records, itertools.repeat(path[0])))
        except TypeError:  # a record that is not a map
            pass
    return [field_value(record, path) for record in records]


_HYPERSCAN: list[Any] = []


def _hyperscan() -> Any:
    """The hyperscan module, or None where it is not installed (imported once, lazily)."""
    if not _HYPERSCAN:
        try:
            import hyperscan
        except ImportError:
            _HYPERSCAN.append(None)
        else:
            _HYPERSCAN.append(hyperscan)
    return _HYPERSCAN[0]
