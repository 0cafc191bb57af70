"""``check --fix`` and ``--diff``: span edits from the policies, applied safely."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import stat
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import fixes
from engine.cli import main
from engine.core.finding import Edit, Finding
from engine.core.resources import shipped_policies
from engine.pack import load_policies
from tests.support import REPO, git_copy, run_check

DRIFTING = REPO / "fixtures" / "repos" / "gf-drifting"
NOW = "2026-12-06"
PACK = load_policies([shipped_policies()])


def finding(path: str, *edits: Edit, rule: str = "r") -> Finding:
    first = edits[0] if edits else Edit(1, 1, 1, 1, "")
    return Finding(path, first.line, first.column, rule, "m", "error", 1, 1, edits=edits)


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["check", "--root", str(root), "--now", NOW, *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stdout, result.stderr


def texts(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.parts and ".proofgate_cache" not in p.parts
    }


# --- applying edits ---------------------------------------------------------------------


def test_edits_replace_insert_and_delete_on_the_original_text() -> None:
    text = "alpha\r\nbeta\r\ngamma"
    found = [
        finding("f", Edit(1, 1, 1, 6, "ALPHA")),
        finding("f", Edit(2, 5, 2, 5, "\r\nbeta2")),
        finding("f", Edit(3, 1, 3, 3, "")),
    ]
    after, fixed, skipped = fixes.apply_edits(text, found)
    assert after == "ALPHA\r\nbeta\r\nbeta2\r\nmma"
    assert len(fixed) == 3 and not skipped


def test_an_overlapping_fix_is_skipped_and_a_findings_edits_apply_together() -> None:
    text = "one two three\n"
    first = finding("f", Edit(1, 1, 1, 4, "1"), Edit(1, 9, 1, 14, "3"))
    later = finding("f", Edit(1, 5, 1, 10, "x"))  # crosses "three"
    after, fixed, skipped = fixes.apply_edits(text, [later, first])
    assert after == "1 two 3\n"
    assert fixed == [first] and skipped == [later]


def test_insertions_at_one_point_overlap_but_touching_edits_do_not() -> None:
    a = finding("f", Edit(1, 4, 1, 4, "A"))
    b = finding("f", Edit(1, 4, 1, 4, "B"))
    c = finding("f", Edit(1, 1, 1, 4, "x"))  # ends where the insertions stand
    after, fixed, skipped = fixes.apply_edits("abcdef", [a, b, c])
    assert after == "xAdef"
    assert len(fixed) == 2 and len(skipped) == 1


def test_edits_outside_the_text_are_skipped() -> None:
    bad = [finding("f", Edit(3, 1, 3, 1, "x")), finding("f", Edit(1, 9, 1, 9, "x"))]
    bad.append(finding("f", Edit(1, 3, 1, 2, "x")))  # ends before it starts
    after, fixed, skipped = fixes.apply_edits("abc\n", bad)
    assert after == "abc\n" and not fixed and len(skipped) == 3


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[str, list[tuple[int, int, str]]]:
    lines = draw(st.lists(st.text(st.characters(exclude_characters="\n"), max_size=8), min_size=1))
    text = "\n".join(lines)
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=8)))
    edits = []
    for start, end in zip(cuts[::2], cuts[1::2], strict=False):
        edits.append((start, end, draw(st.text(max_size=5))))
    return text, edits


def _position(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


@settings(max_examples=300)
@given(text_and_edits())
def test_nothing_outside_the_edited_spans_changes(
    case: tuple[str, list[tuple[int, int, str]]],
) -> None:
    """Property: with one edit per finding, the result is the text outside the
    edits, unchanged and in order, with each accepted edit's text in its place."""
    text, spans = case
    found = [
        finding("f", Edit(*_position(text, s), *_position(text, e), new)) for s, e, new in spans
    ]
    after, fixed, skipped = fixes.apply_edits(text, found)
    chosen = {id(f) for f in fixed}  # findings compare by place and rule, not by edits
    accepted = sorted(span for span, f in zip(spans, found, strict=True) if id(f) in chosen)
    expected, last = "", 0
    for start, end, new in accepted:
        assert start >= last
        expected += text[last:start] + new
        last = end
    assert after == expected + text[last:]
    assert len(fixed) + len(skipped) == len(found)


