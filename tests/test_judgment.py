"""The judgment corpus (fixtures/judgment/) and the accuracy the docs rules reach on it.

The scoring is bench/accuracy.py's own (imported from its path), so this test
and the benchmark can never disagree about a number.
"""

from __future__ import annotations

import math
import shutil
import sys
from pathlib import Path

import pytest
import yaml

from tests.support import bench_module

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "fixtures" / "judgment"
PROOFGATE = str(Path(sys.executable).with_name("proofgate"))


accuracy = bench_module("accuracy")

# The floor the docs rules must hold on fixtures/judgment/, per boundary:
# (precision, recall) as measured when the corpus was written, rounded down to
# two decimals (`python bench/accuracy.py --floors` prints them). The targets
# (issue 12) are precision >= 0.95 and recall >= 0.90 on every docs boundary;
# as the engine and the pack improve, later sessions raise these floors to the
# new measurements, never lower them for the same corpus. (Session 8 grew the
# corpus by a harder case, agent-platforms: B7 recall then read 0.96, not 0.97;
# the floor follows the larger corpus.)
FLOORS: dict[str, tuple[float, float]] = {
    "B1": (1.0, 0.96),
    "B2": (0.96, 1.0),
    "B3": (1.0, 1.0),
    "B4": (1.0, 1.0),
    "B5": (0.98, 0.96),
    "B7": (0.96, 0.96),
    "B8": (1.0, 1.0),
    "B10": (1.0, 1.0),
}
MAX_DUPLICATES = 0
"""Findings beyond the first of one boundary on one sentence (target: 0)."""


@pytest.fixture(scope="module")
def judged() -> list[object]:
    if shutil.which(PROOFGATE) is None:
        pytest.skip("proofgate is not installed beside this interpreter")
    return [accuracy.judge_case(case, proofgate=[PROOFGATE]) for case in accuracy.cases(FIXTURES)]


def test_cases_exist() -> None:
    names = [case.name for case in accuracy.cases(FIXTURES)]
    assert len(names) >= 5, names
    for case in accuracy.cases(FIXTURES):
        assert (case / "proofs.yaml").is_file(), case.name


def test_labels_are_well_formed() -> None:
    total: dict[tuple[str, str], int] = {}
    problems: list[str] = []
    for case in accuracy.cases(FIXTURES):
        labels = accuracy.load_labels(case / "labels.yaml")
        assert isinstance(labels.ledger, str), "fixture cases name their ledger file"
        assert (case / labels.ledger).is_file()
        assert labels.repo is None and labels.commit is None
        placed, found = accuracy.placed(labels, case)
        problems.extend(f"{case.name}/{p}" for p in found)
        for label in placed.labels:
            assert label.text is not None, f"{case.name}/{label.where}: fixtures carry text"
            assert not Path(label.path).is_absolute() and ".." not in Path(label.path).parts
            key = (label.boundary, label.verdict)
            total[key] = total.get(key, 0) + 1
    assert problems == []
    assert sum(total.values()) >= 600
    for boundary in accuracy.DOCS_BOUNDARIES:
        for verdict in accuracy.VERDICTS:
            assert total.get((boundary, verdict), 0) >= 15, (boundary, verdict, total)
        assert total[(boundary, "claim")] + total[(boundary, "mention")] >= 40, boundary


def test_label_file_errors_are_clear(tmp_path: Path) -> None:
    bad = tmp_path / "labels.yaml"
    entry = {"path": "README.md", "line": 1, "boundary": "B6", "verdict": "claim", "reason": "x"}
    bad.write_text(yaml.safe_dump({"version": 1, "ledger": "proofs.yaml", "labels": [entry]}))
    with pytest.raises(accuracy.LabelError, match="not a docs boundary: B6"):
        accuracy.load_labels(bad)


def test_find_text_spans_wrapped_and_quoted_lines() -> None:
    lines = ["> First sentence here. The second", "> sentence wraps.", "", "Next."]
    span = accuracy.find_text(lines, 1, "The second sentence wraps.")
    assert span == accuracy.Span(1, 24, 2, 17)
    assert accuracy.find_text(lines, 2, "The second sentence wraps.") is None
    assert accuracy.find_text(lines, 4, "Next.") == accuracy.Span(4, 1, 4, 5)
    assert len(accuracy.each_sentence("docs/a.mdx", "One here. Two here.\n")) == 2


