"""Rego receives only the fields and regex facts clauses read of whole collections
and of the ledger (``engine.evaluate.projection``), and findings stay the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.dsl.checker import check_program
from engine.dsl.compile import compile_program
from engine.dsl.parser import parse
from engine.dsl.program import Program
from engine.evaluate.projection import Projection, main_fields, projections
from engine.evaluate.run import (
    InputModel,
    base_input,
    build_inputs,
    build_queries,
    evaluate,
)
from tests.support import reference_findings


def pos(path: str, line: int) -> dict[str, Any]:
    return {"path": path, "line": line, "column": 1, "end_line": line, "end_column": 9}


def step(line: int, job: str, run: str = "", **fields: Any) -> dict[str, Any]:
    return {
        **pos(".github/workflows/ci.yml", line),
        "workflow": ".github/workflows/ci.yml",
        "triggers": ["push", "pull_request"],
        "job": job,
        "index": 0,
        "id": "",
        "name": "",
        "uses": "",
        "run": run,
        "with": {},
        "env": {},
        "if": "",
        "continue_on_error": False,
        **fields,
    }


def job(line: int, ident: str, **fields: Any) -> dict[str, Any]:
    return {
        **pos(".github/workflows/ci.yml", line),
        "workflow": ".github/workflows/ci.yml",
        "triggers": ["push", "pull_request"],
        "id": ident,
        "name": ident.title(),
        "runs_on": ["ubuntu-latest"],
        "runs_on_group": "",
        "if": "",
        "continue_on_error": False,
        "uses": "",
        "steps": [step(line + 2, ident, "make")],
        **fields,
    }


STEPS = [
    step(4, "build", "bazel build --config=ci //..."),
    step(6, "build", "nix build", continue_on_error=True),
    step(12, "lint", "bazel test --config=pr //..."),
]
JOBS = [
    job(2, "build"),
    job(10, "lint", **{"if": "github.event_name == 'pull_request'"}),
]
WORKFLOW = {
    **pos(".github/workflows/ci.yml", 1),
    "kind": "workflow",
    "name": "CI",
    "triggers": ["push", "pull_request"],
    "branches": ["main"],
    "tags": [],
    "jobs": JOBS,
    "steps": [],
}
MODEL = InputModel(
    collections={"steps": STEPS, "jobs": JOBS, "workflows": [WORKFLOW]},
    ledger={
        **pos("proofs.yaml", 1),
        "present": True,
        "repo": "o/r",
        "baseline": "honey",
        "forges": {"gitlab": {**pos("proofs.yaml", 3), "name": "gitlab", "state": "retired"}},
        "runner_classes": {},
        "endpoints": {"attic": ["attic.example"]},
    },
)

# name: (generators and condition, message, at)
CLAUSES = {
    "quantifier": (
        "for st in steps where some j in jobs { j.id == st.job and j.if matches /pull_request/ }",
        "{st.job}",
        None,
    ),
    "second-generator": (
        'for st in steps, w in workflows where w.path == st.workflow and "push" in w.triggers',
        "{w.triggers}",
        None,
    ),
    "nested": (
        "for st in steps where some j in jobs { j.id == st.job "
        "and some w in workflows { w.path == j.workflow and count(w.tags) == 0 } }",
        "{st.line}",
        None,
    ),
    "every": (
        'for st in steps where every j in jobs { j.workflow == st.workflow and j.name != "" }',
        "{st.line}",
        None,
    ),
    "count-collection": ("for st in steps where count(jobs) > 1", "{st.line}", None),
    "index": ("for st in steps where jobs[0].id == st.job", "{st.line}", None),
    "regex-on-index": (
        "for st in steps where jobs[1].if matches /(?<event>pull_request)/",
        "{event}",
        None,
    ),
    "at-joined": ("for st in steps, j in jobs where j.id == st.job", "{j.id}", "j"),
    "at-unread": ('for st in steps, j in jobs where st.job == "lint"', "{st.line}", "j"),
    "whole-record-message": ("for st in steps, j in jobs where j.id == st.job", "{j}", None),
    "whole-record-compare": (
        "for st in steps, j in jobs, k in jobs where j == k and j.id == st.job",
        "{k.id}",
        None,
    ),
    "capture-in-join": (
        "for st in steps where st.run matches /--config=(?<cfg>[a-z]+)/ "
        'and some j in jobs { j.id == st.job and (cfg == "pr" or j.name matches /^B/) }',
        "{cfg}",
        None,
    ),
    "ledger": (
        'for st in steps where st.run contains "bazel" and ledger.repo == "o/r" '
        'and some h in ledger.endpoints.attic { h != "" }',
        "{ledger.repo}",
        None,
    ),
    "params": (
        'for st in steps where st.run != params.baseline and params.runner_class_rank["gpu"] == 1',
        "{params.baseline}",
        None,
    ),
    "ledger-nested-regex": (
        'for st in steps where ledger.forges["gitlab"].state matches /^ret/',
        "{st.line}",
        None,
    ),
    "main-nested-regex": (
        'for l in [ledger] where l.forges["gitlab"].state matches /^ret/',
        "{l.repo}",
        None,
    ),
}


def program_for(name: str) -> Program:
    generators, template, at = CLAUSES[name]
    suffix = f" at {at}" if at else ""
    source = (
        f'policy t-{name} {{ rationale "r" fix "f"\n'
        f'  deny {generators} message "{template}"{suffix} }}\n'
    )
    return check_program([parse(source, "t.policy")], {"t.policy": source})


def unprojected(program: Program) -> dict[str, Projection]:
    """What Rego received before projections: every field and every fact."""
    names = [*projections(program)]
    return {name: Projection(None, program.atoms_by_record()) for name in names}


@pytest.mark.parametrize("name", sorted(CLAUSES))
def test_projection_keeps_findings(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    program = program_for(name)
    modules = compile_program(program)
    projected = {b: evaluate(program, modules, MODEL, backend=b) for b in ("regopy", "regorus")}
    full_projections = unprojected(program)
    program.memo["projections"] = full_projections
    full = {b: evaluate(program, modules, MODEL, backend=b) for b in ("regopy", "regorus")}
    assert projected["regopy"] == projected["regorus"] == full["regopy"] == full["regorus"]
    if name != "whole-record-message":  # Rego prints the record with its facts
        assert set(projected["regopy"]) == reference_findings(program, MODEL)
    assert projected["regopy"]  # every case finds something


def fields(name: str) -> dict[str, frozenset[str] | None]:
    return {n: p.fields for n, p in projections(program_for(name)).items()}


def test_projections_name_the_fields_read() -> None:
    assert fields("quantifier")["jobs"] == {"id"}  # j.if is a regex subject: Python reads it
    assert fields("second-generator")["workflows"] == {"path", "triggers"}
    assert fields("nested") == {
        "jobs": {"id", "workflow"},
        "workflows": {"path", "tags"},
        "ledger": frozenset(),
        "params": frozenset(),  # the globals are always sent, with the fields read
    }
    assert fields("count-collection")["jobs"] == frozenset()
    assert fields("index")["jobs"] == {"id"}
    assert fields("at-joined")["jobs"] == {"id", "path", "line", "column", "end_line", "end_column"}
    assert fields("at-unread")["jobs"] == {"path", "line", "column", "end_line", "end_column"}
    assert fields("whole-record-message")["jobs"] is None
    assert fields("whole-record-compare")["jobs"] is None
    assert fields("ledger")["ledger"] == {"repo", "endpoints"}
    assert fields("ledger-nested-regex")["ledger"] == {"forges"}
    assert fields("params")["params"] == {"baseline", "runner_class_rank"}
    program = program_for("main-nested-regex")
    assert main_fields(program, program.clauses[0]) == {"forges"}


def test_unread_fields_and_facts_are_not_sent() -> None:
    program = program_for("quantifier")
    (document,) = build_inputs(program, {c.key: STEPS for c in program.clauses}, MODEL)
    jobs = document["collections"]["jobs"]
    assert [set(j) for j in jobs] == [{"id"}, {"id", "_m"}]  # no steps, runs_on, name ...
    (atom,) = program.atoms.values()
    assert jobs[1]["_m"] == {atom.key: True}
    assert document["ledger"] == {}  # no clause reads the ledger
    assert base_input(program, MODEL) == {k: v for k, v in document.items() if k != "candidates"}


def test_facts_only_for_regexes_applied_to_the_collection() -> None:
    source = (
        'policy t { rationale "r" fix "f"\n'
        "  deny for j in jobs where j.name matches /^B/ and j.if matches /x/ "
        'message "{j.id}"\n'
        "  deny for st in steps where some j in jobs { j.id == st.job and j.if matches /pull/ } "
        'message "{st.job}" }\n'
    )
    program = check_program([parse(source, "t.policy")], {"t.policy": source})
    projection = projections(program)["jobs"]
    assert [a.regex.source for a in projection.atoms["Job"]] == ["pull"]
    assert set(projection.atoms) == {"Job"}  # no nested record kept: no facts for them


def test_a_collection_named_only_in_the_message_reaches_rego(tmp_path: Path) -> None:
    """The candidates of a clause go with the collections it reads, its message included."""
    from engine.pack import load_policies
    from tests.support import run_check

    (tmp_path / "p.policy").write_text(
        'policy joined-placeholder {\n  severity error\n  rationale "r"\n  fix "f"\n\n'
        "  deny jobs-in-message\n    for s in sentences\n"
        '    where s.text matches /Codeberg|GitLab/\n    message "{jobs}"\n}\n'
    )
    drifting = Path(__file__).resolve().parents[2] / "fixtures" / "repos" / "gf-drifting"
    found = run_check(load_policies([tmp_path]), drifting, []).findings
    assert [f for f in found if f.rule == "joined-placeholder.jobs-in-message"]


def sentence(path: str, line: int, text: str) -> dict[str, Any]:
    return {**pos(path, line), "text": text, "block": "paragraph", "heading": ""}


def test_equal_candidates_are_decided_once_and_reported_at_each_record() -> None:
    """Records whose candidates (what Rego reads of them) are equal take one place in
    the query; each still gets its finding, at its own position, with its own message."""
    source = (
        'policy once { rationale "r" fix "f"\n'
        "  deny for s in sentences where s.text matches /(?P<forge>gitlab|gitea)/i "
        'message "{forge} named in {s.path}" }\n'
    )
    program = check_program([parse(source, "t.policy")], {"t.policy": source})
    records = [
        sentence("docs/a.md", 3, "GitLab runners work."),
        sentence("docs/b.md", 7, "GitLab runners work."),
        sentence("docs/b.md", 9, "Gitea runners work."),
    ]
    model = InputModel({"sentences": records}, {})
    (clause,) = program.clauses
    documents, members = build_queries(program, {clause.key: records}, model)
    assert len(documents[0]["candidates"][clause.key]) == 2  # two distinct candidates
    assert members == [{clause.key: [[0, 1], [2]]}]
    found = evaluate(program, compile_program(program), model)
    assert [(f.path, f.line, f.message) for f in found] == [
        ("docs/a.md", 3, "GitLab named in docs/a.md"),
        ("docs/b.md", 7, "GitLab named in docs/b.md"),
        ("docs/b.md", 9, "Gitea named in docs/b.md"),
    ]
    assert set(found) == reference_findings(program, model)