# --- the shipped fixes, end to end ----------------------------------------------------------


def test_diff_prints_the_fixes_and_writes_nothing(tmp_path: Path) -> None:
    root = git_copy(DRIFTING, tmp_path / "repo")
    before = texts(root)
    code, out, err = cli(root, "--diff")
    assert code == 1
    assert texts(root) == before
    assert "--- a/.bazelrc\n+++ b/.bazelrc\n" in out
    assert "-build --remote_cache=grpcs://bazel-cache.honey.internal:443\n" in out
    assert "+build:ci --remote_cache=grpcs://bazel-cache.honey.internal:443\n" in out
    assert "-          flakehub: true\n" in out
    assert "+        continue-on-error: true\n" in out
    assert "-      - uses: DeterminateSystems/flakehub-cache-action@main\n" in out
    assert (
        '-    extra-substituters = [ "https://attic.honey.internal/main"'
        ' "https://cache.flakehub.com" ];' in out
    )
    assert "+substituters = https://cache.nixos.org\n" in out
    assert "would fix 7 findings in 4 files" in err


def test_fix_removes_the_fixable_config_findings_and_leaves_the_docs_ones(tmp_path: Path) -> None:
    root = git_copy(DRIFTING, tmp_path / "repo")
    _, before, _ = cli(root, "--format", "json")
    found = json.loads(before)["findings"]
    fixable = [f for f in found if "edits" in f]
    assert sorted((f["rule"], f["path"]) for f in fixable) == [
        ("bazel-dogfood-is-real.pr-upload", ".github/workflows/ci.yml"),
        ("caches-accelerate-never-gate.bazel-remote-cache", ".bazelrc"),
        ("caches-accelerate-never-gate.cache-run", ".github/workflows/ci.yml"),
        ("flakehub-never-bootstrap.cache-action", ".github/workflows/ci.yml"),
        ("flakehub-never-bootstrap.installer-flag", ".github/workflows/ci.yml"),
        ("flakehub-never-bootstrap.substituter", "flake.nix"),
        ("flakehub-never-bootstrap.substituter", "nix/nix.conf"),
    ]
    assert not [f for f in fixable if f["path"].endswith(".md")]
    code, out, _ = cli(root, "--fix", "--format", "json")
    report = json.loads(out)
    assert code == 1  # findings without a fix remain
    assert report["summary"]["fixed"] == 7
    after = report["findings"]
    key = [(f["rule"], f["path"]) for f in fixable]
    assert not [f for f in after if (f["rule"], f["path"]) in key]
    docs = [f for f in found if f["path"].endswith(".md")]
    assert docs == [f for f in after if f["path"].endswith(".md")]
    # the FlakeHub substituter was also a surface-roles finding, gone with it
    gone = {(f["rule"], f["path"]) for f in found} - {(f["rule"], f["path"]) for f in after}
    assert gone - set(key) == {
        ("surface-roles-stay-distinct.flakehub-as-substituter", "flake.nix"),
        ("surface-roles-stay-distinct.flakehub-as-substituter", "nix/nix.conf"),
    }
    assert len(after) == len(found) - 9
    workflow = (root / ".github/workflows/ci.yml").read_text()
    assert "flakehub: true" not in workflow
    assert '      - run: attic login honey "$ATTIC_SERVER" "$ATTIC_TOKEN"\n' in workflow
    assert "        continue-on-error: true\n" in workflow
    assert (
        "      - run: bazel build --config=ci ${{ startsWith(github.event_name, 'pull_request')"
        " && '--remote_upload_local_results=false' || '' }} //...\n"
    ) in workflow
    assert (root / ".bazelrc").read_text().splitlines()[2] == (
        "build:ci --remote_cache=grpcs://bazel-cache.honey.internal:443"
    )


def test_a_second_fix_changes_nothing_and_the_text_summary_counts(tmp_path: Path) -> None:
    root = git_copy(DRIFTING, tmp_path / "repo")
    code, out, _ = cli(root, "--fix")
    assert code == 1
    assert out.rstrip().endswith("in 10 files checked; 7 fixed, 32 remain")
    fixed = texts(root)
    code, out, _ = cli(root, "--fix")
    assert texts(root) == fixed
    assert out.rstrip().endswith("; 0 fixed, 32 remain")
    code, out, _ = cli(root, "--diff")
    assert (code, out) == (0, "")


