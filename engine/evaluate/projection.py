"""What Rego reads of the input: the fields and regex facts of each record.

Rego only receives what a clause reads (the input is what regopy spends most
of its time on, ``bench/chunking.py``): of a clause's main record the fields
it reads (:func:`main_fields`), of each whole collection and of the ledger the
fields read through the variables ranging over it (:func:`projections`). A
regex subject is read by Python, not Rego: Rego sees only the facts of its
holder record. Worked out once per program (kept in ``Program.memo``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..core.model import COLLECTIONS, GLOBALS, POSITION, RECORD_TYPES, Type, rec
from ..dsl import ast
from ..dsl.program import Atom, CheckedClause, Program, children, walk


@dataclass(frozen=True)
class Projection:
    """What Rego reads of the records of a whole collection (or of the ledger).

    ``fields``: the top-level fields of each record (None: all of them);
    ``atoms``: the regex facts to attach, by record type (for the records
    themselves and for records nested in the fields kept).
    """

    fields: frozenset[str] | None
    atoms: dict[str, list[Atom]]


@dataclass
class RegoView:
    """A clause as Rego sees it: its nodes, each node's parent, the nodes of
    regex subjects that only Python reads, each regex test's holder (the
    record whose ``_m`` facts Rego reads) and the variables Rego reads."""

    nodes: list[object]
    parents: dict[int, object]
    by_python: set[int]
    holders: dict[int, object]  # id() of a Matches node -> its holder node
    names: dict[str, list[object]]  # variable name -> the Var nodes Rego reads

    def uses(self, name: str, within: object = None) -> list[object]:
        """The Rego-read occurrences of a variable (under node ``within``, else anywhere)."""
        found = self.names.get(name, [])
        if within is None:
            return found
        inside = {id(n) for n in walk(within)}
        return [n for n in found if id(n) in inside]


def _fields_read(view: RegoView, uses: list[object]) -> frozenset[str] | None:
    """The top-level fields Rego reads of the records at ``uses`` (None: unclear, all)."""
    fields: set[str] = set()
    for node in uses:
        parent = view.parents.get(id(node))
        if parent is None:
            return None  # a whole record as a message value
        if id(parent) in view.by_python:
            continue  # the holder of a regex test: Rego reads its facts only
        if isinstance(parent, ast.Field) and parent.base is node:
            fields.add(parent.name)
        elif (
            isinstance(parent, ast.Index)
            and parent.base is node
            and isinstance(parent.key, ast.Literal)
        ):
            fields.add(str(parent.key.value))
        else:
            return None  # compared, listed, tested for membership ...
    return frozenset(fields)


def _record_types(t: Type, out: set[str]) -> set[str]:
    """The record types in ``t``, nested ones included."""
    if t.kind == "record" and t.record is not None:
        if t.record not in out:
            out.add(t.record)
            for inner in RECORD_TYPES[t.record].fields.values():
                _record_types(inner, out)
    elif t.of is not None:
        _record_types(t.of, out)
    return out


def rego_view(program: Program, checked: CheckedClause) -> RegoView:
    """The clause as Rego sees it (see :class:`RegoView`)."""
    parents: dict[int, object] = {}
    nodes: list[object] = []
    for root in checked.rego_roots():
        for node in walk(root):
            nodes.append(node)
            for child in children(node):
                parents[id(child)] = node
    by_python: set[int] = set()
    holders: dict[int, object] = {}
    for node in nodes:
        if isinstance(node, ast.Matches) and id(node) in program.atoms:
            # Python reads the subject's field path below the holder record.
            holder: object = node.subject
            for _ in program.atoms[id(node)].path:
                by_python.add(id(holder))
                assert isinstance(holder, ast.Field | ast.Index)
                holder = holder.base
            holders[id(node)] = holder
    names: dict[str, list[object]] = {}
    for node in nodes:
        if isinstance(node, ast.Var) and id(node) not in by_python:
            names.setdefault(node.name, []).append(node)
    return RegoView(nodes, parents, by_python, holders, names)


def main_fields(program: Program, checked: CheckedClause) -> frozenset[str] | None:
    """The fields of a clause's main record that Rego reads (None: all of them).

    Rego only receives these (plus regex facts): the input is what regopy
    spends most of its time on (``bench/chunking.py``). A regex subject is
    read by Python, not Rego: Rego sees only the facts of its holder record.
    """
    memo = ("main_fields", checked.key)
    if memo not in program.memo:
        view = rego_view(program, checked)
        program.memo[memo] = _fields_read(view, view.uses(checked.main_var))
    found: frozenset[str] | None = program.memo[memo]
    return found


def projections(program: Program) -> dict[str, Projection]:
    """What Rego reads of the records of each whole collection and of the ledger.

    Records of a whole collection are read through the variables that
    range over it (later generators, ``some``/``every``) and through
    ``collection[i]``; the ledger through its name. Any use that is not a
    field read (a record compared, listed or printed whole) keeps every
    field and every fact, as does ``at`` for the position fields.
    """
    if "projections" not in program.memo:
        program.memo["projections"] = _projections(program)
    found: dict[str, Projection] = program.memo["projections"]
    return found


def _projections(program: Program) -> dict[str, Projection]:
    found: dict[str, list[tuple[RegoView, list[object]]]] = {}
    unclear: set[str] = set()
    positions: set[str] = set()
    named = {*program.whole_collections(), *GLOBALS}
    for checked in program.clauses:
        view = rego_view(program, checked)
        for name in GLOBALS:
            for node in view.uses(name):
                found.setdefault(name, []).append((view, [node]))
        for node in view.nodes:
            if not isinstance(node, ast.Var) or node.name not in COLLECTIONS:
                continue
            named.add(node.name)  # also a collection printed whole ({jobs})
            uses = _element_uses(checked, view, node)
            if uses is None:
                unclear.add(node.name)
                continue
            found.setdefault(node.name, []).append((view, uses))
            generators = checked.clause.generators[1:]
            if any(g.source is node and g.var == checked.at for g in generators):
                positions.add(node.name)  # the hit returns the 'at' record's position
    out: dict[str, Projection] = {}
    everything = program.atoms_by_record()
    for name in sorted(named):
        t = GLOBALS[name] if name in GLOBALS else rec(COLLECTIONS[name].record)
        assert t.record is not None
        fields: set[str] | None = set(POSITION) if name in positions else set()
        for view, uses in found.get(name, []):
            read = _fields_read(view, uses)
            fields = None if read is None or fields is None else fields | read
        if fields is None or name in unclear:
            out[name] = Projection(None, everything)
            continue
        atoms: dict[str, Atom] = {}
        for view, uses in found.get(name, []):
            ids = {id(u) for u in uses}
            for matches, holder in view.holders.items():
                if id(holder) in ids:
                    atom = program.atoms[matches]
                    atoms[atom.key] = atom
        # Records nested in the fields kept carry every fact of their type.
        nested: set[str] = set()
        for field_name in fields:
            field_type = RECORD_TYPES[t.record].fields.get(field_name)
            if field_type is not None:
                _record_types(field_type, nested)
        grouped: dict[str, list[Atom]] = {}
        for atom in atoms.values():
            grouped.setdefault(atom.record, []).append(atom)
        for record_type in nested:
            grouped[record_type] = everything.get(record_type, [])
        out[name] = Projection(frozenset(fields), grouped)
    return out


def _element_uses(checked: CheckedClause, view: RegoView, node: ast.Var) -> list[object] | None:
    """The nodes standing for records of the collection ``node`` names (None: unclear)."""
    for generator in checked.clause.generators[1:]:
        if generator.source is node:
            return view.uses(generator.var)
    parent = view.parents.get(id(node))
    if isinstance(parent, ast.Quantified) and parent.source is node:
        return view.uses(parent.var, parent.body)
    if isinstance(parent, ast.Call) and parent.func == "count":
        return []  # the number of records, not their fields
    if isinstance(parent, ast.Index) and parent.base is node:
        return [parent]
    return None
