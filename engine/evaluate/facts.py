"""Prepare records for Rego: drop private fields, attach regex facts.

Python runs every regex of the pack (time-bounded, Unicode-aware) on the fields it
applies to and stores the matches on the record as ``_m[atom key]`` (absent
when nothing matched). Rego then only decides which records violate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from ..core.model import RECORD_TYPES, Type
from ..core.rules import CHECK_TIMEOUT
from ..dsl.program import FACTS, Atom
from ..dsl.regex import MATCH_TIMEOUT, RegexTimeout
from ..extract.base import TIMEOUTS, Problem
from .memo import memo

T = TypeVar("T")


def field_value(record: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` (through maps), or None."""
    value = record
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def atom_matches(atom: Atom, record: Any) -> list[dict[str, Any]]:
    """The atom's matches on a record; a regex that runs too long stops the run.

    Results are kept on the record (private ``_re``), keyed by the regex and
    field, so the prefilter and the Rego input share one match per record.
    """
    value = field_value(record, atom.path)
    if not isinstance(value, str):
        return []
    kept = record.setdefault("_re", {})
    key = memo_keys(atom)[0]
    if key not in kept:
        kept[key] = _find(atom, record, atom.regex.finditer, value, key)
    found: list[dict[str, Any]] = kept[key]
    return found


def memo_keys(atom: Atom) -> tuple[str, str]:
    """The keys of an atom's results on a record (``_re``): its matches, and whether
    it matches; the same for every atom of one regex and field. Strings, made
    once per atom: their hash is kept, where a tuple's is worked out per lookup."""
    keys: tuple[str, str] = memo(atom, "_memo_keys", atom, lambda: _memo_keys(atom))
    return keys


def _memo_keys(atom: Atom) -> tuple[str, str]:
    key = repr((atom.regex.flags, atom.path, atom.regex.source))  # one string per triple
    return key, "?" + key


def finder(atom: Atom) -> Callable[[Any], bool]:
    """Whether the atom matches a record (False for what is not a record): for tests
    that need no match (no capture, nor span), a search that stops at the first
    match where finding them all scans the whole field. Made once per atom, its
    keys worked out for the many records it tests (the prefilter and
    :func:`to_rego` test the same atoms)."""
    test: Callable[[Any], bool] = memo(atom, "_finder", atom, lambda: _finder(atom))
    return test


def _finder(atom: Atom) -> Callable[[Any], bool]:
    if atom.iterated or atom.regex.groups:
        return lambda record: isinstance(record, dict) and bool(atom_matches(atom, record))
    path, search = atom.path, atom.regex.search
    key, found_key = memo_keys(atom)
    name = path[0] if len(path) == 1 else None

    def found(record: Any) -> bool:
        if not isinstance(record, dict):
            return False
        value = record.get(name) if name is not None else field_value(record, path)
        if not isinstance(value, str):
            return False
        kept = record.get("_re")
        if kept is None:
            kept = record["_re"] = {}
        elif key in kept:
            return bool(kept[key])
        hit = kept.get(found_key)
        if hit is None:
            hit = kept[found_key] = _find(atom, record, search, value, found_key)
        return bool(hit)

    return found


# Short values repeat across records (a sentence's path, front matter, a table's
# headers): their matches are kept per pattern and value, as well as per record.
_SHORT = 256
_SHARED_LIMIT = 200_000
_shared: dict[str, dict[str, Any]] = {}  # by memo key (memo_keys), then by value
_shared_size = 0
_MISSING = object()


def _find(atom: Atom, record: dict[str, Any], match: Callable[[str], T], value: str, key: str) -> T:
    """``match(value)``, a regex that runs too long named with the record it ran on;
    ``key``: what it finds (:func:`memo_keys`)."""
    global _shared_size
    if len(value) > _SHORT:
        return _run(atom, record, match, value)
    values = _shared.get(key)
    if values is None:
        values = _shared[key] = {}
    shared = values.get(value, _MISSING)
    if shared is not _MISSING:
        return shared  # type: ignore[no-any-return]
    timed_out = len(TIMEOUTS)
    found = _run(atom, record, match, value)
    if len(TIMEOUTS) == timed_out:  # a time-out is each record's own, and not kept
        if _shared_size >= _SHARED_LIMIT:
            forget_shared_matches()
            values = _shared[key] = {}
        values[value] = found
        _shared_size += 1
    return found


