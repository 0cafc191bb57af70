"""Every construct compiles to Rego that regopy and regorus both run, and both
agree with the Python reference evaluator (a differential test of the compiler)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.dsl.checker import check_program
from engine.dsl.compile import compile_program
from engine.dsl.parser import parse
from engine.evaluate.run import InputModel, evaluate
from tests.support import reference_findings


def pos(path: str, line: int) -> dict[str, Any]:
    return {"path": path, "line": line, "column": 1, "end_line": line, "end_column": 9}


def sentence(line: int, text: str) -> dict[str, Any]:
    return {
        **pos("README.md", line),
        "text": text,
        "block": "paragraph",
        "heading": "",
        "headings": [],
        "table_header": "",
        "in_blockquote": False,
    }


def step(line: int, **fields: Any) -> dict[str, Any]:
    base = {"uses": "", "run": "", "if": "", "continue_on_error": False, "with": {}, "index": 0}
    return {**pos(".github/workflows/ci.yml", line), **base, **fields}


MODEL = InputModel(
    collections={
        "sentences": [
            sentence(1, 'We support GitLab and Forgejo "today" \\ é.'),
            sentence(2, "GitLab support was retired."),
            sentence(3, "Runners pull their toolchain from FlakeHub at boot."),
            sentence(4, "Ünïcödé GITLAB mention, no claim."),
        ],
        "jobs": [
            {
                **pos(".github/workflows/ci.yml", 5),
                "id": "build",
                "runs_on": ["self-hosted", "gpu"],
                "triggers": ["push"],
                "if": "",
                "steps": [
                    step(7, uses="DeterminateSystems/flakehub-push@main"),
                    step(
                        9,
                        run="nix build --max-jobs 0",
                        continue_on_error=True,
                        **{"with": {"flakehub": "true"}},
                    ),
                ],
            },
            {
                **pos(".github/workflows/ci.yml", 20),
                "id": "lint",
                "runs_on": ["ubuntu-latest"],
                "triggers": ["pull_request"],
                "if": "",
                "steps": [],
            },
        ],
        "runner_classes": [
            {
                **pos("proofs.yaml", 2),
                "name": "kvm",
                "index": 0,
                "state": "experimental",
                "labels": ["kvm"],
                "proofs": [],
            },
            {
                **pos("proofs.yaml", 8),
                "name": "gpu",
                "index": 1,
                "state": "proved",
                "labels": ["gpu", "cuda"],
                "proofs": [
                    {
                        **pos("proofs.yaml", 9),
                        "surface": "x",
                        "evidence": "a",
                        "evidence_kind": "path",
                        "evidence_exists": False,
                        "verified": "2026-01-01",
                        "age_days": 329,
                    }
                ],
            },
        ],
    },
    ledger={
        **pos("proofs.yaml", 1),
        "present": True,
        "repo": "o/r",
        "forges": {
            "gitlab": {"name": "gitlab", "state": "retired"},
            "forgejo": {"name": "forgejo", "state": "proved"},
        },
    },
)

CONDITIONS = {
    "compare": ('for s in sentences where s.line >= 2 and s.text != "x"', "{s.line}"),
    "member": ('for j in jobs, l in j.runs_on where l in ["gpu", "kvm"]', "{j.id} {l}"),
    "not-member": ('for j in jobs where "gpu" not in j.runs_on', "{j.id}"),
    "strtests": (
        'for s in sentences where s.text startswith "We" and s.text endswith "é." '
        'and s.text contains "\\"today\\""',
        "{s.text}",
    ),
    "regex-captures": (
        "for s in sentences where s.text matches /(?<forge>gitlab|forgejo)/i as phrase "
        'and not ledger.forges[forge].state == "proved"',
        "{forge}/{phrase}",
    ),
    "regex-unicode": ("for s in sentences where s.text matches /^Ü.*gitlab/i", "{s.text}"),
    "or-not": (
        "for s in sentences where (s.text matches /retired/ or s.text matches /boot/) "
        "and not (s.line == 3 and s.text matches /xyz/)",
        "{s.line}",
    ),
    "some": (
        'for j in jobs where some st in j.steps { st.uses startswith "DeterminateSystems/" }',
        "{j.id}",
    ),
    "every": ("for j in jobs where every st in j.steps { st.continue_on_error }", "{j.id}"),
    "nested-regex-in-quantifier": (
        "for j in jobs where some st in j.steps { st.run matches /--max-jobs\\s+0/ }",
        "{j.id}",
    ),
    "map-field": (
        'for j in jobs where some st in j.steps { st.with.flakehub == "true" }',
        "{j.id}",
    ),
    "join-and-count": (
        "for c in runner_classes, prev in runner_classes where prev.index < c.index "
        'and c.state == "proved" and prev.state != "proved" and count(c.proofs) > 0',
        "{c.name} {prev.name}",
    ),
    "ledger-list": (
        'for l in [ledger] where l.present and l.repo == "o/r"',
        "{l.repo}",
    ),
    # regopy 1.5.2 took `every` for true when a `not` in its body failed inline
    "not-inside-every": (
        'for c in runner_classes where not every q in runner_classes { "gpu" not in q.labels }',
        "{c.name}",
    ),
    "negated-every": (
        "for c in runner_classes where not every p in c.proofs { p.age_days < 180 }",
        "{c.name}",
    ),
    "capture-in-body": (
        "for j in jobs where some st in j.steps { st.uses matches /^(?<owner>[A-Za-z]+)\\// "
        'and owner == "DeterminateSystems" } '
        'and not (j.id matches /^(?<first>.)/ and first == "x")',
        "{j.id}",
    ),
    "at-other-var": (
        'for j in jobs, st in j.steps where st.uses contains "flakehub"',
        "{st.uses}",
        "st",
    ),
}


def program_for(name: str) -> Any:
    generators, template, *at = CONDITIONS[name]
    suffix = f" at {at[0]}" if at else ""
    source = (
        f'policy t-{name} {{ rationale "r" fix "f"\n'
        f'  deny {generators} message "{template}"{suffix} }}\n'
    )
    program = check_program([parse(source, "t.policy")], {"t.policy": source})
    return program, compile_program(program)


@pytest.mark.parametrize("name", sorted(CONDITIONS))
def test_backends_agree_with_reference(name: str) -> None:
    program, modules = program_for(name)
    assert "import rego.v1" in modules[0].text
    found = {b: evaluate(program, modules, MODEL, backend=b) for b in ("regopy", "regorus")}
    assert found["regopy"] == found["regorus"]
    unfiltered = evaluate(program, modules, MODEL, prefilter=False)
    assert unfiltered == found["regopy"]
    assert set(found["regopy"]) == reference_findings(program, MODEL)
    assert found["regopy"]  # every case exercises at least one finding


def test_expected_findings() -> None:
    program, modules = program_for("regex-captures")
    findings = evaluate(program, modules, MODEL)
    # Captures key the ledger lower-cased, and messages quote them as written.
    assert [(f.line, f.column, f.message) for f in findings] == [
        (1, 1, "GitLab/GitLab"),
        (2, 1, "GitLab/GitLab"),
        (4, 1, "GITLAB/GITLAB"),
    ]
    program, modules = program_for("at-other-var")
    (finding,) = evaluate(program, modules, MODEL)
    assert (finding.path, finding.line) == (".github/workflows/ci.yml", 7)


def test_generated_rego_is_readable() -> None:
    _, modules = program_for("or-not")
    text = modules[0].text
    assert text.startswith("# Generated by proofgate from t.policy:1: policy t-or-not")
    assert "package proofgate.policies.t_or_not" in text
    assert "# t-or-not (error) — t.policy:2" in text
    assert "pg_cond" in text  # `or` became a helper function


def test_helper_names_are_unique_across_policies() -> None:
    """regopy 1.5.2 aborts when two packages define one function name with different arity."""
    source = (
        'policy one { rationale "r" fix "f"\n'
        '  deny for s in sentences where (s.line == 1 or s.line == 2) message "m" }\n'
        'policy two { rationale "r" fix "f"\n'
        "  deny for c in runner_classes, prev in runner_classes\n"
        '    where (c.index < prev.index or prev.name == "x") message "m" }\n'
    )
    program = check_program([parse(source, "u.policy")])
    modules = compile_program(program)
    assert "pg_cond1(s)" in modules[0].text and "pg_cond2(c, prev)" in modules[1].text
    found = evaluate(program, modules, MODEL)
    assert {f.rule for f in found} == {"one", "two"}


def test_fix_hints_take_placeholders_too() -> None:
    source = (
        'policy p { rationale "r" fix "Prove {c.name} first."\n'
        "  deny for c in runner_classes, prev in runner_classes\n"
        '    where prev.index < c.index message "m" fix "Prove {prev.name} before {c.name}." }\n'
    )
    program = check_program([parse(source, "f.policy")])
    (finding,) = evaluate(program, compile_program(program), MODEL)
    assert finding.fix == "Prove kvm before gpu."


def _evaluated(source: str, model: InputModel) -> list[Any]:
    program = check_program([parse(source, "t.policy")], {"t.policy": source})
    return evaluate(program, compile_program(program), model)


def test_regex_results_of_one_record_stay_apart() -> None:
    """Two tests whose field paths and patterns read alike once joined (a map key
    holding a colon or a dot) keep their own results on the record."""
    source = (
        'policy t { rationale "r" fix "f"\n'
        '  deny one for st in steps where st.with["x:y"] matches /z/ message "one"\n'
        '  deny two for st in steps where st.with.x matches /y:z/ message "two"\n'
        '  deny three for s in sentences where s.front_matter["a.b"] matches /q/ message "three"\n'
        '  deny four for s in sentences where s.front_matter.a.b matches /q/ message "four" }\n'
    )
    front_matter = {"a.b": "q", "a": {"b": "stable"}}
    model = InputModel(
        collections={
            "steps": [step(3, **{"with": {"x:y": "zzz", "x": "nothing"}})],
            "sentences": [{**sentence(1, "Intro."), "front_matter": front_matter}],
        },
        ledger={},
    )
    assert sorted(f.message for f in _evaluated(source, model)) == ["one", "three"]


def test_a_record_in_a_message_shows_no_private_field() -> None:
    """The fields the engine keeps on a record (its source map, regex results, the
    run's marks) are not the user's: a message naming the record leaves them out."""
    source = (
        'policy t { rationale "r" fix "f"\n'
        '  deny whole for s in sentences where s.text matches /GitLab/ message "{s}" }\n'
    )
    record = {**sentence(2, "GitLab support was retired."), "_map": [[0, 2, 1]]}
    (finding,) = _evaluated(source, InputModel(collections={"sentences": [record]}, ledger={}))
    assert '"_' not in finding.message
    assert '"text": "GitLab support was retired."' in finding.message