def test_fix_exit_code_counts_only_what_remains(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / ".bazelrc").write_text("build --remote_cache=grpcs://cache:443  # the cache\n")
    assert cli(root)[0] == 1
    code, out, _ = cli(root, "--fix", "--select", "caches")
    assert code == 0, out
    assert "1 fixed, 0 remain" in out
    assert (root / ".bazelrc").read_text() == (
        "# The remote cache applies only with --config=ci: pass it where the cache is reachable"
        " (bazel build --config=ci).\nbuild:ci --remote_cache=grpcs://cache:443  # the cache\n"
    )


def test_fix_and_diff_refuse_each_other_and_standard_input(tmp_path: Path) -> None:
    assert cli(tmp_path, "--fix", "--diff")[0] == 2
    result = CliRunner().invoke(
        main, ["check", "-", "--stdin-filename", str(tmp_path / "x.md"), "--fix"], input="hi\n"
    )
    assert result.exit_code == 2


def test_fix_keeps_crlf_line_endings_a_bom_and_the_file_mode(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".github" / "workflows").mkdir(parents=True)
    workflow = root / ".github" / "workflows" / "ci.yml"
    text = (
        "on: push\r\njobs:\r\n  a:\r\n    runs-on: x\r\n    steps:\r\n"
        "      - uses: DeterminateSystems/determinate-nix-action@v3\r\n"
        "        with:   # inputs\r\n"
        "          'flakehub': true\r\n"
        '          extra-conf: "a = b"\r\n'
        "      - run: attic push main ./result\r\n"
    )
    workflow.write_bytes(b"\xef\xbb\xbf" + text.encode())
    workflow.chmod(0o640)
    cli(root, "--fix", "-q")
    data = workflow.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig") == text.replace("          'flakehub': true\r\n", "") + (
        "        continue-on-error: true\r\n"
    )
    assert stat.S_IMODE(workflow.stat().st_mode) == 0o640
    assert not [p for p in workflow.parent.iterdir() if p.name.startswith(".proofgate-fix-")]


def test_fix_never_writes_through_a_symlink(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    target = outside / "nix.conf"
    target.write_text("substituters = https://attic.honey.internal/main\n")
    root = tmp_path / "repo"
    root.mkdir()
    (root / "nix").symlink_to(outside, target_is_directory=True)
    (root / "nix.conf").symlink_to(target)
    (root / "inside.conf").write_text("x = 1\n")
    edit = Edit(1, 1, 1, 13, "extra-substituters")
    planned = fixes.plan(
        root,
        [
            finding("nix/nix.conf", edit),
            finding("nix.conf", edit),
            finding("../outside/nix.conf", edit),
            finding("inside.conf", Edit(1, 1, 1, 2, "y")),
        ],
    )
    assert [f.path for f in planned.files] == ["inside.conf"]
    assert len(planned.notes) == 3
    assert all("not fixed" in note for note in planned.notes)
    assert fixes.write(root, planned) == []
    assert target.read_text() == "substituters = https://attic.honey.internal/main\n"
    assert (root / "inside.conf").read_text() == "y = 1\n"


def test_a_file_that_becomes_a_symlink_before_the_write_is_not_written(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "a.conf").write_text("x = 1\n")
    planned = fixes.plan(root, [finding("a.conf", Edit(1, 1, 1, 2, "y"))])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("x = 1\n")
    (root / "a.conf").unlink()
    (root / "a.conf").symlink_to(elsewhere)
    notes = fixes.write(root, planned)
    assert notes and "symlink" in notes[0]
    assert elsewhere.read_text() == "x = 1\n"
    assert planned.fixed == 0


# --- idempotence and locality over generated repos -----------------------------------------

_STEP = st.sampled_from(
    [
        "- uses: DeterminateSystems/determinate-nix-action@v3\n  with:\n    flakehub: true\n",
        "- uses: DeterminateSystems/nix-installer-action@v16\n  with:\n"
        "    flakehub: 'true'   # on\n    extra-conf: |\n      sandbox = true\n",
        "- run: attic push main ./result\n",
        "- name: warm\n  run: |\n    cachix use lab\n    nix build\n\n",
        "- uses: cachix/cachix-action@v15\n  with: {name: lab}\n",
        "- uses: actions/checkout@v4\n",
        "# a comment between steps\n- run: echo hi  # trailing\n",
    ]
)


@st.composite
def repos(draw: st.DrawFn) -> dict[str, str]:
    indent = " " * draw(st.sampled_from([2, 4]))
    steps = draw(st.lists(_STEP, min_size=1, max_size=4))
    body = "".join(
        "".join(f"{indent * 3}{line}\n" if line else "\n" for line in step.split("\n")[:-1])
        for step in steps
    )
    eol = draw(st.sampled_from(["\n", "\r\n"]))
    workflow = f"on: push\njobs:\n{indent}a:\n{indent * 2}runs-on: x\n{indent * 2}steps:\n{body}"
    options = draw(
        st.lists(st.sampled_from(["--remote_cache=grpcs://c:1", "--jobs 4", "-c opt"]), max_size=3)
    )
    command = draw(st.sampled_from(["build", "test", "common"]))
    bazelrc = f"# rc\n{command} {' '.join(options)}\n" if options else "# rc\n"
    nix = draw(st.sampled_from(["", "substituters = https://attic.honey.internal/main  # only\n"]))
    files = {".github/workflows/ci.yml": workflow, ".bazelrc": bazelrc, "nix.conf": nix}
    return {path: text.replace("\n", eol) for path, text in files.items()}


def _write_repo(root: Path, files: dict[str, str]) -> None:
    if root.exists():
        shutil.rmtree(root)
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())


