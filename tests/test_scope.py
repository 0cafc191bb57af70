"""``check PATHS``: findings reported in PATHS, with the whole repo read for context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.core.finding import Finding
from engine.core.resources import shipped_policies
from engine.core.result import CheckResult
from engine.dsl.checker import check_program
from engine.dsl.parser import parse
from engine.extract.base import SourceFile
from engine.pack import PolicySet, finding_kinds, joined_kinds, load_policies, local_collections
from tests.support import run_check

REPO = Path(__file__).resolve().parent.parent
DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
NOW = dt.date(2026, 11, 26)


@pytest.fixture(scope="module")
def pack() -> PolicySet:
    return load_policies([shipped_policies()])


@pytest.fixture(scope="module")
def everything(pack: PolicySet) -> CheckResult:
    return run_check(pack, DRIFTING, [], None, NOW)


def in_files(findings: list[Finding], *paths: str) -> list[Finding]:
    return [f for f in findings if f.path in paths]


@pytest.mark.parametrize(
    "path",
    [
        ".github/workflows/ci.yml",  # B9 reads .bazelrc; B4 the workflow's triggers
        ".bazelrc",  # B3/B8 on the file, B9 with the workflows
        "README.md",
        "docs/runners.md",
        "flake.nix",
        "nix/nix.conf",
    ],
)
def test_a_file_is_checked_with_the_repo_as_context(
    pack: PolicySet, everything: CheckResult, path: str
) -> None:
    alone = run_check(pack, DRIFTING, [path], None, NOW)
    assert alone.findings, f"the drifting fixture crosses a boundary in {path}"
    assert alone.findings == in_files(everything.findings, path)
    assert alone.files == 1


def test_cross_file_rule_fires_when_only_the_workflow_is_given(pack: PolicySet) -> None:
    result = run_check(pack, DRIFTING, [".github/workflows/ci.yml"], None, NOW)
    assert "bazel-dogfood-is-real.pr-upload" in {f.rule for f in result.findings}


def test_a_changed_ledger_rechecks_the_docs(pack: PolicySet, everything: CheckResult) -> None:
    result = run_check(pack, DRIFTING, ["proofs.yaml"], None, NOW)
    markdown = ["README.md", "docs/runners.md"]
    assert result.findings == in_files(everything.findings, "proofs.yaml", *markdown)
    assert {f.path for f in result.findings} == {"proofs.yaml", *markdown}
    assert result.files == 3


def test_directories_and_several_files(pack: PolicySet, everything: CheckResult) -> None:
    result = run_check(pack, DRIFTING, ["docs", ".bazelrc"], None, NOW)
    assert result.findings == in_files(everything.findings, "docs/runners.md", ".bazelrc")


def test_files_outside_paths_are_extracted_only_for_shared_collections(
    pack: PolicySet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sentences only yield findings at themselves, so a check of one workflow never
    parses the docs; workflows, jobs and steps are joined across files, so it reads
    every workflow."""
    import engine.extract.batch

    local = local_collections(pack.program)
    assert "sentences" in local
    assert not {"workflows", "jobs", "steps", "bazelrc"} & local
    extracted: list[str] = []
    original = engine.extract.batch.extract_files

    def spy(sources: list[SourceFile], *args: object) -> list[object]:
        extracted.extend(source.path for source in sources)
        return original(sources)  # type: ignore[return-value]

    monkeypatch.setattr(engine.extract.batch, "extract_files", spy)
    run_check(pack, DRIFTING, [".github/workflows/ci.yml"], None, NOW)
    assert not [path for path in extracted if path.endswith(".md")]
    assert ".github/workflows/kvm-proof.yml" in extracted
    extracted.clear()
    run_check(pack, DRIFTING, ["docs"], None, NOW)
    assert "docs/runners.md" in extracted
    assert "README.md" not in extracted
    # no clause whose findings can lie in a doc reads the workflows' records
    assert not [path for path in extracted if path.startswith(".github/")]


def test_the_kinds_read_beyond_paths_follow_where_findings_can_lie() -> None:
    """A clause is read for only where its located record can come from: a job's
    label lies in a workflow, so its join over steps matters to a check of
    workflows, not to one of docs."""
    source = (
        'policy p { rationale "r" fix "f"\n'
        "  deny labels for j in jobs, label in j.runs_on_labels\n"
        '    where label.name == "x" and some st in steps { st.run == "y" } message "m" at label\n'
        '  deny docs for s in sentences where s.text matches /x/ message "m"\n'
        "  deny claims for s in sentences where s.text matches /x/\n"
        '    and some f in forges { f.name == "y" } message "m"\n}'
    )
    program = check_program([parse(source, "p.policy")])
    labels, docs, claims = program.clauses
    assert finding_kinds(labels) == ("workflow",)
    assert finding_kinds(docs) == finding_kinds(claims) == ("markdown",)
    assert joined_kinds(program, frozenset({"markdown"})) == frozenset({"ledger"})
    assert joined_kinds(program, frozenset({"workflow"})) == {"workflow", "action"}
    assert joined_kinds(program) == joined_kinds(program, frozenset({"workflow", "markdown"}))
