"""Joins compile to look-ups in an index Python builds (``input.index``), and
helpers that read no variable of their caller take the clause's candidates:
findings stay those of a scan (the reference evaluator, both Rego engines)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.dsl.checker import check_program
from engine.dsl.compile import compile_program
from engine.dsl.parser import parse
from engine.dsl.program import Program
from engine.evaluate.run import InputModel, base_input, evaluate
from tests.evaluate.test_projection import job, pos, step
from tests.support import reference_findings

# Join values that JSON escapes (regopy keeps strings in their escaped spelling),
# repeated values, an empty one, and records without the field at all.
ODD = ['say "hi"', "back\\slash", "tab\there", "naïve ✓", "", "build"]
STEPS = [step(10 + i, ident, f"make {i}") for i, ident in enumerate(ODD)]
STEPS += [step(40, "build", "bazel build --config=ci"), step(42, "orphan", "make")]
JOBS = [job(2 + 3 * i, ident) for i, ident in enumerate(ODD)]
JOBS += [job(30, "build", name="Second build"), {**job(33, "x"), "id": None}]
del JOBS[-1]["id"]
OTHER = ".github/workflows/other.yml"
WORKFLOWS = [
    {**pos(".github/workflows/ci.yml", 1), "kind": "workflow", "triggers": ["push"]},
    {**pos(OTHER, 1), "kind": "workflow", "triggers": ["pull_request"]},
]
STEPS.append({**step(3, "build", "make"), "path": OTHER, "workflow": OTHER})
MODEL = InputModel({"steps": STEPS, "jobs": JOBS, "workflows": WORKFLOWS}, {"repo": "o/r"})

# name: (clause, the (collection, field) pairs it should look up)
CLAUSES: dict[str, tuple[str, set[tuple[str, str]]]] = {
    "join-in-some": (
        'for st in steps where some j in jobs { j.id == st.job and j.name != "" } '
        'message "{st.job}"',
        {("jobs", "id")},
    ),
    "join-reversed": (
        'for st in steps where not some j in jobs { st.job == j.id } message "{st.job}"',
        {("jobs", "id")},
    ),
    "join-generator": (
        "for st in steps, w in workflows where w.path == st.workflow "
        'and "push" in w.triggers message "{w.path} {st.line}"',
        {("workflows", "path")},
    ),
    "join-through-two": (
        "for st in steps where some j in jobs { j.id == st.job and some w in workflows "
        '{ w.path == j.path and "push" in w.triggers } } message "{st.job}"',
        {("jobs", "id"), ("workflows", "path")},
    ),
    "join-on-capture": (
        "for st in steps where st.run matches /--config=(?<cfg>[a-z]+)/ "
        'and some j in jobs { j.id == "build" and j.name != cfg } message "{cfg}"',
        {("jobs", "id")},
    ),
    "join-before-constant": (
        'for st in steps where some j in jobs { j.name == "Second build" and j.id == st.job } '
        'message "{st.line}"',
        {("jobs", "id")},
    ),
    "independent-helper": (
        'for st in steps where not some j in jobs { j.id == "missing" } message "{st.line}"',
        {("jobs", "id")},
    ),
    "number-field-scans": (
        "for st in steps where some j in jobs { j.line == st.line } "
        'or st.job == "orphan" message "{st.line}"',
        set(),
    ),
    "inner-variable-scans": (
        "for st in steps where some j in jobs { some k in jobs { k.id == j.id "
        'and k.line != j.line } and j.id == st.job } message "{st.line}"',
        {("jobs", "id")},
    ),
}


def program_for(name: str) -> Program:
    source = f'policy t-{name} {{ rationale "r" fix "f"\n  deny {CLAUSES[name][0]} }}\n'
    return check_program([parse(source, "t.policy")], {"t.policy": source})


@pytest.mark.parametrize("name", sorted(CLAUSES))
def test_joins_find_what_a_scan_finds(name: str) -> None:
    program = program_for(name)
    (module,) = compile_program(program)
    assert module.indexes == CLAUSES[name][1]
    assert ("input.index." in module.text) == bool(module.indexes)
    found = {b: evaluate(program, [module], MODEL, backend=b) for b in ("regopy", "regorus")}
    assert found["regopy"] == found["regorus"]
    assert set(found["regopy"]) == reference_findings(program, MODEL)
    assert found["regopy"]  # every case finds something


def test_the_index_maps_string_values_to_positions() -> None:
    program = program_for("join-in-some")
    (module,) = compile_program(program)
    index: dict[str, Any] = base_input(program, MODEL, module.indexes)["index"]
    assert index == {
        "jobs": {"id": {ident: [i] for i, ident in enumerate(ODD[:-1])} | {"build": [5, 6]}}
    }


def test_a_helper_without_outer_variables_takes_the_candidates() -> None:
    (module,) = compile_program(program_for("independent-helper"))
    assert 'not pg_cond1(input.candidates["t-independent-helper/0"])' in module.text
    assert "pg_cond1(pg_c) if {" in module.text