def _check(root: Path) -> list[Finding]:
    return run_check(PACK, root, (), None, dt.date(2026, 12, 6)).findings


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(repos())
def test_fixing_is_idempotent_and_changes_only_the_edited_lines(
    tmp_path: Path, files: dict[str, str]
) -> None:
    """Property: after --fix, a fixed finding is no longer reported, a second --fix
    changes nothing, and every line outside the fixed findings' edits is kept."""
    root = tmp_path / "repo"
    _write_repo(root, files)
    before = _check(root)
    planned = fixes.plan(root, before)
    done = fixes.fix(root, before, lambda: _check(root))
    assert done.settled
    after = _check(root)
    for file in planned.files:
        touched: set[int] = set()
        for found in file.fixed:
            for edit in found.edits:
                touched.update(range(edit.line, edit.end_line + 1))
        old = file.before.split("\n")
        kept = [line for number, line in enumerate(old, 1) if number not in touched]
        new = (root / file.path).read_bytes().decode().split("\n")
        assert _is_subsequence(kept, new), file.path
    fixed_keys = [(f.rule, f.path) for f in done.fixed]
    for rule, path in set(fixed_keys):
        left = sum(1 for f in after if (f.rule, f.path) == (rule, path))
        had = sum(1 for f in before if (f.rule, f.path) == (rule, path))
        assert left <= had - fixed_keys.count((rule, path))
    snapshot = texts(root)
    again = fixes.fix(root, after, lambda: _check(root))
    assert not again.fixed and texts(root) == snapshot


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(line == other for other in it) for line in small)


def test_json_carries_the_edits(tmp_path: Path) -> None:
    _, out, _ = cli(DRIFTING, "--format", "json")
    found: list[dict[str, Any]] = json.loads(out)["findings"]
    flag = next(f for f in found if f["rule"] == "flakehub-never-bootstrap.installer-flag")
    assert flag["edits"] == [{"line": 13, "column": 1, "end_line": 15, "end_column": 1, "text": ""}]
    assert all("edits" not in f for f in found if f["path"].endswith(".md"))


def test_every_engine_gives_the_same_edits() -> None:
    """regopy and regorus run the compiled edits; the reference evaluator (the
    differential tests' oracle) gives the same spans."""
    from engine.evaluate.reference import Evaluator  # noqa: F401 - imported for its hits

    by_engine = [
        {
            (f.rule, f.path, f.line, f.column): f.edits
            for f in run_check(PACK, DRIFTING, (), None, dt.date(2026, 12, 6), backend).findings
            if f.edits
        }
        for backend in ("regopy", "regorus")
    ]
    assert by_engine[0] == by_engine[1]
    assert len(by_engine[0]) == 7
