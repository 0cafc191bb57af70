"""The runner-class proof matrix: rendering, embedding with --write, and staleness in check."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import main
from engine.core.resources import shipped_policies
from engine.extract.matrix import (
    CLOSE,
    OPEN,
    build_matrix,
    embed,
    find_regions,
    render_markdown,
    table_lines,
)
from engine.pipeline import load_ledger

REPO = Path(__file__).resolve().parent.parent
VALID = REPO / "fixtures" / "extract" / "ledger" / "valid"
NOW = "2026-06-01"
RULE = "runner-class-needs-proof.matrix"
SHIPPED = str(shipped_policies())

VALID_TABLE = (
    "| Class | State | Proof surfaces | Next |\n"
    "| --- | --- | --- | --- |\n"
    "| kvm | proved | nix-vm-test KVM lane: .github/workflows/kvm-proof.yml, verified 2026-05-02"
    "<br>honey KVM runner soak: https://github.com/tinyland-inc/GloriousFlywheel/actions/runs/14021,"
    " verified 2025-11-20"
    " | re-verify honey KVM runner soak (verified 2025-11-20, over 120 days ago) |\n"
    "| gpu | experimental | — | prove this class next |\n"
    "| macos | backlog | — | only after gpu is proved |\n"
    "| riscv | backlog | — | only after macos is proved |\n"
)

# Every state and every "next" rule: explicit order, a fresh proof, a retired
# class, proved classes out of order, an unnamed and an undated proof, a pipe.
ORDERED_LEDGER = """\
freshness_days: 30
order: [kvm, gpu, macos, riscv, fpga, tpu]
runner_classes:
  gpu:
    state: experimental
    labels: [gpu]
    proofs:
      - {surface: "WebGPU | Dawn smoke", evidence: docs/missing.md, verified: 2026-05-20}
  kvm:
    state: proved
    proofs: [{surface: KVM lane, evidence: "https://example.test/run/1", verified: 2026-05-20}]
  macos: {state: proved, proofs: [{surface: ""}]}
  riscv: {state: retired}
  fpga: {state: backlog}
  tpu: {state: proved, proofs: [{surface: tpu soak, evidence: "https://example.test/a"}]}
