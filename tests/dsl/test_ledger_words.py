"""Ledger words: ``(?&ledger.NAME)`` in a pattern holds the run's ledger's words."""

from __future__ import annotations

import dataclasses
import datetime as dt
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from engine.dsl import ledger_words
from engine.dsl.literals import condition
from engine.evaluate import prescreen
from engine.pack import PolicySet, load_policies, with_ledger
from engine.pipeline import Options, Warm, run
from tests.support import program_errors, run_check

NOW = dt.date(2026, 12, 1)
POLICY = """\
pattern class_words = /kvm|gpu|(?&ledger.runner_class_words)/i
pattern class_word = /\\b(?<word>(?&class_words))s?\\b/i

policy classes {
  severity error
  rationale "r"
  fix "f"
  deny docs
    for s in sentences
    where s.text matches class_word as written
    message "{word}"
}
"""
LEDGER = """\
runner_classes:
  kvm: {state: proved, labels: [kvm, nix-vm-test]}
  arm64: {state: backlog, labels: [aarch64, graviton, "m+x", "a.b"]}
  macos: {state: experimental, labels: [macos, macos-arm64]}
"""
README = """\
Graviton runners build the ARM images.

Cross-builds target AARCH64.

The m+x lane and the a.b lane.

The axb lane and the mmx lane.

macos-arm64 runners.

GPU runners and highmem nodes.
"""


def _repo(root: Path, ledger: str | None = LEDGER, readme: str = README) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "README.md").write_text(readme)
    if ledger is not None:
        (root / "proofs.yaml").write_text(ledger)
    return root


@pytest.fixture
def pack(tmp_path: Path) -> PolicySet:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "classes.policy").write_text(POLICY)
    return load_policies([tmp_path / "policies"])


def _found(pack: PolicySet, root: Path) -> list[tuple[int, str]]:
    return [(f.line, f.message) for f in run_check(pack, root, now=NOW).findings]


def test_the_ledgers_names_and_labels_are_words_escaped_longest_first(
    pack: PolicySet, tmp_path: Path
) -> None:
    assert _found(pack, _repo(tmp_path / "repo")) == [
        (1, "Graviton"),  # a label
        (3, "AARCH64"),  # case-insensitive, as the pattern's flags say
        (5, "m+x, a.b"),  # escaped: "m+x" is not "mmx", "a.b" not "axb" (line 7)
        (9, "macos-arm64"),  # the longest word first
        (11, "GPU"),  # the static words still hold; "highmem" is in no ledger
    ]


def test_an_absent_ledger_or_one_without_classes_adds_no_word(
    pack: PolicySet, tmp_path: Path
) -> None:
    assert _found(pack, _repo(tmp_path / "none", ledger=None)) == [(11, "GPU")]
    empty = _repo(tmp_path / "empty", ledger="runner_classes: {}\n")
    assert _found(pack, empty) == [(11, "GPU")]
    assert ledger_words.alternation([]) == ledger_words.NOTHING


def test_the_words_are_bound_per_run_never_in_the_pack(pack: PolicySet, tmp_path: Path) -> None:
    """One compiled pack, two repos with two ledgers: each run sees its own words,
    and the pack's program keeps its slots empty."""
    ledger = "runner_classes:\n  big: {state: backlog, labels: [highmem]}\n"
    other = _repo(tmp_path / "other", ledger)
    assert _found(pack, other) == [(11, "GPU, highmem")]
    assert (1, "Graviton") in _found(pack, _repo(tmp_path / "repo"))
    assert not pack.program.words
    assert all("highmem" not in a.regex.source for a in pack.program.atoms.values())


def test_a_bound_program_is_made_once_per_set_of_words(pack: PolicySet) -> None:
    ledger = {"runner_classes": {"x": {"name": "x", "labels": ["xl"]}}}
    first = with_ledger(pack, ledger).program
    assert with_ledger(pack, ledger).program is first
    assert first.words == {"runner_class_words": ("x", "xl")}
    assert with_ledger(pack, {"runner_classes": {}}).program is pack.program


def test_the_forge_slot_holds_the_ledgers_forge_names_and_labels() -> None:
    forges = {
        "gitea": {"name": "gitea"},
        "azure-devops": {"name": "azure-devops", "labels": ["Azure DevOps"]},
    }
    ledger = {"forges": forges, "runner_classes": {}}
    assert ledger_words.words(ledger) == {"forge_words": ("Azure DevOps", "azure-devops", "gitea")}
    bound = ledger_words.substitute("/(?&ledger.forge_words)/", ledger_words.words(ledger))
    assert bound == r"/(?:Azure\ DevOps|azure\-devops|gitea)/"


def test_the_product_slot_holds_the_repo_name_as_written_as_words_and_as_one_word() -> None:
    ledger = {"repo": "cirruslabs/gitlab-tart-executor", "forges": {}, "runner_classes": {}}
    assert ledger_words.words(ledger) == {
        "product_names": ("gitlab tart executor", "gitlab-tart-executor", "gitlabtartexecutor")
    }
    camel = ledger_words.words({"repo": "tinyland-inc/GloriousFlywheel"})
    assert camel == {"product_names": ("Glorious Flywheel", "GloriousFlywheel")}
    assert ledger_words.words({"repo": ""}) == {}


