"""bench/agreement.py: two labellers of one repo compared, and the pack against each."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import bench_module

PROOFGATE = str(Path(sys.executable).with_name("proofgate"))


agreement = bench_module("agreement")
Label = agreement.accuracy.Label


def _label(line: int, verdict: str, reason: str = "r") -> object:
    return Label("docs/a.md", line, "B7", verdict, reason)


def test_kappa_is_one_for_full_agreement_and_chance_corrected_otherwise() -> None:
    same = {("a", 1, "B7"): "claim", ("a", 2, "B7"): "mention"}
    assert agreement.kappa(same, same) == 1.0
    # 4 pairs: both claim 1, both mention 1, one each way: observed 0.5, chance 0.5
    first = {("a", 1, "B7"): "claim", ("a", 2, "B7"): "claim", ("a", 3, "B7"): "mention"}
    second = {("a", 1, "B7"): "claim", ("a", 3, "B7"): "claim", ("a", 4, "B7"): "mention"}
    assert agreement.kappa(first, second) == pytest.approx(0.0)
    assert agreement.kappa({}, {}) is None


def test_compare_reads_each_labeller_and_leaves_disputed_pairs_out_of_the_agreed_set() -> None:
    first = [_label(1, "claim"), _label(2, "claim"), _label(4, "mention")]
    second = [_label(2, "claim"), _label(3, "claim")]  # line 1 unlabelled: a mention
    pack = {("docs/a.md", 2, "B7"), ("docs/a.md", 3, "B7"), ("docs/a.md", 4, "B7")}
    compared = agreement.compare("x", first, second, pack)
    assert compared.disputed == {("docs/a.md", 1, "B7"), ("docs/a.md", 3, "B7")}
    rows = compared.rows
    assert (rows["second vs first"].tp, rows["second vs first"].fp) == (1, 1)
    assert rows["second vs first"].fn == 1
    assert (rows["pack vs first"].tp, rows["pack vs first"].fp, rows["pack vs first"].fn) == (
        1,
        2,
        1,
    )
    assert (rows["pack vs second"].tp, rows["pack vs second"].fp) == (2, 1)
    # agreed: line 2 a claim, line 4 a mention; lines 1 and 3 are left out
    agreed = rows["pack vs agreed"]
    assert (agreed.tp, agreed.fp, agreed.fn) == (1, 1, 0)


def _label_file(path: Path, verdict: str, reason: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "version: 1\nledger: {primary_forge: github}\nscope: [/docs/]\nlabels:\n"
        f"  - {{path: docs/a.md, line: 1, boundary: B7, verdict: {verdict}, reason: {reason}}}\n",
        encoding="utf-8",
    )


def test_the_command_compares_a_repo_and_lists_its_disputed_sentences(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "someone__docs@" + "0" * 40
    (tmp_path / "repos" / name / "docs").mkdir(parents=True)
    (tmp_path / "repos" / name / "docs" / "a.md").write_text(
        "GitLab runners are available to every team.\n", encoding="utf-8"
    )
    _label_file(tmp_path / "first" / f"{name}.yaml", "claim", "offers GitLab runners")
    _label_file(tmp_path / "second" / f"{name}.yaml", "mention", "names GitLab only")
    _label_file(tmp_path / "second" / f"nobody__else@{'1' * 40}.yaml", "claim", "r")
    argv = ["--repos", str(tmp_path / "repos"), "--labels", str(tmp_path / "first")]
    argv += ["--second", str(tmp_path / "second"), "--proofgate", PROOFGATE]
    assert agreement.main(argv) == 0
    out = capsys.readouterr().out
    assert f"note: skipped nobody__else@{'1' * 40}.yaml: no first labeller's" in out
    assert "| someone__docs | 1 | 0 | 0 |" in out
    assert "docs/a.md:1 B7 first claim, second mention, pack reported" in out
    assert "    second: names GitLab only" in out


def test_a_second_label_file_that_cannot_be_read_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "someone__docs@" + "0" * 40
    (tmp_path / "repos" / name).mkdir(parents=True)
    _label_file(tmp_path / "first" / f"{name}.yaml", "claim", "r")
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / f"{name}.yaml").write_text("version: 2\n", encoding="utf-8")
    argv = ["--repos", str(tmp_path / "repos"), "--labels", str(tmp_path / "first")]
    assert agreement.main([*argv, "--second", str(tmp_path / "second")]) == 2
    assert "version must be 1" in capsys.readouterr().err


def test_every_label_file_of_a_real_repo_follows_the_format() -> None:
    labels = agreement.accuracy.LABELS
    firsts = agreement.accuracy.real_label_files(labels)
    seconds = agreement.accuracy.real_label_files(labels / "second")
    assert len(firsts) >= 40 and len(seconds) >= 16
    for path in [*firsts, *seconds]:
        agreement.accuracy.load_labels(path)  # raises LabelError on a schema problem
    assert {p.name for p in seconds} <= {p.name for p in firsts}  # a second of a first