"""


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def ledger_repo(tmp_path: Path) -> Path:
    """A copy of the valid fixture repo (ledger, evidence files) to write docs into."""
    repo = tmp_path / "repo"
    shutil.copytree(VALID, repo)
    return repo


def matrix_findings(repo: Path, policies: str, now: str = NOW) -> list[tuple[str, int, int, str]]:
    code, out, err = run("check", "--root", str(repo), "-p", policies, "-f", "json", "--now", now)
    assert code in (0, 1), err
    return [
        (f["path"], f["line"], f["column"], f["message"])
        for f in json.loads(out)["findings"]
        if f["rule"] == RULE
    ]


def doc(newline: str, middle: str = "stale\n") -> str:
    text = f"# Runners\n\nIntro text.\n\n{OPEN}\n{middle}{CLOSE}\n\nAfter the matrix.\n"
    return text.replace("\n", newline)


def region(newline: str) -> str:
    body = VALID_TABLE.rstrip("\n").replace("\n", newline)
    return f"{OPEN}{newline}{newline}{body}{newline}{newline}{CLOSE}"


# Rendering


def test_markdown_from_the_fixture_ledger() -> None:
    code, out, err = run("matrix", "--root", str(VALID), "--now", NOW)
    assert (code, err) == (0, "")
    assert out == VALID_TABLE
    record, _, _ = load_ledger(VALID, None, date(2026, 6, 1))
    assert render_markdown(build_matrix(record, date(2026, 6, 1))) == VALID_TABLE


def test_json_shape() -> None:
    code, out, _ = run("matrix", "--root", str(VALID), "--now", NOW, "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {"version", "classes"} and document["version"] == 1
    classes = document["classes"]
    assert [(c["name"], c["index"], c["state"]) for c in classes] == [
        ("kvm", 0, "proved"),
        ("gpu", 1, "experimental"),
        ("macos", 2, "backlog"),
        ("riscv", 3, "backlog"),
    ]
    assert set(classes[0]) == {"name", "index", "state", "labels", "proofs", "next"}
    assert classes[0]["labels"] == ["kvm", "nix-vm-test"]
    assert classes[0]["proofs"][1] == {
        "surface": "honey KVM runner soak",
        "evidence": "https://github.com/tinyland-inc/GloriousFlywheel/actions/runs/14021",
        "evidence_kind": "url",
        "evidence_exists": True,
        "verified": "2025-11-20",
        "age_days": 193,
        "stale": True,
    }
    assert classes[0]["proofs"][0]["stale"] is False
    assert [c["next"] for c in classes[1:]] == [
        "prove this class next",
        "only after gpu is proved",
        "only after macos is proved",
    ]


def test_next_steps_follow_the_proof_order(tmp_path: Path) -> None:
    (tmp_path / "proofs.yaml").write_text(ORDERED_LEDGER)
    code, out, _ = run("matrix", "--root", str(tmp_path), "--now", NOW)
    assert code == 0
    assert out.splitlines()[2:] == [
        "| kvm | proved | KVM lane: https://example.test/run/1, verified 2026-05-20 | — |",
        "| gpu | experimental | WebGPU \\| Dawn smoke: docs/missing.md (not found),"
        " verified 2026-05-20 | prove this class next |",
        "| macos | proved | unnamed proof: no evidence, never verified"
        " | out of order: gpu is not proved yet; name a proof surface |",
        "| riscv | retired | — | none (retired) |",
        "| fpga | backlog | — | only after gpu is proved |",
        "| tpu | proved | tpu soak: https://example.test/a, never verified"
        " | out of order: gpu is not proved yet; verify tpu soak (never verified) |",
    ]
    # The same proof, once it leaves the 30-day freshness window.
    _, later, _ = run("matrix", "--root", str(tmp_path), "--now", "2026-07-01", "-f", "json")
    kvm = json.loads(later)["classes"][0]
    assert kvm["next"] == "re-verify KVM lane (verified 2026-05-20, over 30 days ago)"


def test_cells_are_escaped_so_the_table_keeps_its_shape(tmp_path: Path) -> None:
    surface = f"a | b {CLOSE} *x* [y]\\n"
    (tmp_path / "proofs.yaml").write_text(
        "runner_classes:\n  kvm:\n    state: experimental\n    proofs:\n"
        f"      - surface: {json.dumps(surface)}\n"
        "        evidence: https://example.test/r\n"
    )
    _, out, _ = run("matrix", "--root", str(tmp_path), "--now", NOW)
    row = out.splitlines()[2]
    assert row.startswith("| kvm | experimental | a \\| b \\<!-- /proofgate:matrix --> \\*x\\*")
    assert "\\[y\\]\\\\n:" in row
    unescaped = row.replace("\\\\", "").replace("\\|", "")
    assert unescaped.count("|") == 5  # four cells
    assert find_regions(f"{OPEN}\n{row}\n{CLOSE}\n")[0].closed  # the cell cannot close the region


# Finding the markers


def test_markers_in_code_inline_or_indented_do_not_count() -> None:
    text = (
        f"Inline `{OPEN}` mention.\n\n```md\n{OPEN}\n{CLOSE}\n```\n\n"
        f"~~~~\n{OPEN}\n~~~\n{CLOSE}\n~~~~\n\n    {OPEN}\n\n   {OPEN}  \nold\n{CLOSE}\n"
    )
    regions = find_regions(text)
    assert [(r.line, r.column, r.closed) for r in regions] == [(16, 4, True)]
    assert embed(text, ["| t |"]).startswith(text[: regions[0].start])


def test_several_regions_and_an_unclosed_one() -> None:
    text = f"{OPEN}\nA\n{OPEN}\nB\n{CLOSE}\nmid\n{OPEN}\nC\n{CLOSE}\n{OPEN}\ntail\n"
    regions = find_regions(text)
    assert [(r.line, r.closed) for r in regions] == [(1, False), (3, True), (7, True), (10, False)]
    assert embed(text, ["T"]) == (
        f"{OPEN}\nA\n{OPEN}\n\nT\n\n{CLOSE}\nmid\n{OPEN}\n\nT\n\n{CLOSE}\n{OPEN}\ntail\n"
    )


# --write


def test_write_replaces_only_between_the_markers(tmp_path: Path) -> None:
    repo = ledger_repo(tmp_path)
    (repo / "README.md").write_text(doc("\n"), newline="")
    crlf = repo / "docs" / "crlf.md"
    crlf.write_bytes(b"\xef\xbb\xbf" + doc("\r\n").encode())
    plain = repo / "docs" / "plain.md"
    plain.write_text("# Plain\n\nNo matrix here.\n")
    code_only = repo / "docs" / "code.md"
    code_only.write_text(f"```\n{OPEN}\n{CLOSE}\n```\n")
    untouched = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (plain, code_only)}

    code, out, err = run("matrix", "--write", "--root", str(repo), "--now", NOW)
    assert (code, err) == (0, "")
    assert out == "updated README.md\nupdated docs/crlf.md\n"
    readme = (repo / "README.md").read_bytes().decode()
    assert readme == doc("\n").replace(f"{OPEN}\nstale\n{CLOSE}", region("\n"))
    data = crlf.read_bytes()
    expected = doc("\r\n").replace(f"{OPEN}\r\nstale\r\n{CLOSE}", region("\r\n"))
    assert data == b"\xef\xbb\xbf" + expected.encode()
    assert b"\n" not in data.replace(b"\r\n", b"")
    for path, (content, mtime) in untouched.items():
        assert (path.read_bytes(), path.stat().st_mtime_ns) == (content, mtime)

    # Idempotent: a second run changes nothing.
    before = {p: p.read_bytes() for p in (repo / "README.md", crlf)}
    code, out, _ = run("matrix", "--write", "--root", str(repo), "--now", NOW)
    assert (code, out) == (0, "proof matrix up to date in 2 files\n")
    assert {p: p.read_bytes() for p in before} == before


def test_write_named_files_only(tmp_path: Path) -> None:
    repo = ledger_repo(tmp_path)
    (repo / "README.md").write_text(doc("\n"))
    (repo / "docs" / "runners.md").write_text(doc("\n"))
    (repo / "docs" / "plain.md").write_text("nothing\n")
    code, out, err = run(
        "matrix", "--write", "--root", str(repo), "--now", NOW,
        str(repo / "docs" / "runners.md"), "docs/plain.md",
    )  # fmt: skip
    assert code == 0
    assert out == "updated docs/runners.md\n"
    assert f"note: docs/plain.md: no {OPEN} marker, left alone" in err
    assert (repo / "README.md").read_text() == doc("\n")
    code, _, err = run("matrix", "--write", "--root", str(repo), "docs/nope.md")
    assert code == 2 and "docs/nope.md: no such file" in err


def test_write_leaves_an_unclosed_marker_alone(tmp_path: Path) -> None:
    repo = ledger_repo(tmp_path)
    text = f"# Runners\n\n{OPEN}\nold table\n"
    (repo / "README.md").write_text(text)
    code, out, err = run("matrix", "--write", "--root", str(repo), "--now", NOW)
    assert code == 0
    assert "README.md:3:1: warning: unclosed matrix marker" in err
    assert out == "no Markdown file embeds the proof matrix (<!-- proofgate:matrix -->)\n"
    assert (repo / "README.md").read_text() == text


def test_no_markers_anywhere(tmp_path: Path) -> None:
    code, out, _ = run("matrix", "--write", "--root", str(ledger_repo(tmp_path)), "--now", NOW)
    assert code == 0
    assert out.startswith("no Markdown file embeds the proof matrix")


# Staleness in check


def test_check_reports_a_stale_matrix_until_write(tmp_path: Path) -> None:
    repo = ledger_repo(tmp_path)
    policies = SHIPPED
    (repo / "README.md").write_text(doc("\n"))
    (repo / "docs" / "open.md").write_text(f"Intro\n\n  {OPEN}\n")
    unclosed = ("docs/open.md", 3, 3, "unclosed matrix marker")
    stale = ("README.md", 5, 1, "embedded proof matrix is out of date with the ledger")
    assert matrix_findings(repo, policies) == [stale, unclosed]

    _, out, _ = run(
        "check", "--root", str(repo), "-p", policies, "-f", "json", "--now", NOW, "README.md"
    )
    finding = next(f for f in json.loads(out)["findings"] if f["rule"] == RULE)
    assert (finding["severity"], finding["end_line"], finding["end_column"]) == ("warning", 5, 26)
    assert "named proof surface" in finding["rationale"]  # the policy's
    assert finding["fix"] == "run proofgate matrix --write"

    assert run("matrix", "--write", "--root", str(repo), "--now", NOW)[0] == 0
    assert matrix_findings(repo, policies) == [unclosed]


def test_check_sees_a_proof_leave_the_freshness_window(tmp_path: Path) -> None:
    (tmp_path / "proofs.yaml").write_text(ORDERED_LEDGER)
    (tmp_path / "runners.md").write_text(doc("\n"))
    policies = SHIPPED
    run("matrix", "--write", "--root", str(tmp_path), "--now", NOW)
    assert matrix_findings(tmp_path, policies, NOW) == []
    assert matrix_findings(tmp_path, policies, "2026-06-15") == []
    assert [f[:2] for f in matrix_findings(tmp_path, policies, "2026-07-01")] == [("runners.md", 5)]


def test_check_without_a_ledger_ignores_markers(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(doc("\n"))
    assert matrix_findings(tmp_path, SHIPPED) == []


def test_embedded_matrix_passes_the_shipped_pack(tmp_path: Path) -> None:
    """The table's own wording must not read as a claim (e.g. 'after gpu is proved')."""
    repo = ledger_repo(tmp_path)
    (repo / "README.md").write_text(f"# GloriousFlywheel\n\n## Runner classes\n\n{OPEN}\n{CLOSE}\n")
    assert run("matrix", "--write", "--root", str(repo), "--now", NOW)[0] == 0
    code, out, err = run(
        "check", "--root", str(repo), "-f", "json", "--now", NOW, "--backend", "regorus"
    )
    assert code in (0, 1), err
    assert [f for f in json.loads(out)["findings"] if f["path"] == "README.md"] == []


