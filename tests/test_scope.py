"""``check PATHS``: findings reported in PATHS, with the whole repo read for context."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.core.finding import Finding
from engine.core.resources import shipped_policies
from engine.core.result import CheckResult
from engine.extract.base import SourceFile
from engine.pack import PolicySet, load_policies, local_collections
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
