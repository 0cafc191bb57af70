"""Hand-written Rego from the checked repo computes on its input and nothing else:
no environment, network, files, clock or randomness, no output of its own, and a
failure in the Rego worker is an error, never a traceback (issue 16, attack 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.core.resources import shipped_policies
from engine.evaluate.bounded import Stopped, run_bounded
from engine.evaluate.capabilities import ALLOWED, DENIED, check_modules, module_problems
from engine.evaluate.run import aggregate_module
from engine.pack import load_policies
from tests.reliability.support import REPO, run_cli, write_files

SECRET = "s3cr3t-0f-the-runner"
WORKFLOW = "name: ci\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n"


def _repo(tmp_path: Path, body: str) -> Path:
    """A repo whose own configuration names its own policy directory holding ``body``."""
    module = f"package leak\n\nimport rego.v1\n\n{body}\n"
    return write_files(
        tmp_path / "repo",
        {
            ".proofgate.toml": 'policies = ["policy"]\n',
            "policy/leak.rego": module,
            ".github/workflows/ci.yml": WORKFLOW,
        },
    )


# (module body, the built-in the error must name, its line in the module, its column)
ATTACKS = [
    ("deny contains opa.runtime().env.PG_SECRET if true", "opa.runtime", 5, 15),
    (
        "deny contains msg if {\n\tmsg := opa . runtime ( ) . env . PG_SECRET\n}",
        "opa.runtime",
        6,
        9,
    ),
    ("deny contains msg if {\n\tmsg := opa.\n\t\truntime().env.PG_SECRET\n}", "opa.runtime", 6, 9),
    ('deny contains $"{opa.runtime().env.PG_SECRET}" if true', "opa.runtime", 5, 18),
    ('deny contains opa["runtime"]().env.PG_SECRET if true', "opa", 5, 15),
    ("x := 1\n\ndeny contains msg if {\n\tmsg := x with x as opa.runtime\n}", "opa.runtime", 8, 21),
    (
        'deny contains msg if {\n\tr := http.send({"method": "get", "url": "http://127.0.0.1:9"})\n'
        "\tmsg := r.body\n}",
        "http.send",
        6,
        7,
    ),
    (
        'deny contains msg if {\n\tmsg := net.lookup_ip_addr("example.org")\n}',
        "net.lookup_ip_addr",
        6,
        9,
    ),
    ('deny contains sprintf("%d", [time.now_ns()]) if true', "time.now_ns", 5, 30),
    ('deny contains sprintf("%d", [rand.intn("x", 9)]) if true', "rand.intn", 5, 30),
    ('deny contains uuid.rfc4122("x") if true', "uuid.rfc4122", 5, 15),
    ('deny contains "x" if print("::add-mask::x")', "print", 5, 22),
    ('deny contains "x" if trace("x")', "trace", 5, 22),
    ('deny contains "x" if io.jwt.verify_hs256("a.b.c", "k")', "io.jwt.verify_hs256", 5, 22),
    ('deny contains "x" if io.jwt["verify_hs256"]("a.b.c", "k")', "io.jwt", 5, 22),
]


@pytest.mark.parametrize(("body", "builtin", "line", "column"), ATTACKS)
def test_a_repo_policy_that_reaches_out_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str, builtin: str, line: int, column: int
) -> None:
    monkeypatch.setenv("PG_SECRET", SECRET)
    root = _repo(tmp_path, body)
    outcome = run_cli("check", "--root", str(root), "-f", "json")
    assert outcome.code == 2
    assert SECRET not in outcome.stdout + outcome.stderr
    first = outcome.stderr.splitlines()[0]
    assert first.startswith(f"{root}/policy/leak.rego:{line}:{column}: "), first
    assert f"'{builtin}'" in first


def test_the_secret_would_leak_without_the_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the check stops: regopy hands the whole environment to opa.runtime()."""
    monkeypatch.setenv("PG_SECRET", SECRET)
    monkeypatch.setattr("engine.evaluate.capabilities.check_modules", lambda modules: None)
    root = _repo(tmp_path, ATTACKS[0][0])
    outcome = run_cli("check", "--root", str(root), "-f", "json")
    assert SECRET in outcome.stdout


def test_a_function_no_module_defines_is_refused(tmp_path: Path) -> None:
    """A built-in regopy may add later is refused until it is allowed, as with OPA's
    --capabilities."""
    root = _repo(tmp_path, 'deny contains "x" if newfangled.reader("/etc/passwd")')
    outcome = run_cli("check", "--root", str(root))
    assert outcome.code == 2
    assert "'newfangled.reader' is neither a built-in proofgate allows" in outcome.stderr