# Errors


def test_no_ledger_is_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    code, out, err = run("matrix", "--root", str(tmp_path))
    assert code == 2 and out == ""
    assert "no proof ledger (proofs.yaml not found in" in err
    assert "there is no matrix to render" in err and "--ledger FILE" in err
    code, _, err = run("matrix", "--write", "--root", str(tmp_path))
    assert code == 2 and "no proof ledger" in err
    code, _, err = run("matrix", "--root", str(tmp_path), "--ledger", str(tmp_path / "x.yaml"))
    assert code == 2 and "no such ledger file" in err


def test_invalid_ledger_and_usage_errors_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "proofs.yaml").write_text("runner_classes:\n  kvm: {state: prooved}\n")
    code, out, err = run("matrix", "--root", str(tmp_path))
    assert code == 2 and "proofs.yaml:2:" in err and "Traceback" not in out + err
    code, _, err = run("matrix", "--root", str(VALID), "README.md")
    assert code == 2 and "FILES are only used with --write" in err
    code, _, err = run("matrix", "--root", str(VALID), "--write", "-f", "json")
    assert code == 2
    code, _, err = run("matrix", "--root", str(VALID), "--now", "yesterday")
    assert code == 2 and "--now yesterday: not a date" in err


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_table_lines_round_trip_through_embed(newline: str) -> None:
    record, _, _ = load_ledger(VALID, None, date(2026, 6, 1))
    lines = table_lines(build_matrix(record, date(2026, 6, 1)))
    once = embed(doc(newline), lines)
    assert embed(once, lines) == once
    assert once.replace(region(newline), "") == doc(newline).replace(
        f"{OPEN}{newline}stale{newline}{CLOSE}", ""
    )
