"""The GitHub Actions extractor: workflows, jobs and steps with their positions."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.extract import yamlsrc
from engine.extract.base import Extraction, Record, SourceFile
from engine.extract.workflow import extract

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "extract" / "workflows"


def _fixture(name: str, kind: str = "workflow") -> Extraction:
    path = "action.yml" if kind == "action" else f".github/workflows/{name}"
    return extract(SourceFile(path, (FIXTURES / name).read_text(encoding="utf-8"), kind))


def _text(text: str, kind: str = "workflow") -> Extraction:
    return extract(SourceFile(".github/workflows/t.yml", text, kind))


def _problems(out: Extraction) -> list[tuple[int, int, str]]:
    return [(p.line, p.column, p.message) for p in out.problems]


def _jobs(out: Extraction) -> dict[str, Record]:
    return {job["id"]: job for job in out.records.get("jobs", [])}


def _at(record: Record) -> tuple[int, int]:
    return record["line"], record["column"]


# --- the GloriousFlywheel-style CI workflow ---------------------------------


def test_ci_workflow_record() -> None:
    out = _fixture("ci.yml")
    assert out.problems == []
    [workflow] = out.records["workflows"]
    assert _at(workflow) == (4, 1)  # the `on` key
    assert workflow["path"] == ".github/workflows/ci.yml"
    assert workflow["kind"] == "workflow"
    assert workflow["name"] == "CI"
    assert workflow["triggers"] == ["push", "pull_request", "workflow_dispatch"]
    assert workflow["branches"] == ["main", "release/**"]
    assert workflow["tags"] == []
    assert workflow["steps"] == []
    assert [job["id"] for job in workflow["jobs"]] == ["build", "bazel", "matrix", "docs"]


def test_ci_jobs_positions_and_runs_on() -> None:
    jobs = _jobs(_fixture("ci.yml"))
    assert {name: _at(job) for name, job in jobs.items()} == {
        "build": (14, 3),
        "bazel": (41, 3),
        "matrix": (49, 3),
        "docs": (67, 3),
    }
    assert jobs["build"]["runs_on"] == ["self-hosted", "honey", "kvm"]
    assert jobs["build"]["_runs_on_pos"] == [16, 14]
    assert jobs["build"]["name"] == "Build (honey KVM)"
    assert jobs["bazel"]["runs_on"] == ["self-hosted", "bazel"]
    assert jobs["bazel"]["runs_on_group"] == "honey-runners"
    assert jobs["bazel"]["_runs_on_pos"] == [43, 7]
    # the matrix key's list, then the include entry's list of labels, flattened
    assert jobs["matrix"]["runs_on"] == ["ubuntu-latest", "macos-14", "self-hosted", "honey", "gpu"]
    assert jobs["matrix"]["_runs_on_pos"] == [56, 14]
    assert jobs["docs"]["runs_on"] == []
    assert "_runs_on_pos" not in jobs["docs"]


def test_ci_job_fields() -> None:
    jobs = _jobs(_fixture("ci.yml"))
    build, bazel, docs = jobs["build"], jobs["bazel"], jobs["docs"]
    assert build["workflow"] == ".github/workflows/ci.yml"
    assert build["triggers"] == ["push", "pull_request", "workflow_dispatch"]
    assert build["if"] == "" and build["uses"] == "" and build["runs_on_group"] == ""
    assert bazel["continue_on_error"] is False  # an expression is not literally true
    assert docs["if"] == "github.ref == 'refs/heads/main'"
    assert docs["uses"] == "./.github/workflows/docs.yml"
    assert docs["steps"] == []


def test_ci_steps() -> None:
    out = _fixture("ci.yml")
    steps = out.records["steps"]
    assert [(s["job"], s["index"], _at(s)) for s in steps] == [
        ("build", 0, (19, 9)),
        ("build", 1, (23, 9)),
        ("build", 2, (29, 9)),
        ("build", 3, (36, 9)),
        ("bazel", 0, (47, 9)),
        ("matrix", 0, (58, 9)),
        ("matrix", 1, (63, 9)),
    ]
    checkout, nix, attic, build = steps[:4]
    assert checkout["uses"] == "actions/checkout@v4"
    assert checkout["with"] == {"fetch-depth": "0", "lfs": "false"}
    assert nix["with"]["determinate"] == "true"
    assert nix["with"]["extra-conf"] == "extra-substituters = https://attic.honey.example/main\n"
    assert attic["id"] == "attic"
    assert attic["name"] == "Attic login"
    assert attic["if"] == "${{ vars.ATTIC_SERVER != '' }}"
    assert attic["continue_on_error"] is True
    assert attic["env"] == {"ATTIC_TOKEN": "${{ secrets.ATTIC_TOKEN }}"}
    assert attic["run"] == 'attic login honey "$ATTIC_SERVER" "$ATTIC_TOKEN"'
    assert attic["_run_pos"] == [33, 14]
    assert build["run"] == "nix build .#default --print-build-logs\nattic push honey result\n"
    assert build["_run_pos"] == [38, 11]  # the block's first content line
    assert "_run_pos" not in checkout
    assert steps[4]["run"] == "bazel test --config=ci //..."
    assert steps[6]["with"] == {"node-version": "20.10"}  # numbers as written
    assert all(s["workflow"] == ".github/workflows/ci.yml" for s in steps)
    assert all(s["triggers"] == ["push", "pull_request", "workflow_dispatch"] for s in steps)


def test_nested_and_flattened_records_are_the_same() -> None:
    out = _fixture("ci.yml")
    [workflow] = out.records["workflows"]
    assert workflow["jobs"] == out.records["jobs"]
    nested_steps = [step for job in workflow["jobs"] for step in job["steps"]]
    assert nested_steps == out.records["steps"]


def test_run_pos_points_at_the_text_in_the_file() -> None:
    for name, kind in [("ci.yml", "workflow"), ("action.yml", "action")]:
        text = (FIXTURES / name).read_text(encoding="utf-8")
        lines = text.split("\n")
        for step in _fixture(name, kind).records["steps"]:
            if "_run_pos" in step:
                line, column = step["_run_pos"]
                first_word = step["run"].split()[0]
                assert lines[line - 1][column - 1 :].startswith(first_word)


# --- release workflow, composite action, list trigger ------------------------


def test_flakehub_release_workflow() -> None:
    out = _fixture("release.yml")
    assert out.problems == []
    [workflow] = out.records["workflows"]
    assert workflow["triggers"] == ["push", "workflow_dispatch"]
    assert workflow["tags"] == ["v*"]
    assert workflow["branches"] == []
    assert _at(workflow) == (2, 1)
    push = out.records["steps"][2]
    assert push["uses"] == "DeterminateSystems/flakehub-push@main"
    assert push["with"] == {
        "visibility": "public",
        "rolling": "false",
        "include-output-paths": "true",
    }
    assert _at(push) == (16, 9)


def test_composite_action() -> None:
    out = _fixture("action.yml", "action")
    assert out.problems == []
    [action] = out.records["workflows"]
    assert action["kind"] == "action"
    assert action["name"] == "Attic cache"
    assert _at(action) == (1, 1)
    assert action["triggers"] == [] and action["jobs"] == []
    assert "jobs" not in out.records
    steps = out.records["steps"]
    assert action["steps"] == steps
    assert [(s["job"], s["index"], _at(s)) for s in steps] == [
        ("", 0, (11, 7)),
        ("", 1, (16, 7)),
        ("", 2, (21, 7)),
    ]
    login, substitute, push = steps
    assert login["continue_on_error"] is True
    assert login["if"] == "inputs.server != ''"
    assert login["_run_pos"] == [14, 12]
    assert substitute["run"] == "nix build .#default --max-jobs 0"
    assert substitute["_run_pos"] == [19, 9]  # folded block: first content line
    assert push["_run_pos"] == [22, 13]  # after the opening quote


def test_action_without_composite_steps() -> None:
    out = _text("name: docker\nruns:\n  using: docker\n  image: Dockerfile\n", "action")
    assert out.problems == []
    assert out.records["workflows"][0]["steps"] == []
    out = _text("name: odd\nruns: [a]\n", "action")
    assert _problems(out) == [(2, 1, "'runs' must be a mapping, not a list")]


def test_list_trigger_and_substitute_only_step() -> None:
    out = _fixture("kvm-proof.yml")
    [workflow] = out.records["workflows"]
    assert workflow["triggers"] == ["push", "release"]
    [job] = out.records["jobs"]
    assert job["runs_on"] == ["self-hosted", "kvm", "nix-vm-test"]
    assert "--max-jobs 0" in out.records["steps"][0]["run"]


# --- every shape of `on` -----------------------------------------------------

JOB = "jobs:\n  j:\n    runs-on: x\n"


@pytest.mark.parametrize(
    ("on", "triggers", "branches", "tags"),
    [
        ("on: push\n", ["push"], [], []),
        ("on: [push, release]\n", ["push", "release"], [], []),
        ("on: [push, push]\n", ["push"], [], []),
        (
            "on: {push: {tags: ['v*']}, workflow_dispatch: }\n",
            ["push", "workflow_dispatch"],
            [],
            ["v*"],
        ),
        (
            "on:\n  push:\n    branches: main\n    tags: [v1, 'v2.*']\n  pull_request:\n"
            "  schedule:\n    - cron: '0 4 * * *'\n",
            ["push", "pull_request", "schedule"],
            ["main"],
            ["v1", "v2.*"],
        ),
        ("on:\n  release:\n    types: [published]\n", ["release"], [], []),
        ("on:\n  push:\n  workflow_dispatch:\n", ["push", "workflow_dispatch"], [], []),
        ("name: no trigger\n", [], [], []),
    ],
)
def test_every_shape_of_on(
    on: str, triggers: list[str], branches: list[str], tags: list[str]
) -> None:
    out = _text(on + JOB)
    assert out.problems == []
    [workflow] = out.records["workflows"]
    assert (workflow["triggers"], workflow["branches"], workflow["tags"]) == (
        triggers,
        branches,
        tags,
    )
    assert out.records["jobs"][0]["triggers"] == triggers


def test_on_position_is_its_key_else_line_one() -> None:
    out = _text("name: x\n\non: push\n" + JOB)
    assert _at(out.records["workflows"][0]) == (3, 1)
    out = _text("name: x\n" + JOB)
    assert _at(out.records["workflows"][0]) == (1, 1)


@pytest.mark.parametrize(
    ("on", "problem"),
    [
        (
            "on: 5\n",
            (1, 1, "'on' must be an event, a list of events or a mapping of events, not a number"),
        ),
        (
            "on:\n",
            (1, 1, "'on' must be an event, a list of events or a mapping of events, not empty"),
        ),
        ("on: [push, {a: 1}]\n", (1, 12, "'on.1' must be a string, not a mapping")),
        ("on: {push: [main]}\n", (1, 6, "'on.push' must be a mapping, not a list")),
        (
            "on: {push: {branches: {a: b}}}\n",
            (1, 13, "'on.push.branches' must be a string or a list of strings, not a mapping"),
        ),
    ],
)
def test_wrong_shapes_of_on(on: str, problem: tuple[int, int, str]) -> None:
    out = _text(on + JOB)
    assert _problems(out) == [problem]
    assert len(out.records["jobs"]) == 1


# --- every shape of runs-on --------------------------------------------------


@pytest.mark.parametrize(
    ("job", "labels", "group"),
    [
        ("runs-on: ubuntu-latest", ["ubuntu-latest"], ""),
        ("runs-on: [self-hosted, honey, kvm]", ["self-hosted", "honey", "kvm"], ""),
        ("runs-on:\n      - self-hosted\n      - gpu", ["self-hosted", "gpu"], ""),
        ("runs-on: {group: honey, labels: [self-hosted, kvm]}", ["self-hosted", "kvm"], "honey"),
        ("runs-on: {group: honey, labels: kvm}", ["kvm"], "honey"),
        ("runs-on: {group: honey}", [], "honey"),
        ("runs-on: ${{ matrix.os }}", ["${{ matrix.os }}"], ""),  # no matrix: as written
        ("runs-on: ${{ inputs.runner }}", ["${{ inputs.runner }}"], ""),
        (
            "strategy:\n      matrix:\n        os: [ubuntu-latest, macos-14]\n"
            "    runs-on: ${{ matrix.os }}",
            ["ubuntu-latest", "macos-14"],
            "",
        ),
        (
            "strategy:\n      matrix:\n        os: [kvm]\n        include:\n"
            "          - os: gpu\n          - other: 1\n"
            "    runs-on: [self-hosted, '${{matrix.os}}']",
            ["self-hosted", "kvm", "gpu"],
            "",
        ),
        (
            "strategy:\n      matrix:\n        platform:\n          - {runner: riscv64}\n"
            "          - {runner: [self-hosted, macos]}\n"
            "    runs-on: ${{ matrix.platform.runner }}",
            ["riscv64", "self-hosted", "macos"],
            "",
        ),
        (
            "strategy:\n      matrix:\n        arch: [x64, arm64]\n"
            "    runs-on: linux-${{ matrix.arch }}",
            ["linux-x64", "linux-arm64"],
            "",
        ),
        (
            "strategy:\n      matrix: ${{ fromJSON(needs.plan.outputs.matrix) }}\n"
            "    runs-on: ${{ matrix.os }}",
            ["${{ matrix.os }}"],
            "",
        ),
        (
            "strategy:\n      matrix:\n        os: [a]\n    runs-on: ${{ matrix.missing }}",
            ["${{ matrix.missing }}"],
            "",
        ),
    ],
)
def test_every_shape_of_runs_on(job: str, labels: list[str], group: str) -> None:
    out = _text(f"on: push\njobs:\n  j:\n    {job}\n")
    assert out.problems == []
    [record] = out.records["jobs"]
    assert (record["runs_on"], record["runs_on_group"]) == (labels, group)


def test_runs_on_position_counts_code_points() -> None:
    text = 'on: push\njobs:\n  j: {name: "🚀 ünïcode", runs-on: kvm}\n'
    [job] = _text(text).records["jobs"]
    assert job["_runs_on_pos"] == [3, text.split("\n")[2].index("kvm") + 1]
    assert job["_runs_on_pos"] == [3, 35]  # not the UTF-8 byte offset (40)


def test_crlf_positions_match_lf() -> None:
    text = (FIXTURES / "ci.yml").read_text(encoding="utf-8")
    lf = _text(text)
    crlf = _text(text.replace("\n", "\r\n"))
    assert [_at(s) for s in crlf.records["steps"]] == [_at(s) for s in lf.records["steps"]]
    assert [s.get("_run_pos") for s in crlf.records["steps"]] == [
        s.get("_run_pos") for s in lf.records["steps"]
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("true", True),
        ("True", True),
        ("false", False),
        ("'true'", False),
        ("${{ matrix.x }}", False),
    ],
)
def test_continue_on_error_is_true_only_when_literally_true(value: str, expected: bool) -> None:
    out = _text(
        f"on: push\njobs:\n  j:\n    continue-on-error: {value}\n    steps:\n"
        f"      - run: x\n        continue-on-error: {value}\n"
    )
    assert out.problems == []
    assert out.records["jobs"][0]["continue_on_error"] is expected
    assert out.records["steps"][0]["continue_on_error"] is expected


def test_with_and_env_values_are_strings() -> None:
    out = _text(
        "on: push\njobs:\n  j:\n    steps:\n      - uses: a/b@v1\n        with:\n"
        "          f: false\n          n: 1.50\n          h: 0x10\n          e:\n          s: x\n"
        "        env: ${{ fromJSON(vars.ENV) }}\n"
    )
    assert out.problems == []
    [step] = out.records["steps"]
    assert step["with"] == {"f": "false", "n": "1.50", "h": "0x10", "e": "", "s": "x"}
    assert step["env"] == {}


# --- problems ------------------------------------------------------------------


def test_malformed_yaml_is_one_problem_and_no_records() -> None:
    out = _fixture("broken.yml")
    assert out.records == {}
    [(line, column, message)] = _problems(out)
    assert (line, column) == (8, 6)
    assert message.startswith("malformed YAML:")


def test_duplicate_keys_are_problems_and_the_last_wins() -> None:
    out = _fixture("duplicates.yml")
    assert _problems(out) == [(5, 5, "duplicate key 'runs-on'"), (8, 9, "duplicate key 'run'")]
    [job] = out.records["jobs"]
    assert job["runs_on"] == ["self-hosted", "honey"]
    assert out.records["steps"][0]["run"] == "make test"


def test_wrong_shapes_are_problems_and_the_rest_is_extracted() -> None:
    out = _fixture("wrong-shapes.yml")
    prefix = "'jobs."
    assert _problems(out) == [
        (
            4,
            5,
            prefix + "numbered.runs-on' must be a label, a list of labels or a {group, labels} "
            "mapping, not a number",
        ),
        (5, 5, prefix + "numbered.steps' must be a list of steps, not a string"),
        (6, 3, prefix + "listed' must be a mapping, not a list"),
        (9, 28, prefix + "odd.runs-on.1' must be a string, not a mapping"),
        (10, 5, prefix + "odd.continue-on-error' must be a boolean or an expression, not a list"),
        (12, 9, prefix + "odd.steps.0' must be a mapping, not a string"),
        (13, 9, prefix + "odd.steps.1.name' must be a string, not a list"),
        (
            16,
            11,
            prefix + "odd.steps.1.with.nested' must be a string, a number or a boolean, "
            "not a mapping",
        ),
        (17, 9, prefix + "odd.steps.1.env' must be a mapping, not a list"),
    ]
    jobs = _jobs(out)
    assert list(jobs) == ["numbered", "odd", "good"]
    assert jobs["numbered"]["runs_on"] == [] and jobs["numbered"]["steps"] == []
    assert jobs["odd"]["runs_on"] == ["self-hosted"]
    assert jobs["good"]["runs_on"] == ["ubuntu-latest"]
    [step] = out.records["steps"]
    assert (step["index"], step["name"], step["with"]) == (1, "", {"ok": "yes"})


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "on: push\njobs:\n  - build\n",
            (2, 1, "'jobs' must be a mapping of job ids to jobs, not a list"),
        ),
        ("on: push\njobs:\n", (2, 1, "'jobs' must be a mapping of job ids to jobs, not empty")),
        (
            "on: push\njobs:\n  j:\n    runs-on: true\n",
            (
                4,
                5,
                "'jobs.j.runs-on' must be a label, a list of labels or a {group, labels} mapping, "
                "not a boolean",
            ),
        ),
        (
            "on: push\njobs:\n  j:\n    runs-on: {group: g, labels: 3}\n",
            (4, 25, "'jobs.j.runs-on.labels' must be a string or a list of strings, not a number"),
        ),
        ("- on\n- push\n", (1, 1, "the file must be a mapping of keys, not a list")),
        ("just text\n", (1, 1, "the file must be a mapping of keys, not a string")),
    ],
)
def test_shape_problems(text: str, problem: tuple[int, int, str]) -> None:
    assert _problems(_text(text)) == [problem]


def test_only_the_first_document_is_read() -> None:
    out = _text("on: push\njobs:\n  a: {runs-on: x}\n---\njobs:\n  b: {runs-on: y}\n")
    assert list(_jobs(out)) == ["a"]
    assert _problems(out) == [(5, 1, "a second YAML document is not read (GitHub reads one)")]


@pytest.mark.parametrize("text", ["", "\n\n", "# nothing here\n", "---\n"])
def test_an_empty_file_has_no_records_and_no_problem(text: str) -> None:
    out = _text(text)
    assert (out.records, out.problems) == ({}, [])


def test_an_alias_bomb_is_a_problem_not_a_hang() -> None:
    rows = ["on: push", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    rows += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 8)}]" for n in range(1, 10)]
    started = time.monotonic()
    out = _text("\n".join(rows) + "\njobs: {j: {runs-on: x}}\n")
    assert time.monotonic() - started < 5
    assert out.records == {}
    [(_, _, message)] = _problems(out)
    assert "alias" in message


def test_deep_nesting() -> None:
    ok = 150
    out = _text(f"on: push\nx-deep: {'[' * ok}{']' * ok}\njobs: {{j: {{runs-on: x}}}}\n")
    assert out.problems == []
    assert len(out.records["jobs"]) == 1
    deep = yamlsrc.MAX_DEPTH + 10
    out = _text(f"on: push\nx-deep: {'[' * deep}{']' * deep}\n")
    assert out.records == {}
    [(line, _, message)] = _problems(out)
    assert line == 2 and "nested deeper" in message


# --- properties ----------------------------------------------------------------


def _positions(out: Extraction) -> list[tuple[int, int]]:
    found = [(p.line, p.column) for p in out.problems]
    for records in out.records.values():
        for record in records:
            found += [
                (record["line"], record["column"]),
                (record["end_line"], record["end_column"]),
            ]
            found += [tuple(record[k]) for k in ("_runs_on_pos", "_run_pos") if k in record]
    return found


def _assert_within(text: str, out: Extraction) -> None:
    lines = yamlsrc.split_lines(text)
    for line, column in _positions(out):
        assert 1 <= line <= len(lines), (line, column)
        assert 1 <= column <= len(lines[line - 1]) + 1, (line, column)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(), st.sampled_from(["workflow", "action"]))
def test_arbitrary_text_never_raises(text: str, kind: str) -> None:
    _assert_within(text, _text(text, kind))


_KEYS = st.sampled_from(
    [
        "on",
        "jobs",
        "runs-on",
        "steps",
        "run",
        "uses",
        "with",
        "env",
        "if",
        "name",
        "group",
        "labels",
        "strategy",
        "matrix",
        "include",
        "push",
        "tags",
        "branches",
        "runs",
        "continue-on-error",
        "build",
        "x",
    ]
)
_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.just("${{ matrix.x }}"),
)
_DATA = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(_KEYS, _DATA, max_size=6),
    st.sampled_from(["workflow", "action"]),
    st.booleans(),
)
def test_workflow_shaped_data_never_raises(data: dict[str, Any], kind: str, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    out = _text(text, kind)
    _assert_within(text, out)
    assert all(not p.message.startswith("malformed") for p in out.problems)