def test_duplicates_are_findings_in_one_sentence(tmp_path: Path) -> None:
    """Two findings of a boundary in one sentence are a duplicate; in two
    sentences that start on one line (one label) they are not."""
    (tmp_path / "a.md").write_text(
        "GitLab runs jobs. Forgejo runs jobs.\nGitLab and\nForgejo run jobs.\n", "utf-8"
    )
    labels = [
        accuracy.Label("a.md", 1, "B7", "claim", "r"),
        accuracy.Label("a.md", 2, "B7", "claim", "r"),
    ]
    rule = "forge-claims-need-proof.named"
    findings = [
        accuracy.Finding(rule, "a.md", 1, 1, "m"),
        accuracy.Finding(rule, "a.md", 1, 19, "m"),
        accuracy.Finding(rule, "a.md", 2, 1, "m"),
        accuracy.Finding(rule, "a.md", 2, 8, "m"),
    ]
    by_sentence = accuracy.score(labels, findings, accuracy.Sentences(tmp_path))
    assert by_sentence.counts["B7"].tp == 2
    assert [d.rule for d in by_sentence.duplicates] == [f"{rule}@2:1, {rule}@2:8"]
    assert accuracy.score(labels, findings).total.duplicates == 2  # by label, without sentences


def test_every_finding_is_labelled(judged: list[object]) -> None:
    unlabelled = [
        f"{d.where} {d.boundary} [{d.rule}] {d.message}"
        for source in judged
        for d in source.score.disagreements  # type: ignore[attr-defined]
        if d.verdict == "unlabelled"
    ]
    assert unlabelled == [], "label these findings (claim or mention):\n" + "\n".join(unlabelled)


def test_accuracy_holds_the_floor(judged: list[object]) -> None:
    total = accuracy.Score()
    for source in judged:
        total.add(source.score)  # type: ignore[attr-defined]
    worse: list[str] = []
    for boundary, (precision, recall) in FLOORS.items():
        counts = total.counts[boundary]
        for name, floor, value in (
            ("precision", precision, counts.precision),
            ("recall", recall, counts.recall),
        ):
            measured = 0.0 if value is None else value
            if measured < floor:
                worse.append(f"{boundary} {name} {measured:.3f} < floor {floor:.2f}")
    duplicates = total.total.duplicates
    if duplicates > MAX_DUPLICATES:
        worse.append(f"{duplicates} duplicate findings > {MAX_DUPLICATES}")
    assert worse == [], "judgment got worse on fixtures/judgment:\n" + "\n".join(worse)


def test_floors_are_rounded_measurements() -> None:
    for precision, recall in FLOORS.values():
        for value in (precision, recall):
            assert 0.0 <= value <= 1.0 and math.isclose(value * 100, round(value * 100))


def test_real_repo_labels_by_reference(tmp_path: Path) -> None:
    """A real-repo label file (inline ledger, surfaces, no text) is judged on a copy;
    an MDX page is Markdown to the scorer as to the engine."""
    name = "example__flywheel@" + "0" * 40
    checkout = tmp_path / "repos" / name
    checkout.mkdir(parents=True)
    (checkout / "README.md").write_text(
        "# Flywheel\n\nForgejo runners are available to every team.\nAdoption is seamless.\n",
        encoding="utf-8",
    )
    (checkout / "docs").mkdir()
    (checkout / "docs" / "pitch.mdx").write_text("It is seamless for everyone.\n", "utf-8")
    label_dir = tmp_path / "labels"
    label_dir.mkdir()
    ledger = yaml.safe_load((FIXTURES / "platform-docs" / "proofs.yaml").read_text())
    labels = {
        "version": 1,
        "repo": "example/flywheel",
        "commit": "0" * 40,
        "ledger": ledger,
        "surfaces": ["docs/pitch.mdx"],
        "labels": [
            {"path": path, "line": line, "boundary": boundary, "verdict": verdict, "reason": "r"}
            for path, line, boundary, verdict in (
                ("README.md", 3, "B7", "claim"),
                ("README.md", 4, "B10", "mention"),
                ("docs/pitch.mdx", 1, "B10", "claim"),
            )
        ],
    }
    label_file = label_dir / f"{name}.yaml"
    label_file.write_text(yaml.safe_dump(labels), encoding="utf-8")
    if shutil.which(PROOFGATE) is None:
        pytest.skip("proofgate is not installed beside this interpreter")
    before = sorted(p.relative_to(checkout) for p in checkout.rglob("*"))
    result = accuracy.judge_real(label_file, checkout, proofgate=[PROOFGATE])
    assert sorted(p.relative_to(checkout) for p in checkout.rglob("*")) == before
    assert result.problems == []
    assert result.score.counts["B7"].tp == 1
    # the surfaces replace the default product surface: README.md is not judged for B10
    assert result.score.counts["B10"].tp == 1
    assert result.score.counts["B10"].fp == 0


