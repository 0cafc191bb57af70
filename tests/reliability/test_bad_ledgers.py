"""Bad proof ledgers: exit code 2, each problem at its file, line and column (with
the source line and a caret), nothing counted as proved, never a traceback.
Schema details are unit-tested in tests/extract/test_ledger.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability.support import CLAIM, NOW, Outcome, run_cli, write_files


def check_ledger(tmp_path: Path, ledger: str | bytes | None, *options: str) -> Outcome:
    files: dict[str, str | bytes] = {"README.md": CLAIM}
    if ledger is not None:
        files["proofs.yaml"] = ledger
    root = write_files(tmp_path, files)
    return run_cli("check", "--root", str(root), "--now", NOW, *options)


def test_missing_ledger_proves_nothing_and_says_so(tmp_path: Path) -> None:
    outcome = check_ledger(tmp_path, None)
    assert outcome.code == 1
    assert "note: no proof ledger found, so nothing counts as proved" in outcome.stdout


def test_missing_explicit_ledger_is_exit_2(tmp_path: Path) -> None:
    outcome = check_ledger(tmp_path, None, "--ledger", "nowhere/proofs.yaml")
    assert outcome.code == 2
    assert outcome.stderr == "nowhere/proofs.yaml: no such ledger file\n"


CLASS = "runner_classes:\n  kvm:\n"

INVALID = [
    ("", "1:1", "the ledger is empty"),
    ("# nothing yet\n", "1:1", "the ledger is empty"),
    ("- kvm\n- gpu\n", "1:1", "the ledger must be a mapping of keys, got a list"),
    ("repo: a\n---\nrepo: b\n", "3:1", "the ledger must be one YAML document, found 2"),
    ("repo: [a\n", "2:1", "did not find expected ',' or ']'"),
    ("repo: a\nrepo: b\n", "2:1", "duplicate key 'repo'"),
    (CLASS + "    state: proved\n    state: backlog\n", "4:5", "duplicate key 'state'"),
    # schema violations
    ("repo: [1]\n", "1:1", "repo: expected a string, got a list"),
    ("freshness_days: -3\n", "1:1", "freshness_days: must be greater than 0, got -3"),
    ("freshness_days: '90'\n", "1:1", "freshness_days: expected a whole number, got '90'"),
    ("runner_clases: {}\n", "1:1", "unknown key 'runner_clases'; did you mean 'runner_classes'?"),
    (CLASS + "    state: proved\n    labelz: [kvm]\n", "4:5", "did you mean 'labels'?"),
    (CLASS + "    labels: [kvm]\n", "2:3", "runner_classes.kvm.state: required key is missing"),
    (CLASS + "    state: proved\n    proofs: {surface: x}\n", "4:5", "expected a list"),
    # unknown states
    (
        CLASS + "    state: prooved\n",
        "3:5",
        "runner_classes.kvm.state: 'prooved' is not one of proved, experimental, backlog, retired",
    ),
    ("forges:\n  gitlab: {state: done}\n", "2:12", "'done' is not one of proved"),
    # dates
    (
        CLASS + "    state: proved\n    proofs:\n      - {surface: vm, evidence: ci.yml, "
        "verified: 2027-01-05}\n",
        "5:41",
        "verified date 2027-01-05 is in the future (today is 2026-11-26)",
    ),
    (
        CLASS + "    state: proved\n    proofs:\n      - {surface: vm, verified: 2026-13-40}\n",
        "5:23",
        "'2026-13-40' is not a date in YYYY-MM-DD form",
    ),
    (CLASS + "    state: proved\n    proofs:\n      - verified: 1700000000\n", "5:9", "YYYY-MM-DD"),
    # order
    ("order: [kvm, gpu]\n" + CLASS + "    state: proved\n", "1:14", "'gpu' is not a runner class"),
]


@pytest.mark.parametrize(("ledger", "where", "message"), INVALID)
def test_invalid_ledgers(tmp_path: Path, ledger: str, where: str, message: str) -> None:
    outcome = check_ledger(tmp_path, ledger)
    assert outcome.code == 2, outcome.stdout
    lines = outcome.stderr.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(f"proofs.yaml:{where}: "))
    assert lines[first].startswith(f"proofs.yaml:{where}: invalid ledger: ")
    assert message in lines[first]
    row, column = (int(n) for n in where.split(":"))
    if row <= len(ledger.splitlines()):  # the source line, with a caret under the column
        assert lines[first + 2] == "    " + " " * (column - 1) + "^"
    assert outcome.stdout == ""  # nothing is reported on the strength of a half-read ledger


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("repo: caf\xe9\n".encode("latin-1"), "proofs.yaml:1:10: not valid UTF-8 (byte 0xe9)"),
        (b"\x00\x01\x02", "proofs.yaml:1:1: invalid ledger: unacceptable character #x0000"),
    ],
)
def test_unreadable_ledger_bytes(tmp_path: Path, content: bytes, message: str) -> None:
    outcome = check_ledger(tmp_path, content)
    assert outcome.code == 2
    assert message in outcome.stderr


def test_ledger_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "proofs.yaml").mkdir()
    outcome = check_ledger(tmp_path, None)
    assert outcome.code == 2
    assert outcome.stderr.endswith("proofs.yaml: cannot read: Is a directory\n")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    ledger = "repo: [x]\nprimary_forge: 3\n" + CLASS + "    state: nope\n"
    outcome = check_ledger(tmp_path, ledger)
    assert outcome.code == 2
    located = [line for line in outcome.stderr.splitlines() if line.startswith("proofs.yaml:")]
    assert [line.split(": ")[0] for line in located] == [
        "proofs.yaml:1:1",
        "proofs.yaml:2:1",
        "proofs.yaml:5:5",
    ]