def test_a_long_ledger_lengthens_the_pattern_beyond_the_authors_limit(
    pack: PolicySet, tmp_path: Path
) -> None:
    labels = ", ".join(f"label-{n:04d}" for n in range(600))
    ledger = f"runner_classes:\n  many: {{state: backlog, labels: [{labels}]}}\n"
    root = _repo(tmp_path / "many", ledger, "label-0599 runners.\n")
    assert _found(pack, root) == [(1, "label-0599")]


@pytest.mark.parametrize(
    ("pattern", "hint"),
    [
        ("(?&ledger.runner_class_word)", "did you mean 'runner_class_words'?"),
        ("(?&ledger.)", "the slots: ledger.runner_class_words, ledger.forge_words"),
    ],
)
def test_an_unknown_slot_is_an_error_where_it_is_written(pattern: str, hint: str) -> None:
    source = f"pattern other = /x/i\npattern words = /kvm|{pattern}/i\n" + POLICY.replace(
        "(?&ledger.runner_class_words)", "(?&words)"
    )
    slot = [e for e in program_errors(source) if "unknown ledger slot" in e.message]
    assert [(e.path, e.line) for e in slot] == [("p.policy", 2)]  # not where it is used
    assert hint in (slot[0].hint or "")


def test_the_cli_refuses_an_unknown_slot_with_exit_2(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    bad = POLICY.replace("ledger.runner_class_words", "ledger.runner_classes")
    (tmp_path / "policies" / "classes.policy").write_text(bad)
    repo = _repo(tmp_path / "repo")
    policies = str(tmp_path / "policies")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "proofgate",
            "check",
            "--root",
            str(repo),
            "-p",
            policies,
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "classes.policy:1:" in done.stderr
    assert "unknown ledger slot 'ledger.runner_classes'" in done.stderr
    assert "Traceback" not in done.stderr


def test_fmt_keeps_a_slot_as_written(tmp_path: Path) -> None:
    path = tmp_path / "classes.policy"
    path.write_text(POLICY)

    def fmt(*args: str) -> int:
        command = [sys.executable, "-m", "proofgate", "fmt", *args, str(path)]
        return subprocess.run(command, capture_output=True, check=False).returncode

    assert fmt("--write") == 0
    assert "(?&ledger.runner_class_words)" in path.read_text()
    assert fmt("--check") == 0


def test_the_literal_condition_of_a_slot_is_its_token() -> None:
    token = ledger_words.TOKENS["runner_class_words"]
    found = condition("\\b(?:kvm|(?&ledger.runner_class_words))s?\\b", "i")
    assert found is not None
    assert token in prescreen.literals(found)
    # next to literals, the slot stays a condition of its own, never glued to them
    glued = condition("gpu-(?&ledger.runner_class_words)-lane", "i")
    assert glued is not None
    assert all(
        ledger_words.TOKEN_MARK not in lit or lit == token for lit in prescreen.literals(glued)
    )


@pytest.mark.skipif(prescreen._hyperscan() is None, reason="hyperscan is not installed")
def test_the_prescreen_keeps_the_records_that_hold_a_ledger_word(pack: PolicySet) -> None:
    """With the pack's prepared plan (its databases know no ledger word), the
    sentences naming a word of this run's ledger are kept, the others dropped."""
    plan = prescreen.prepared(pack.program)
    ledger = {"runner_classes": {"arm64": {"name": "arm64", "labels": ["graviton", "Ωmega"]}}}
    bound = with_ledger(pack, ledger).program
    prescreen.adopt(bound, plan)
    texts = ["Graviton runners.", "GPU runners.", "Nothing here.", "ωmega nodes.", "arm64"]
    records = [{"path": "README.md", "text": text, "line": n} for n, text in enumerate(texts)]
    kept = prescreen.prescreened(bound, bound.clauses[0], SimpleNamespace(), records)
    assert [r["text"] for r in kept] == [
        "Graviton runners.",
        "GPU runners.",
        "ωmega nodes.",
        "arm64",
    ]
    # the pack's own program (an empty ledger) keeps only what its static words allow
    prescreen.adopt(pack.program, plan)
    kept = prescreen.prescreened(pack.program, pack.program.clauses[0], SimpleNamespace(), records)
    assert [r["text"] for r in kept] == ["GPU runners."]


def test_a_warm_run_follows_the_ledgers_words(pack: PolicySet, tmp_path: Path) -> None:
    from engine.pack import Pack

    root = _repo(tmp_path / "repo")
    warm = Warm()
    configured = Pack.of(pack)

    def found(ledger: str) -> list[str]:
        options = Options(
            today=NOW, stdin=("README.md", README), texts=(("proofs.yaml", ledger),), warm=warm
        )
        return [f.message for f in run(configured, root, options).findings]

    assert "Graviton" in found(LEDGER)
    assert "Graviton" not in found(LEDGER.replace("graviton, ", ""))
    assert "Graviton" in found(LEDGER)


def test_binding_keeps_every_atoms_key_and_groups(pack: PolicySet) -> None:
    bound = with_ledger(pack, {"runner_classes": {"a": {"name": "a", "labels": ["b"]}}}).program
    for key, atom in pack.program.atoms.items():
        other = bound.atoms[key]
        assert dataclasses.replace(other, regex=atom.regex) == atom
        assert other.regex.groups == atom.regex.groups
