"""Bad policies: exit code 2, ``file:line:col: message`` with the source line and a
caret, never a traceback. The parser's own property (arbitrary text parses or
raises ProofgateError) is tests/dsl/test_parser.py::test_arbitrary_text_parses_or_raises_our_error.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.reliability.support import COMPLIANT, Outcome, run_cli, write_files

HEADER = 'policy p {\n  rationale "why"\n  fix "how"\n'


def check_with(tmp_path: Path, files: dict[str, str | bytes], root: Path = COMPLIANT) -> Outcome:
    policies = write_files(tmp_path / "policies", files)
    return run_cli("check", "--root", str(root), "-p", str(policies))


def clause(body: str) -> str:
    return HEADER + f"  {body}\n}}\n"


def assert_error_at(outcome: Outcome, where: str, message: str) -> None:
    """Exit 2, and ``where`` (file:line:col) followed by ``message`` on one line of stderr,
    then the offending source line with a caret under the column."""
    assert outcome.code == 2, outcome.stdout
    lines = outcome.stderr.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(where + ": "))
    assert message in lines[first]
    column = int(where.rsplit(":", 1)[1])
    assert lines[first + 2] == "    " + " " * (column - 1) + "^"


SYNTAX_ERRORS = [
    ("policy p { severty error }", "1:12", "unexpected 'severty'"),
    ("policy P {}", "1:8", "unexpected 'P'"),
    ('policy p {\n  rationale "a" @\n}', "2:17", "unexpected character '@'"),
    ('policy p {\n  rationale "a"\n', "2:16", "unexpected end of file"),
    ('policy p {\n  rationale "no end\n}', "2:13", "unexpected character '\"'"),
    (clause("deny for s in sentences where s.text matches /open message x"), "4:48", "'/'"),
    (clause('deny for s in sentences where message "m"'), "4:41", "unexpected '\"m\"'"),
    (
        clause('deny for s in sentences where (s.line > 1 message "m"'),
        "4:45",
        "unexpected 'message'",
    ),
    (clause('deny Named for s in sentences message "m"'), "4:8", "unexpected 'Named'"),
    ('policy p { rationale "a\\q" fix "b" deny for s in x message "m" }', "1:22", "invalid escape"),
    ("policy p {\n  severity error\n  severity info\n}\n", "3:3", "'severity' is given twice"),
    (
        'policy p {\n  fix "f"\n  deny for s in sentences message "m"\n}\n',
        "1:1",
        "has no rationale",
    ),
    ('policy p {\n  rationale "r"\n  fix "f"\n}\n', "1:1", "has no deny or warn clause"),
    ("pattern = /x/\n", "1:9", "unexpected '='"),
]


@pytest.mark.parametrize(("source", "where", "message"), SYNTAX_ERRORS)
def test_every_syntax_error_class(tmp_path: Path, source: str, where: str, message: str) -> None:
    outcome = check_with(tmp_path, {"bad.policy": source})
    assert_error_at(outcome, f"{tmp_path}/policies/bad.policy:{where}", message)


SEMANTIC_ERRORS = [
    # unknown names, fields and functions (with "did you mean")
    ('deny for s in sentence message "m"', "4:17", "unknown name 'sentence'"),
    ('deny for s in sentences where s.txt == "a" message "m"', "4:33", "no field 'txt'"),
    ('deny for s in sentences where cont(s.text) > 1 message "m"', "4:33", "unknown function"),
    ('deny for s in sentences message "{s.nope}"', "4:37", "no field 'nope'"),  # at {s.nope}
    ('deny for s in sentences message "{s.text"', "4:27", "unbalanced brace in the message"),
    ('deny for s in sentences message "{s text}"', "4:37", "not a variable or field path"),
    ('deny for s in sentences where s.text matches hedge2 message "m"', "4:48", "unknown pattern"),
    # type errors
    ('deny for s in sentences where s.line == "3" message "m"', "4:33", "cannot compare a num"),
    ('deny for s in sentences where s.line startswith "3" message "m"', "4:33", "needs strings"),
    ('deny for s in sentences where "x" in ledger.forges message "m"', "4:33", "'in' needs a list"),
    ('deny for s in sentences where s.text message "m"', "4:33", "is not a condition"),
    ('deny for s in sentences where count(s.line, 2) > 0 message "m"', "4:33", "count takes one"),
    ('deny for s in sentences where count(s.text) > 9 message "m"', "4:39", "count of a string"),
    (
        'deny for s in sentences where s.text < "b" message "m"',
        "4:33",
        "orders numbers, not strings",
    ),
    ('deny for s in sentences, c in s.text message "m"', "4:33", "cannot range over a str"),
    ('deny for s in sentences where s.line matches /3/ message "m"', "4:33", "matches needs a str"),
    # bindings and positions
    ('deny for s in sentences where forge == "x" message "m"', "4:33", "unknown name 'forge'"),
    ('deny for s in sentences, s in code message "m"', "4:28", "'s' is already a name"),
    ('deny for s in sentences message "m" at t', "4:3", "'at t' names no variable"),
    ('deny for l in ledger.repo message "m"', "4:17", "cannot range over a str"),
]


@pytest.mark.parametrize(("body", "where", "message"), SEMANTIC_ERRORS)
def test_unknown_names_and_type_errors(tmp_path: Path, body: str, where: str, message: str) -> None:
    outcome = check_with(tmp_path, {"bad.policy": clause(body)})
    assert_error_at(outcome, f"{tmp_path}/policies/bad.policy:{where}", message)


@pytest.mark.parametrize(
    ("regex", "message"),
    [
        ("/(unclosed/", "invalid regular expression: missing )"),
        ("/[z-a]/", "invalid regular expression: bad character range"),
        ("/(?i)gitlab/", "inline flags like (?i) are not allowed"),
        ("/gitlab/x", "unknown regex flag 'x'"),
        ("/" + "a" * 5000 + "/", "longer than 4096 characters"),
    ],
)
def test_invalid_regular_expressions(tmp_path: Path, regex: str, message: str) -> None:
    source = clause(f'deny for s in sentences where s.text matches {regex} message "m"')
    outcome = check_with(tmp_path, {"bad.policy": source})
    assert_error_at(outcome, f"{tmp_path}/policies/bad.policy:4:48", message)


def test_a_regex_time_out_is_that_files_finding_and_the_rest_is_checked(tmp_path: Path) -> None:
    """A pattern meets text that makes it run too long (a backtracking pattern, or a
    sentence of megabytes): the match's time limit ends it within seconds, the record
    is reported (check-timeout, naming the pattern and where it is written) and not
    judged by that pattern, and every other file is still checked: exit 1, not 2."""
    repo = write_files(
        tmp_path / "repo",
        {"docs/a.md": "Intro.\n\n" + "a" * 5000 + "b\n", "docs/b.md": "aaaa\n"},
    )
    source = "pattern doubled = /^(a|aa)+$/\n" + clause(
        'deny for s in sentences where s.text matches doubled message "m"'
    )
    started = time.monotonic()
    outcome = check_with(tmp_path, {"slow.policy": source}, root=repo)
    assert time.monotonic() - started < 30  # the limit is 0.25 s per match
    assert outcome.code == 1, outcome.stderr
    lines = outcome.stdout.splitlines()
    timeout = next(line for line in lines if "check-timeout" in line)
    assert "docs/a.md:3:1" in timeout
    assert "regex /^(a|aa)+$/ ran longer than 0.25 s on this text" in timeout
    assert f"the pattern is written at {tmp_path}/policies/slow.policy:1:19" in timeout
    assert any("docs/b.md:1:1" in line and "  m" in line for line in lines)  # still judged


def test_duplicate_policy_ids_and_patterns(tmp_path: Path) -> None:
    one = "pattern hedge2 = /x/\n" + clause('deny for s in sentences message "m"')
    two = "pattern hedge2 = /y/\n" + clause('deny for s in sentences message "n"')
    outcome = check_with(tmp_path, {"a.policy": one, "b.policy": two})
    where = f"{tmp_path}/policies"
    assert_error_at(outcome, f"{where}/b.policy:1:1", "pattern 'hedge2' is defined twice")
    assert_error_at(outcome, f"{where}/b.policy:2:1", f"already used at {where}/a.policy:2")


def test_empty_and_missing_policy_directories(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "README.md").write_text("no policies here\n")
    outcome = run_cli("check", "--root", str(COMPLIANT), "-p", str(tmp_path / "empty"))
    assert outcome.code == 2
    assert outcome.stderr == f"{tmp_path}/empty: no .policy or .rego files in this directory\n"
    outcome = run_cli("check", "--root", str(COMPLIANT), "-p", str(tmp_path / "nope"))
    assert outcome.code == 2
    assert outcome.stderr == f"{tmp_path}/nope: no such file or directory\n"


def test_policy_file_that_is_not_utf8(tmp_path: Path) -> None:
    source = ("# café\n" + clause('deny for s in sentences message "m"')).encode("latin-1")
    outcome = check_with(tmp_path, {"latin1.policy": source})
    assert outcome.code == 2
    assert outcome.stderr == f"{tmp_path}/policies/latin1.policy:1:6: not valid UTF-8 (byte 0xe9)\n"


def test_every_error_of_a_pass_is_reported_at_once(tmp_path: Path) -> None:
    source = clause(
        'deny for s in sentences where s.txt == "a" and s.line == "b" message "{s.nope}"'
    )
    outcome = check_with(tmp_path, {"bad.policy": source})
    assert outcome.code == 2
    located = [line for line in outcome.stderr.splitlines() if "bad.policy:4:" in line]
    assert len(located) == 3


def test_composed_patterns_are_bounded_inlined_not_as_written(tmp_path: Path) -> None:
    """A pattern is held to 4096 characters as written; inlining the patterns it
    names may make it longer (up to 16384), as composing a hedge before and after a
    word does, but no longer."""
    part = "pattern part = /" + "a" * 3000 + "/\n"
    twice = part + "pattern twice = /(?&part)x|(?&part)y/\n"
    ok = check_with(
        tmp_path / "ok",
        {
            "ok.policy": twice
            + clause('deny for s in sentences where s.text matches twice message "m"')
        },
    )
    assert ok.code in (0, 1), ok.stderr
    six = part + "pattern six = /" + "(?&part)" * 6 + "/\n"
    bad = check_with(
        tmp_path / "bad",
        {
            "bad.policy": six
            + clause('deny for s in sentences where s.text matches six message "m"')
        },
    )
    assert bad.code == 2
    assert "the pattern, inlined, is longer than 16384 characters" in bad.stderr