def forget_shared_matches() -> None:
    """Drop the matches shared across records (a run starts without those of another)."""
    global _shared_size
    _shared.clear()
    _shared_size = 0


def _run(atom: Atom, record: dict[str, Any], match: Callable[[str], T], value: str) -> T:
    """``match(value)``; a match that runs too long is recorded against the record
    (:data:`engine.extract.base.TIMEOUTS`) and counts as no match."""
    try:
        return match(value)
    except RegexTimeout as exc:
        where = atom.origin
        written = f"; the pattern is written at {where.path}:{where.line}:{where.column}"
        message = (
            f"regex {exc} ran longer than {MATCH_TIMEOUT} s on this "
            f"{'.'.join(atom.path)}, which is not judged by it{written if where.path else ''}"
        )
        problem = Problem(
            str(record.get("path", "")),
            int(record.get("line", 0) or 0),
            int(record.get("column", 0) or 0),
            message,
            CHECK_TIMEOUT.id,
        )
        TIMEOUTS.append(problem)
        empty: Any = None if match.__name__ == "search" else []
        return empty  # type: ignore[no-any-return]


def _fact(atom: Atom, match: dict[str, Any]) -> dict[str, Any]:
    fact: dict[str, Any] = {"start": match["start"], "end": match["end"]}
    if atom.regex.groups:
        fact["groups"] = match["groups"]
        if "raw" in match:  # the captures as written, for messages (lower-cased in groups)
            fact["raw"] = match["raw"]
    if atom.bind:
        fact["text"] = match["text"]
    return fact


def to_rego(
    value: Any, t: Type, atoms: dict[str, list[Atom]], keep: frozenset[str] | None = None
) -> Any:
    """A copy of ``value`` (of model type ``t``) as Rego should see it.

    ``keep`` limits a record's top-level fields to those a clause reads.
    """
    return converter(t, atoms, keep)(value)


def converter(
    t: Type, atoms: dict[str, list[Atom]], keep: frozenset[str] | None = None
) -> Callable[[Any], Any]:
    """:func:`to_rego` of values of type ``t``, for the many records of a collection:
    which fields are copied as they are and which regex tests make facts is
    worked out once, not per record."""
    if _plain(t):
        return _same
    if t.kind != "record" or t.record is None:
        assert t.of is not None
        item = converter(t.of, atoms)
        if t.kind == "list":
            return lambda value: [item(v) for v in value] if isinstance(value, list) else value
        return lambda value: (
            {k: item(v) for k, v in value.items()} if isinstance(value, dict) else value
        )
    fields = RECORD_TYPES[t.record].fields
    nested = {name: converter(f, atoms) for name, f in fields.items() if not _plain(f)}
    tests = [
        (atom.key, atom, None if atom.iterated else finder(atom))
        for atom in atoms.get(t.record, ())
    ]

    def convert(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name.startswith("_") or (keep is not None and name not in keep):
                continue
            out[name] = nested[name](item) if name in nested else item
        facts: dict[str, Any] = {}
        for key, atom, found in tests:
            if found is None:
                matches = atom_matches(atom, value)
                if matches:
                    facts[key] = [_fact(atom, m) for m in matches]
            elif found(value):
                facts[key] = True
        if facts:
            out[FACTS] = facts
        return out

    return convert


def _plain(t: Type) -> bool:
    """Whether Rego sees values of type ``t`` as they are (nothing in them to convert)."""
    if t.kind == "record":
        return t.record is None
    complex_items = t.of is not None and t.of.kind in ("record", "list", "map")
    return t.kind not in ("list", "map") or not complex_items


def _same(value: Any) -> Any:
    return value
