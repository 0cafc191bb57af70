"""Inline suppressions: where they apply, what they hide, and what is reported about them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.core.finding import Finding
from engine.core.resources import shipped_policies
from engine.core.rules import SUPPRESSION_EXPIRED, SUPPRESSION_INVALID, SUPPRESSION_UNUSED
from engine.extract.base import SourceFile
from engine.extract.markdown import extract as extract_markdown
from engine.extract.suppressions import Suppression, hash_suppressions, markdown_suppressions
from engine.filters import apply
from engine.pack import load_policies
from tests.support import readme_block, run_check

EXPIRED, INVALID, UNUSED = (
    SUPPRESSION_EXPIRED.id,
    SUPPRESSION_INVALID.id,
    SUPPRESSION_UNUSED.id,
)

REPO = Path(__file__).resolve().parent.parent
DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
NOW = dt.date(2026, 11, 26)
KNOWN = ["forge-claims-need-proof", "forge-claims-need-proof.named", "honey-is-baseline.docs"]


def markdown(text: str, path: str = "README.md") -> list[Suppression]:
    html = extract_markdown(SourceFile(path, text, "markdown")).records["html"]
    return markdown_suppressions(path, text, html)


def finding(
    line: int, rule: str = "forge-claims-need-proof.named", path: str = "README.md"
) -> Finding:
    return Finding(path, line, 1, rule, "m", "error", line, 5)


# Where a suppression applies


def test_markdown_comment_on_its_own_line_covers_the_next_block() -> None:
    text = (
        "# Forges\n"
        "\n"
        "<!-- proofgate-ignore forge-claims-need-proof: archived comparison -->\n"
        "<!-- proofgate-ignore honey-is-baseline.docs, forge-claims-need-proof.named: old -->\n"
        "GitLab runners are supported.\n"
        "Forgejo too.\n"
        "\n"
        "Woodpecker is supported.\n"
    )
    first, second = markdown(text)
    assert (first.line, first.column, first.first, first.last) == (3, 1, 5, 6)
    assert first.names == (("forge-claims-need-proof", 23),)
    assert first.reason == "archived comparison"
    assert (second.first, second.last) == (5, 6)
    assert second.names == (("honey-is-baseline.docs", 23), ("forge-claims-need-proof.named", 47))


def test_markdown_comment_inside_text_covers_its_block() -> None:
    text = (
        "Intro.\n"
        "\n"
        "- GitLab is supported.\n"
        "- Forgejo is supported. <!-- proofgate-ignore forge-claims-need-proof: history -->\n"
        "- Woodpecker too.\n"
        "\n"
        "After.\n"
    )
    (item,) = markdown(text)
    assert (item.line, item.column, item.first, item.last) == (4, 25, 3, 5)


def test_markdown_examples_in_code_are_not_suppressions() -> None:
    text = (
        "```markdown\n<!-- proofgate-ignore forge-claims-need-proof: example -->\n```\n\n"
        "Use `<!-- proofgate-ignore RULE: reason -->` before the block.\n"
    )
    assert markdown(text) == []


def test_markdown_multi_line_comment() -> None:
    text = "  <!--\n  proofgate-ignore forge-claims-need-proof: a long\n  reason -->\nGitLab.\n"
    (item,) = markdown(text)
    assert (item.line, item.column, item.first, item.last, item.reason) == (
        1,
        3,
        4,
        4,
        "a long reason",
    )


def test_hash_comments_cover_the_next_line_or_their_own() -> None:
    text = (
        "jobs:\n"
        "  build:\n"
        "    steps:\n"
        "      # proofgate-ignore flakehub-never-bootstrap: migrating\n"
        "      # proofgate-ignore caches-accelerate-never-gate until=2026-12-31: tracked\n"
        "      - uses: DeterminateSystems/flakehub-cache-action@main\n"
        "      - run: attic login  # proofgate-ignore caches-accelerate-never-gate: guarded\n"
        '      - run: echo "#proofgate-ignore is not a comment here"\n'
    )
    first, second, third = hash_suppressions("ci.yml", text)
    assert (first.line, first.column, first.first, first.last) == (4, 7, 6, 6)
    assert (second.first, second.until, second.until_column) == (6, dt.date(2026, 12, 31), 55)
    assert (third.line, third.column, third.first, third.last) == (7, 27, 7, 7)


@pytest.mark.parametrize(
    ("comment", "problem"),
    [
        ("# proofgate-ignore forge-claims-need-proof", "gives no reason after a colon"),
        ("# proofgate-ignore forge-claims-need-proof:   ", "gives no reason after a colon"),
        ("# proofgate-ignore : because", "names no rule"),
        ("# proofgate-ignore x until=2026-02-30: r", "until=2026-02-30 is not a date (YYYY-MM-DD)"),
        ("# proofgate-ignore x until=soon: r", "until=soon is not a date (YYYY-MM-DD)"),
        ("# proofgate-ignore x for=ever: r", "unknown option 'for=ever' (only until=YYYY-MM-DD)"),
    ],
)
def test_malformed_suppressions(comment: str, problem: str) -> None:
    (item,) = hash_suppressions(".bazelrc", f"{comment}\nbuild --config=ci\n")
    assert item.problem == problem


# What they hide and what is reported


def test_a_suppression_hides_findings_of_its_rules_on_its_lines() -> None:
    (item,) = hash_suppressions(
        "ci.yml", "a: 1\n# proofgate-ignore forge-claims-need-proof: ok\nb: 2\n"
    )
    kept = finding(3, "honey-is-baseline.docs", "ci.yml")
    hidden = [finding(3, "forge-claims-need-proof.named", "ci.yml")]
    elsewhere = [finding(1, path="ci.yml"), finding(3)]
    outcome = apply([*hidden, kept, *elsewhere], [item], KNOWN, NOW)
    assert outcome.suppressed == hidden
    assert outcome.findings == sorted([kept, *elsewhere])


def test_reports_about_suppressions() -> None:
    text = (
        "a: 1  # proofgate-ignore forge-claims-need-proof.nmed, honey-is-baseline.docs: typo\n"
        "b: 2  # proofgate-ignore forge-claims-need-proof until=2026-11-25: expired\n"
        "c: 3  # proofgate-ignore forge-claims-need-proof until=2026-11-26: last day\n"
        "d: 4  # proofgate-ignore forge-claims-need-proof\n"
        "# proofgate-ignore honey-is-baseline.docs: nothing follows\n"
    )
    items = hash_suppressions("ci.yml", text)
    findings = [finding(n, "forge-claims-need-proof.named", "ci.yml") for n in (1, 2, 3, 4)]
    outcome = apply(findings, items, KNOWN, NOW)
    reports = [(f.line, f.column, f.rule, f.severity, f.message) for f in outcome.findings]
    assert reports == [
        (1, 1, "forge-claims-need-proof.named", "error", "m"),
        (1, 26, INVALID, "warning", "this suppression names an unknown rule "
         "'forge-claims-need-proof.nmed' (did you mean 'forge-claims-need-proof.named'?)"),
        (1, 56, UNUSED, "warning",
         "this suppression of 'honey-is-baseline.docs' matches no finding on line 1"),
        (2, 1, "forge-claims-need-proof.named", "error", "m"),
        (2, 50, EXPIRED, "warning",
         "this suppression expired after 2026-11-25 (expired): its findings are reported again"),
        (4, 1, "forge-claims-need-proof.named", "error", "m"),
        (4, 7, INVALID, "warning", "this suppression gives no reason after a colon"),
        (5, 20, UNUSED, "warning",
         "this suppression of 'honey-is-baseline.docs' applies to no line: nothing follows it"),
    ]  # fmt: skip
    assert outcome.suppressed == [findings[2]]
    assert all(f.fix and f.rationale for f in outcome.findings if f.rule.startswith("supp"))


# End to end, with the README's examples


@pytest.fixture
def drifting(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(DRIFTING, root)
    return root


def check(root: Path, *targets: str) -> tuple[list[Finding], int]:
    policy_set = load_policies([shipped_policies()])
    result = run_check(policy_set, root, list(targets), None, NOW)
    return result.findings, result.suppressed


def test_readme_markdown_example_hides_the_claim(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    example = readme_block("Suppressions", "markdown")
    (tmp_path / "docs" / "forges.md").write_text("# Forges\n\n" + example)
    found, suppressed = check(tmp_path)
    assert found == [] and suppressed == 1
    (tmp_path / "docs" / "forges.md").write_text("# Forges\n\n" + example.split("\n", 1)[1])
    found, _ = check(tmp_path)
    assert [f.rule for f in found] == ["forge-claims-need-proof.named"]


def test_readme_yaml_example_hides_the_step_until_its_date(tmp_path: Path) -> None:
    workflow = tmp_path / ".github" / "workflows" / "ci.yml"
    workflow.parent.mkdir(parents=True)
    header = "name: ci\non: [push]\njobs:\n  build:\n    runs-on: ubuntu-latest\n"
    workflow.write_text(header + readme_block("Suppressions", "yaml"))
    policy_set = load_policies([shipped_policies()])
    before = run_check(policy_set, tmp_path, [], None, dt.date(2026, 12, 31))
    assert before.findings == [] and before.suppressed == 1
    after = run_check(policy_set, tmp_path, [], None, dt.date(2027, 1, 1))
    assert [(f.rule, f.line) for f in after.findings] == [
        (EXPIRED, 7),
        ("flakehub-never-bootstrap.cache-action", 8),
    ]


def test_suppressions_in_the_ledger_and_in_config_files(drifting: Path) -> None:
    ledger = drifting / "proofs.yaml"
    text = ledger.read_text()
    riscv = "  riscv: {state: proved, labels: [riscv, riscv64]}\n"
    assert riscv in text
    ledger.write_text(
        text.replace(riscv, riscv[:-1] + "  # proofgate-ignore runner-class-order: lab board\n")
    )
    bazelrc = drifting / ".bazelrc"
    lines = bazelrc.read_text().splitlines(keepends=True)
    lines.insert(
        1, "# proofgate-ignore caches-accelerate-never-gate.bazel-remote-cache: lab only\n"
    )
    bazelrc.write_text("".join(lines))
    found, suppressed = check(drifting)
    rules = {(f.path, f.rule) for f in found}
    assert ("proofs.yaml", "runner-class-order.proved") not in rules
    assert ("proofs.yaml", "runner-class-needs-proof.ledger-no-proofs") in rules
    assert (".bazelrc", "caches-accelerate-never-gate.bazel-remote-cache") not in rules
    assert not {r for _, r in rules if r.startswith("suppression-")}
    assert suppressed == 3  # two runner-class-order findings and the .bazelrc one


def test_reports_follow_the_paths_and_the_configuration(drifting: Path) -> None:
    readme = drifting / "README.md"
    readme.write_text("<!-- proofgate-ignore honey-is-baseline: stale -->\n\n" + readme.read_text())
    found, _ = check(drifting, "docs")
    assert UNUSED not in {f.rule for f in found}, "README.md is not among the paths"
    found, _ = check(drifting, "README.md")
    assert (UNUSED, 1) in {(f.rule, f.line) for f in found}
    (drifting / ".proofgate.toml").write_text('[severity]\n"suppression-unused" = "error"\n')
    result = CliRunner().invoke(
        main, ["check", "--root", str(drifting), "-f", "json", "--now", "2026-11-26", "README.md"]
    )
    unused = [f for f in json.loads(result.stdout)["findings"] if f["rule"] == UNUSED]
    assert [f["severity"] for f in unused] == ["error"]


def test_text_output_counts_suppressed_findings(drifting: Path) -> None:
    readme = drifting / "README.md"
    text = readme.read_text()
    claim = "It is a forge-agnostic runner platform"
    assert claim in text
    readme.write_text(
        text.replace(claim, "<!-- proofgate-ignore forge-claims-need-proof: history -->\n" + claim)
    )
    result = CliRunner().invoke(
        main, ["check", "--root", str(drifting), "--now", "2026-11-26", "README.md"]
    )
    # one per policy and sentence: .agnostic and .named on this sentence are one finding
    assert "note: 1 finding suppressed by proofgate-ignore comments\n" in result.stdout


def test_two_rules_of_one_policy_on_one_sentence_stay_two_findings(tmp_path: Path) -> None:
    """A warn and a deny of one policy hitting one sentence are two findings: hiding
    one (a suppression, disable) never hides the other."""
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "p.policy").write_text(
        'policy p {\n  rationale "r"\n  fix "f"\n\n'
        '  warn a\n    for s in sentences\n    where s.text matches /foo/\n    message "a"\n\n'
        '  deny b\n    for s in sentences\n    where s.text matches /ship/\n    message "b"\n}\n'
    )
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("We ship foo today.\n")
    found = run_check(load_policies([pack]), repo, now=NOW).findings
    assert sorted(f.rule for f in found) == ["p.a", "p.b"]
    (repo / "README.md").write_text("<!-- proofgate-ignore p.a: known -->\nWe ship foo today.\n")
    found = run_check(load_policies([pack]), repo, now=NOW).findings
    assert [f.rule for f in found] == ["p.b"]
