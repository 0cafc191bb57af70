"""Prepare records for Rego: drop private fields, attach regex facts.

Python runs every regex of the pack (RE2, linear time) on the fields it
applies to and stores the matches on the record as ``_m[atom key]`` (absent
when nothing matched). Rego then only decides which records violate.
"""

from __future__ import annotations

from typing import Any

from engine.dsl.check import Atom
from engine.model import RECORD_TYPES, Type

FACTS = "_m"


def field_value(record: Any, path: tuple[str, ...]) -> Any:
    """The value at ``path`` (through maps), or None."""
    value = record
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value


def atom_matches(atom: Atom, record: Any) -> list[dict[str, Any]]:
    value = field_value(record, atom.path)
    return atom.regex.finditer(value) if isinstance(value, str) else []


def to_rego(value: Any, t: Type, atoms: dict[str, list[Atom]]) -> Any:
    """A copy of ``value`` (of model type ``t``) as Rego should see it."""
    if t.kind == "record" and t.record is not None and isinstance(value, dict):
        fields = RECORD_TYPES[t.record].fields
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name.startswith("_"):
                continue
            out[name] = to_rego(item, fields[name], atoms) if name in fields else item
        facts = {}
        for atom in atoms.get(t.record, ()):
            found = atom_matches(atom, value)
            if found:
                facts[atom.key] = found
        if facts:
            out[FACTS] = facts
        return out
    if t.kind == "list" and t.of is not None and t.of.kind in ("record", "list", "map"):
        return [to_rego(item, t.of, atoms) for item in value] if isinstance(value, list) else value
    nested_map = t.kind == "map" and t.of is not None and t.of.kind in ("record", "list", "map")
    if nested_map and t.of is not None and isinstance(value, dict):
        return {k: to_rego(v, t.of, atoms) for k, v in value.items()}
    return value
