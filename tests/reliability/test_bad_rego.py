"""Hand-written Rego that fails to compile, fails at run time or runs away: exit 2,
the module named with the line (and column) at fault, never a traceback."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from engine.evaluate import handwritten
from tests.reliability.support import COMPLIANT, DRIFTING, Outcome, run_cli, write_files

BACKENDS = ["regopy", "regorus"]


def check_rego(
    tmp_path: Path, module: str | bytes, *options: str, root: Path = DRIFTING
) -> Outcome:
    policies = write_files(tmp_path / "policies", {"custom.rego": module})
    return run_cli("check", "--root", str(root), "-p", str(policies), *options)


@pytest.mark.parametrize("backend", BACKENDS)
def test_module_that_does_not_compile(tmp_path: Path, backend: str) -> None:
    module = "package custom\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := \n}\n"
    outcome = check_rego(tmp_path, module, "--backend", backend, root=COMPLIANT)
    assert outcome.code == 2
    first, source, caret = outcome.stderr.splitlines()[:3]
    assert first.startswith(f"{tmp_path}/policies/custom.rego:6:")
    assert "Rego module does not compile: " in first
    assert source == "     msg := "  # a tab shows as one column, as the caret counts it
    assert caret.endswith("^")


def test_every_syntax_error_of_a_module_is_reported(tmp_path: Path) -> None:
    module = "package custom\n\nimport rego.v1\n\nx := \ny := [\n"
    outcome = check_rego(tmp_path, module, root=COMPLIANT)
    assert outcome.code == 2
    located = [line for line in outcome.stderr.splitlines() if "custom.rego:" in line]
    assert [line.split(": ")[0].rsplit("/", 1)[1] for line in located] == [
        "custom.rego:6:6",
        "custom.rego:1:1",
    ]


CONFLICTS = [
    (
        'x := 1 if true\nx := 2 if true\n\ndeny contains "two values" if x == 1\n',
        5,
        "rule 'x': complete rules must not produce multiple outputs",
    ),
    (
        'labels[k] := v if { some k, v in {"a": 1} }\n'
        'labels[k] := v if { some k, v in {"a": 2} }\n\n'
        'deny contains "dup" if labels.a\n',
        5,
        "rule 'labels': object keys must be unique",
    ),
    (
        'f(x) := 1 if true\nf(x) := 2 if true\n\ndeny contains "fn" if f(1) == 1\n',
        8,
        "rule 'deny': functions must not produce multiple outputs",
    ),
]


@pytest.mark.parametrize(("rules", "line", "message"), CONFLICTS)
def test_conflicting_values_at_run_time(
    tmp_path: Path, rules: str, line: int, message: str
) -> None:
    """regopy reports a conflict without a position: proofgate finds the failing rule."""
    outcome = check_rego(tmp_path, "package custom\n\nimport rego.v1\n\n" + rules)
    assert outcome.code == 2
    first, _, _, hint = outcome.stderr.splitlines()
    assert first.startswith(f"{tmp_path}/policies/custom.rego:{line}:1: Rego evaluation failed in ")
    assert message in first
    assert hint.startswith("hint: while checking ")


def test_conflicting_values_on_regorus(tmp_path: Path) -> None:
    rules = CONFLICTS[0][0]
    outcome = check_rego(
        tmp_path, "package custom\n\nimport rego.v1\n\n" + rules, "--backend", "regorus"
    )
    assert outcome.code == 2
    first = outcome.stderr.splitlines()[0]
    assert first.endswith(
        "custom.rego:6:1: Rego evaluation failed: rule conflicts with rule at "
        + f"{tmp_path}/policies/custom.rego:5:1"
    )


def test_module_without_a_package_or_not_utf8(tmp_path: Path) -> None:
    outcome = check_rego(tmp_path, "deny contains 1 if true\n", root=COMPLIANT)
    assert outcome.code == 2
    assert (
        outcome.stderr
        == f"{tmp_path}/policies/custom.rego: Rego module has no package declaration\n"
    )
    outcome = check_rego(tmp_path, "package custom\n# caf\xe9\n".encode("latin-1"), root=COMPLIANT)
    assert outcome.code == 2
    assert outcome.stderr == f"{tmp_path}/policies/custom.rego:2:6: not valid UTF-8 (byte 0xe9)\n"


def test_runaway_regex_in_handwritten_rego_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """regopy's regex.match backtracks (bench/regopy_regex.py): (a+)+$ on forty a's
    would run for days. The query runs in a child process with a time limit."""
    monkeypatch.setattr(handwritten, "QUERY_TIMEOUT", 1.0)
    repo = write_files(
        tmp_path / "repo",
        {"conf/names.yaml": "name: " + "a" * 40 + "b\n", "conf/ok.yaml": "name: x\n"},
    )
    module = (
        "package names\n\nimport rego.v1\n\n"
        'deny contains "bad name" if regex.match("(a+)+$", input.name)\n'
    )
    started = time.monotonic()
    outcome = check_rego(tmp_path, module, root=repo)
    assert time.monotonic() - started < 30
    assert outcome.code == 2
    first, hint = outcome.stderr.splitlines()
    assert first == (
        f"conf/names.yaml: hand-written Rego ({tmp_path}/policies/custom.rego) "
        "ran longer than 1 s on this file"
    )
    assert "regex builtins backtrack" in hint


def test_handwritten_findings_still_come_back_from_the_child(tmp_path: Path) -> None:
    repo = write_files(
        tmp_path / "repo", {"conf/a.yaml": "name: aab\n", "conf/b.yaml": "name: x\n"}
    )
    module = (
        "package names\n\nimport rego.v1\n\n"
        'deny contains "name of a and b" if regex.match("^a+b$", input.name)\n'
    )
    outcome = check_rego(tmp_path, module, "-f", "json", root=repo)
    assert outcome.code == 1
    assert outcome.findings() == {("conf/a.yaml", 1, "names")}