def test_pure_rego_still_runs(tmp_path: Path) -> None:
    body = (
        "import data.leak.lib\n\n"
        "names(doc) := [n | some n; doc.jobs[n]]\n\n"
        "deny contains msg if {\n"
        "\tsome name in names(input)\n"
        '\tmsg := concat(": ", ["job", name, lib.shout(name)])\n'
        '\tnot regex.match("^x", name)\n'
        '\ttime.format(0) != ""\n'  # pure: formats the time it is given
        '\tprint_it := "opa.runtime()"  # a string, and a comment: opa.runtime()\n'
        '\tprint_it != $"{count(name)}"\n'
        "}\n"
    )
    root = _repo(tmp_path, body)
    write_files(root, {"policy/lib.rego": "package leak.lib\n\nshout(s) := upper(s)\n"})
    outcome = run_cli("check", "--root", str(root), "-f", "json")
    assert outcome.code == 1, outcome.stderr
    assert "job: build: BUILD" in outcome.stdout


def test_the_shipped_hand_written_example_passes() -> None:
    rego = REPO / "fixtures" / "rego" / "runners.rego"
    check_modules({str(rego): rego.read_text()})


def _policy_dirs() -> list[Path]:
    """Every directory of .policy files in the project (the pack, fixtures, docs)."""
    found = {p.parent for p in REPO.rglob("*.policy") if ".venv" not in p.parts}
    return sorted(d for d in found if "tests" not in d.relative_to(REPO).parts[1:])


def test_every_generated_module_passes_the_same_check() -> None:
    """The DSL compiler emits only allowed built-ins: the check never refuses its Rego."""
    dirs = [shipped_policies(), *_policy_dirs()]
    checked = 0
    for directory in dirs:
        try:
            policy_set = load_policies([directory])
        except Exception:  # a fixture of a bad policy: nothing compiled to check
            continue
        modules = {f"{m.policy_id}.rego": m.text for m in policy_set.modules}
        modules["proofgate.rego"] = aggregate_module(policy_set.modules)
        check_modules(modules)
        checked += len(modules)
    assert checked > 10


def test_denied_and_allowed_built_ins_do_not_overlap() -> None:
    assert not set(DENIED) & ALLOWED
    assert "opa.runtime" in DENIED and "time.now_ns" in DENIED and "print" in DENIED


def test_names_in_comments_strings_and_fields_are_not_calls() -> None:
    text = (
        'package t\n# opa.runtime()\nr := "opa.runtime()"\ns := `time.now_ns()`\n'
        "u := input.opa.runtime\nv := input.x.time.now_ns\n"
    )
    assert module_problems("t.rego", text) == []


def test_a_package_named_like_a_namespace_is_not_a_call() -> None:
    assert module_problems("t.rego", "package rand.policies\n\nx := 1\n") == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        # regopy's Output cannot parse what the engine printed: the rule is named
        (
            'deny contains sprintf("%d", [count(data)]) if true',
            "policy/leak.rego:5:1: Rego evaluation failed in rule 'deny': regopy's output "
            "is not JSON",
        ),
        # regopy 1.5.2 corrupts its heap and aborts (free(): invalid pointer): the
        # worker dies, the file and module are named
        (
            'deny contains sprintf("%v", [time.clock([0, "Local"])]) if true',
            ".github/workflows/ci.yml: the Rego engine stopped (exit code -6) while "
            "hand-written Rego",
        ),
    ],
    ids=["unserialisable output", "engine crash"],
)
def test_a_failure_in_the_rego_worker_is_an_error_not_a_traceback(
    tmp_path: Path, body: str, error: str
) -> None:
    root = _repo(tmp_path, body)
    result = subprocess.run(
        [sys.executable, "-m", "proofgate", "check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PROOFGATE_NO_CACHE": "1"},
        cwd=root,
        check=False,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert error in result.stderr


def _raises(item: int) -> int:
    if item == 1:
        raise ValueError("not what the worker expected")
    return item


def test_any_exception_in_the_worker_comes_back_as_an_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    with pytest.raises(Stopped) as stopped:
        run_bounded(_raises, [0, 1, 2], [5.0, 5.0, 5.0])
    assert time.monotonic() - started < 5  # reported, not waited out
    assert stopped.value.index == 1
    assert stopped.value.error is not None
    assert "ValueError: not what the worker expected" in stopped.value.error.message
    assert "Traceback" not in capfd.readouterr().err