def test_real_repo_scope_leaves_unlabelled_files_out(tmp_path: Path) -> None:
    """Findings in files outside a label file's ``scope`` are not judged."""
    name = "example__scoped@" + "0" * 40
    checkout = tmp_path / name
    (checkout / "docs" / "old").mkdir(parents=True)
    claim = "Forgejo runners are available to every team.\n"
    (checkout / "README.md").write_text(claim, encoding="utf-8")
    (checkout / "docs" / "old" / "v1.md").write_text(claim, encoding="utf-8")
    ledger = yaml.safe_load((FIXTURES / "platform-docs" / "proofs.yaml").read_text())
    labels = {
        "version": 1,
        "ledger": ledger,
        "scope": ["*", "!/docs/old/**"],
        "labels": [
            {"path": path, "line": 1, "boundary": "B7", "verdict": "claim", "reason": "r"}
            for path in ("README.md", "docs/old/v1.md")
        ],
    }
    label_file = tmp_path / f"{name}.yaml"
    label_file.write_text(yaml.safe_dump(labels), encoding="utf-8")
    if shutil.which(PROOFGATE) is None:
        pytest.skip("proofgate is not installed beside this interpreter")
    result = accuracy.judge_real(label_file, checkout, proofgate=[PROOFGATE])
    assert result.problems == ["docs/old/v1.md:1: outside the scope"]
    counts = result.score.counts["B7"]
    assert (counts.claims, counts.tp, counts.fp, counts.unlabelled) == (1, 1, 0, 0)


def test_a_bad_label_file_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "example__bad@" + "0" * 40
    (tmp_path / "repos" / name).mkdir(parents=True)
    (tmp_path / "labels").mkdir()
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "labels" / f"{name}.yaml").write_text(
        "version: 1\nledger: {}\nscope: notalist\nlabels: []\n", encoding="utf-8"
    )
    argv = ["--repos", str(tmp_path / "repos"), "--labels", str(tmp_path / "labels")]
    assert accuracy.main([*argv, "--fixtures", str(tmp_path / "fixtures")]) == 2
    assert "scope must be a list of paths" in capsys.readouterr().err


def test_a_proofgate_that_cannot_run_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = tmp_path / "fixtures" / "one"
    (case / "docs").mkdir(parents=True)
    (case / "docs" / "a.md").write_text("GitLab runners are available.\n", encoding="utf-8")
    (case / "proofs.yaml").write_text("primary_forge: github\n", encoding="utf-8")
    (case / "labels.yaml").write_text(
        "version: 1\nledger: proofs.yaml\nlabels:\n"
        "  - {path: docs/a.md, line: 1, boundary: B7, verdict: claim, reason: r}\n",
        encoding="utf-8",
    )
    missing = str(tmp_path / "no-such-proofgate")
    argv = ["--fixtures", str(tmp_path / "fixtures"), "--proofgate", missing]
    assert accuracy.main(argv) == 2
    assert f"cannot run {missing}" in capsys.readouterr().err
    # a fixtures directory that is not there
    assert accuracy.main(["--fixtures", str(tmp_path / "nowhere")]) == 2
    assert "No such file or directory" in capsys.readouterr().err
    # a command that runs but is not proofgate: exit 1 and no report on stdout
    argv = ["--fixtures", str(tmp_path / "fixtures"), "--proofgate", "python -c 'exit(1)'"]
    assert accuracy.main(argv) == 2
    assert "printed no JSON report (exit 1)" in capsys.readouterr().err
