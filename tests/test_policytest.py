"""``proofgate test``: annotated cases next to the policies, run end to end."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from engine.cli import main
from engine.policytest.cases import annotation_lines, annotation_style

REPO = Path(__file__).resolve().parent.parent

POLICY = r"""
policy no-foo {
  severity error
  rationale "Foo is not allowed."
  fix "Remove foo."

  deny prose
    for s in sentences
    where s.text matches /\bfoo\b/i
    message "mentions foo: \"{s.text}\""

  deny loud
    for s in sentences
    where s.text matches /!/
    message "shouts"

  deny setting
    for v in config_values
    where v.key == "mode" and v.value == "foo"
    message "mode is foo"

  deny nix
    for n in nix_settings
    where n.key == "foo"
    message "nix sets foo"
}

policy no-bar {
  severity warning
  rationale "Bar is not allowed."
  fix "Remove bar."

  deny prose
    for s in sentences
    where s.text matches /\bbar\b/i
    message "mentions bar"
}
"""

PASSING = {
    "README.md": (
        "# Notes\n"
        "\n"
        "<!-- expect: no-foo.prose -->\n"
        "We use foo here.\n"
        "\n"
        "<!-- ok: no-foo -->\n"
        "We use nothing here.\n"
        "\n"
        "<!-- expect: no-foo -->\n"
        "Foo again, and bar (a rule of another policy, not compared).\n"
        "\n"
        "<!-- expect: no-foo.prose -->\n"
        "Foo is back.\n"
        "\n"
        "<!-- expect: no-foo.loud -->\n"
        "Loud!\n"
    ),
    "config.yml": "# expect: no-foo.setting\nmode: foo\n# ok: no-foo.setting\nother: foo\n",
    "settings.toml": '# expect: no-foo.setting\nmode = "foo"\n',
}


def make_pack(root: Path, cases: dict[str, dict[str, str]], policy: str = POLICY) -> Path:
    """A policy directory with ``tests/<policy>/<case>/`` folders holding ``files``."""
    pack = root / "pack"
    pack.mkdir(exist_ok=True)
    (pack / "p.policy").write_text(policy)
    for case, files in cases.items():
        for rel, text in files.items():
            path = pack / "tests" / case / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return pack


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["test", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def run_json(pack: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run("-p", str(pack), "-f", "json", *args)
    assert code in (0, 1), err
    report: dict[str, Any] = json.loads(out)
    return code, report


def case_of(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["cases"] if c["case"] == name)
    return found


def test_passing_case_with_markdown_yaml_and_toml_annotations(tmp_path: Path) -> None:
    pack = make_pack(tmp_path, {"no-foo/passing": PASSING})
    code, out, err = run("-p", str(pack))
    assert code == 0, out + err
    assert out.splitlines()[0] == "PASS no-foo/passing"
    assert out.rstrip().endswith("1 case: 1 passed, 0 failed (no-foo 6 expect, 2 ok)")


def test_missing_expected_finding_fails_with_a_diff(tmp_path: Path) -> None:
    files = {"README.md": "<!-- expect: no-foo.prose -->\nNothing to see.\n\nFoo is here.\n"}
    pack = make_pack(tmp_path, {"no-foo/missing": files})
    code, out, _ = run("-p", str(pack))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("FAIL no-foo/missing  (")
    assert lines[1] == "    - README.md:2 no-foo.prose  (expected at README.md:1)"
    assert lines[2] == '    + README.md:4 no-foo.prose  (mentions foo: "Foo is here.")'
    assert "1 case: 0 passed, 1 failed" in out


def test_unexpected_finding_fails(tmp_path: Path) -> None:
    pack = make_pack(tmp_path, {"no-foo/extra": {"README.md": "All fine.\n\nFoo is here.\n"}})
    code, report = run_json(pack)
    assert code == 1
    case = case_of(report, "no-foo/extra")
    assert case["status"] == "fail"
    assert case["missing"] == []
    assert [(u["path"], u["line"], u["rule"], u["ok"]) for u in case["unexpected"]] == [
        ("README.md", 3, "no-foo.prose", None)
    ]


def test_ok_annotation_violated(tmp_path: Path) -> None:
    files = {"README.md": "<!-- ok: no-foo.prose -->\nFoo is here.\n"}
    pack = make_pack(tmp_path, {"no-foo/ok": files})
    code, out, _ = run("-p", str(pack))
    assert code == 1
    assert "    + README.md:2 no-foo.prose  (ok at README.md:1: mentions foo" in out


def test_expectations_in_case_yaml_for_a_json_file(tmp_path: Path) -> None:
    files = {
        "data.json": '{\n  "mode": "foo",\n  "x": 1\n}\n',
        "case.yaml": (
            "now: 2026-01-01\n"
            "expect:\n"
            "  - {path: data.json, line: 2, rule: no-foo.setting}\n"
            "ok:\n"
            "  - {path: data.json, line: 3, rule: no-foo}\n"
        ),
    }
    pack = make_pack(tmp_path, {"no-foo/json": files})
    code, report = run_json(pack)
    assert code == 0, report
    case = case_of(report, "no-foo/json")
    assert (case["status"], case["expect"], case["ok"]) == ("pass", 1, 1)
    assert case["exercised"] == ["no-foo.setting"]


def test_annotations_in_nix_conf_and_bazelrc(tmp_path: Path) -> None:
    files = {
        "nix.conf": "# expect: no-foo.nix\nfoo = bar\n# ok: no-foo\nsubstituters = x\n",
        ".bazelrc": "# ok: no-foo\nbuild --foo\n",
    }
    pack = make_pack(tmp_path, {"no-foo/nix": files})
    code, report = run_json(pack)
    assert code == 0, report
    assert case_of(report, "no-foo/nix")["expect"] == 1


def test_coverage_lists_unexercised_clauses(tmp_path: Path) -> None:
    pack = make_pack(tmp_path, {"no-foo/passing": PASSING})
    _, report = run_json(pack)
    by_policy = {c["policy"]: c for c in report["coverage"]}
    assert by_policy["no-foo"]["cases"] == 1
    assert by_policy["no-foo"]["rules"] == {
        "no-foo.prose": 1,
        "no-foo.loud": 1,
        "no-foo.setting": 1,
        "no-foo.nix": 0,
    }
    assert by_policy["no-foo"]["unexercised"] == ["no-foo.nix"]
    assert by_policy["no-bar"] == {
        "policy": "no-bar",
        "cases": 0,
        "rules": {"no-bar.prose": 0},
        "unexercised": ["no-bar.prose"],
    }
    _, out, _ = run("-p", str(pack))
    assert re.search(r"^    no-foo\.nix +0  not exercised$", out, re.MULTILINE), out
    assert "2 of 5 rules not exercised by any case" in out


def test_unknown_rule_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    files = {"README.md": "Intro.\n<!-- expect: no-foo.prse -->\nFoo.\n"}
    pack = make_pack(tmp_path, {"no-foo/typo": files})
    code, out, err = run("-p", str(pack))
    assert code == 2
    assert out == ""
    assert "tests/no-foo/typo/README.md:2:14: unknown rule 'no-foo.prse'" in err
    assert "hint: did you mean 'no-foo.prose'?" in err
    assert "Traceback" not in err


def test_rule_of_another_policy_is_an_error(tmp_path: Path) -> None:
    files = {"config.yml": "a: 1\n# ok: no-bar\nmode: foo\n"}
    pack = make_pack(tmp_path, {"no-foo/other": files})
    code, _, err = run("-p", str(pack))
    assert code == 2
    assert (
        "config.yml:2:7: 'no-bar' belongs to policy 'no-bar', but this case tests 'no-foo'" in err
    )


def test_annotation_without_a_rule_or_a_following_line(tmp_path: Path) -> None:
    files = {"README.md": "<!-- expect: -->\nFoo.\n<!-- ok: no-foo -->\n"}
    pack = make_pack(tmp_path, {"no-foo/empty": files})
    code, _, err = run("-p", str(pack))
    assert code == 2
    assert "README.md:1:13: this annotation names no rule" in err
    assert "README.md:3:9: this annotation is at the end of the file" in err


def test_malformed_case_yaml_is_an_error_naming_file_line_and_field(tmp_path: Path) -> None:
    files = {
        "data.json": "{}\n",
        "case.yaml": (
            "now: 20260101\n"
            "expect:\n"
            "  - {path: data.json, line: two, rule: no-foo}\n"
            "  - {path: gone.json, line: 1, rule: no-foo}\n"
            "okay: []\n"
        ),
    }
    pack = make_pack(tmp_path, {"no-foo/bad": files})
    code, out, err = run("-p", str(pack))
    assert (code, out) == (2, "")
    assert "case.yaml:1:1: now: not a date in YYYY-MM-DD form" in err
    assert "case.yaml:3:23: expect[0].line: Input should be a valid integer" in err
    assert "case.yaml:5:1: unknown key 'okay' (known keys: now, expect, ok)" in err
    assert "Traceback" not in err


def test_case_yaml_naming_a_missing_file_or_invalid_yaml(tmp_path: Path) -> None:
    missing = {"case.yaml": "expect:\n  - {path: gone.json, line: 1, rule: no-foo}\n"}
    broken = {"case.yaml": "expect: [\n"}
    pack = make_pack(tmp_path, {"no-foo/missing": missing, "no-foo/broken": broken})
    code, _, err = run("-p", str(pack))
    assert code == 2
    assert "missing/case.yaml:2:5: expect: no file 'gone.json' in this case" in err
    assert "broken/case.yaml:2:1:" in err


def test_unknown_policy_folder_is_an_error(tmp_path: Path) -> None:
    pack = make_pack(tmp_path, {"no-fo/case": {"README.md": "Hi.\n"}})
    code, _, err = run("-p", str(pack))
    assert code == 2
    assert "tests/no-fo: no policy 'no-fo' among the loaded policies" in err
    assert "did you mean 'no-foo'?" in err


def test_k_selects_cases_by_name(tmp_path: Path) -> None:
    failing = {"README.md": "Foo.\n"}
    pack = make_pack(tmp_path, {"no-foo/passing": PASSING, "no-foo/failing": failing})
    code, out, _ = run("-p", str(pack))
    assert code == 1
    assert "FAIL no-foo/failing" in out
    assert "PASS no-foo/passing" in out
    code, report = run_json(pack, "-k", "no-foo/pass")
    assert code == 0
    assert [c["case"] for c in report["cases"]] == ["no-foo/passing"]
    code, out, _ = run("-p", str(pack), "-k", "nothing-matches")
    assert code == 0
    assert "no cases found" in out


def test_json_report(tmp_path: Path) -> None:
    cases = {"no-foo/passing": PASSING, "no-foo/failing": {"README.md": "Foo.\n"}}
    code, report = run_json(make_pack(tmp_path, cases))
    assert code == 1
    assert set(report) == {"version", "cases", "coverage", "summary"}
    assert report["version"] == 1
    assert report["summary"] == {
        "cases": 2,
        "passed": 1,
        "failed": 1,
        "annotations": {"no-foo": {"expect": 6, "ok": 2}},
    }
    failing = case_of(report, "no-foo/failing")
    assert failing["path"].endswith("pack/tests/no-foo/failing")
    assert failing["unexpected"] == [
        {
            "path": "README.md",
            "line": 1,
            "column": 1,
            "rule": "no-foo.prose",
            "message": 'mentions foo: "Foo."',
            "ok": None,
        }
    ]


def test_parse_errors_fail_a_case_unless_expected(tmp_path: Path) -> None:
    broken = {"config.yml": "a: 1\na: 2\n"}
    expected = {"config.yml": "a: 1\n# expect: parse-error\na: 2\n"}
    pack = make_pack(tmp_path, {"no-foo/broken": broken, "no-foo/expected": expected})
    _, report = run_json(pack)
    assert case_of(report, "no-foo/broken")["unexpected"][0]["rule"] == "parse-error"
    assert case_of(report, "no-foo/expected")["status"] == "pass"


def test_invalid_ledger_in_a_case_is_an_error_at_the_case_path(tmp_path: Path) -> None:
    pack = make_pack(tmp_path, {"no-foo/ledger": {"proofs.yaml": "forges: 3\n"}})
    code, _, err = run("-p", str(pack))
    assert code == 2
    assert "tests/no-foo/ledger/proofs.yaml:1:1: invalid ledger" in err


def test_markdown_annotations_cover_the_block_they_open(tmp_path: Path) -> None:
    readme = (
        "<!-- expect: no-foo.prose -->\n"
        "We use\n"
        "foo here.\n"
        "\n"
        "<!-- ok: no-foo -->\n"
        "| Tool | Note |\n"
        "|------|------|\n"
        "| x | Foo lives here. |\n"
    )
    pack = make_pack(tmp_path, {"no-foo/blocks": {"README.md": readme}})
    code, out, _ = run("-p", str(pack))
    assert code == 1
    assert "    + README.md:8 no-foo.prose  (ok at README.md:5: mentions foo" in out
    assert "README.md:3 no-foo.prose" not in out  # the paragraph's expect is met on line 3


def test_missing_block_expectation_shows_the_line_range(tmp_path: Path) -> None:
    readme = "<!-- expect: no-foo -->\nNothing\nhere.\n\nNor here.\n"
    pack = make_pack(tmp_path, {"no-foo/range": {"README.md": readme}})
    code, out, _ = run("-p", str(pack))
    assert code == 1
    assert "    - README.md:2-3 no-foo  (expected at README.md:1)" in out


def test_hash_annotations_cover_one_line_and_case_yaml_any_line(tmp_path: Path) -> None:
    files = {
        "config.yml": "# expect: no-foo.setting\nother: 1\nmode: foo\n",
        "README.md": "We use\nfoo here.\n",
        "case.yaml": "expect:\n  - {path: README.md, line: 2, rule: no-foo.prose}\n",
    }
    pack = make_pack(tmp_path, {"no-foo/lines": files})
    code, report = run_json(pack)
    assert code == 1
    case = case_of(report, "no-foo/lines")
    assert case["missing"] == [
        {
            "path": "config.yml",
            "line": 2,
            "end_line": 2,
            "rule": "no-foo.setting",
            "origin": "config.yml:1",
        }
    ]
    assert [(u["path"], u["line"]) for u in case["unexpected"]] == [("config.yml", 3)]


def test_annotation_lines_apply_to_the_next_non_annotation_line() -> None:
    text = "<!-- expect: a -->\n  <!-- ok: b, c -->\nline\nmore\n\n<!--expect:d-->\n"
    markdown = annotation_style("docs/README.md")
    assert markdown is not None
    found = [
        (n, m.group(1), m.group(2).strip(), first, last)
        for n, m, first, last in annotation_lines(text, markdown)
    ]
    assert found == [
        (1, "expect", "a", 3, 4),
        (2, "ok", "b, c", 3, 4),
        (6, "expect", "d", None, 0),
    ]
    hash_style = annotation_style(".github/workflows/ci.yml")
    assert hash_style is not None
    [(_, _, first, last)] = annotation_lines("# ok: x\na: 1\nb: 2\n", hash_style)
    assert (first, last) == (2, 2)


def test_shipped_policy_tests_pass() -> None:
    code, out, err = run("-p", str(REPO / "policies"), "-f", "json")
    assert code == 0, out + err
    report = json.loads(out)
    per_policy: dict[str, int] = {}
    for case in report["cases"]:
        per_policy[case["policy"]] = per_policy.get(case["policy"], 0) + 1
    # Every one of the ten boundaries has at least 8 cases, and every case passes.
    assert len(per_policy) == 10 and min(per_policy.values()) >= 8, per_policy


FIXING = """
policy no-foo {
  severity error
  rationale "Foo is not allowed."
  fix "Rename foo to bar."

  deny nix
    for n in nix_settings
    where n.key == "foo"
    message "nix sets foo"
    edit replace n.spans.key with "bar"
}
"""
FIX_CASE = {"nix.conf": "# expect: no-foo.nix\nfoo = 1  # kept\n"}


def test_a_fix_must_give_the_fixed_file(tmp_path: Path) -> None:
    """``FILE.fixed`` holds FILE after ``check --fix``; the fix is run in a copy, and
    the case fails when it gives another text, when a fixed file has no ``.fixed``
    twin, or when a ``.fixed`` file is left unchanged."""
    good = {**FIX_CASE, "nix.conf.fixed": "# expect: no-foo.nix\nbar = 1  # kept\n"}
    wrong = {**FIX_CASE, "nix.conf.fixed": "# expect: no-foo.nix\nbaz = 1  # kept\n"}
    unchanged = {"other.conf": "x = 1\n", "other.conf.fixed": "x = 2\n"}
    cases = {
        "no-foo/good": good,
        "no-foo/wrong": wrong,
        "no-foo/none": FIX_CASE,
        "no-foo/unchanged": unchanged,
    }
    pack = make_pack(tmp_path, cases, FIXING)
    code, report = run_json(pack)
    assert code == 1
    assert case_of(report, "no-foo/good")["status"] == "pass"
    assert case_of(report, "no-foo/good")["fixes"] == {"files": ["nix.conf"], "problems": []}
    problems = case_of(report, "no-foo/wrong")["fixes"]["problems"]
    assert problems[0] == "nix.conf: the fixes do not give nix.conf.fixed"
    assert "  -baz = 1  # kept" in problems and "  +bar = 1  # kept" in problems
    assert case_of(report, "no-foo/none")["fixes"]["problems"] == [
        "nix.conf: fixed by no-foo.nix, but there is no nix.conf.fixed"
    ]
    assert case_of(report, "no-foo/unchanged")["fixes"]["problems"] == [
        "other.conf: the fixes do not give other.conf.fixed",
        "  --- other.conf.fixed",
        "  +++ fixed",
        "  @@ -1 +1 @@",
        "  -x = 2",
        "  +x = 1",
    ]
    assert (pack / "tests/no-foo/good/nix.conf").read_text() == FIX_CASE["nix.conf"]
    _, out, _ = run("-p", str(pack))
    assert "    ! nix.conf: the fixes do not give nix.conf.fixed" in out


def test_a_fix_that_does_not_remove_its_finding_fails(tmp_path: Path) -> None:
    """A fix that leaves its finding (here: writes it again) fails the case: the
    finding is still reported, and the fixes never settle."""
    again = FIXING.replace('with "bar"', 'with "foo = 1\\nfoo"')
    case = {**FIX_CASE, "nix.conf.fixed": "bar = 1\n"}
    pack = make_pack(tmp_path, {"no-foo/again": case}, again)
    _, report = run_json(pack)
    problems = case_of(report, "no-foo/again")["fixes"]["problems"]
    assert "the fixes still change files after 10 passes" in problems
    assert "nix.conf: no-foo.nix is still reported after its fix" in problems


def test_a_fixed_file_that_is_a_symlink_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret\n")
    pack = make_pack(tmp_path, {"no-foo/link": FIX_CASE}, FIXING)
    (pack / "tests/no-foo/link/nix.conf.fixed").symlink_to(secret)
    code, out, err = run("-p", str(pack))
    assert code == 1
    assert "! nix.conf.fixed: not read: a symlink (nix.conf.fixed) is not followed" in out
    assert "top secret" not in out + err
