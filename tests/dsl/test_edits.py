"""``edit`` lines: a clause's mechanical fix, stated on the spans it binds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from engine.core.errors import ErrorGroup, ProofgateError
from engine.core.finding import Edit
from engine.dsl import ast
from engine.dsl.checker import check_program
from engine.dsl.compile import compile_program
from engine.dsl.format import format_source
from engine.dsl.parser import parse
from engine.evaluate.run import InputModel
from engine.extract import nixconf
from engine.extract.base import SourceFile
from engine.pack import load_policies
from tests.support import reference_findings, run_check

POLICY = r"""
policy nix-fixes {
  severity error
  rationale "r"
  fix "f"

  deny attic
    for n in nix_settings
    where n.key == "substituters" and n.value matches /attic/
    message "{n.key} replaces the defaults"
    # the name, and a note when the value names a host
    edit replace n.spans.key with "extra-{n.key}"
    edit insert before n.spans.key "# {n.source}: an extra substituter\n"
      when n.value matches /\/\/(?<host>[a-z.]+)/ and host != "cache.nixos.org"
}
"""


def errors_of(body: str) -> list[ProofgateError]:
    source = 'policy p {\n  rationale "r"\n  fix "f"\n' + body + "\n}\n"
    with pytest.raises(ProofgateError) as info:
        check_program([parse(source, "p.policy")], {"p.policy": source})
    error = info.value
    return error.errors if isinstance(error, ErrorGroup) else [error]


def test_edit_lines_parse_into_the_clause() -> None:
    (policy,) = parse(POLICY).policies
    first, second = policy.clauses[0].edits
    assert first.action == "replace" and first.text == "extra-{n.key}" and first.when is None
    assert second.action == "insert before"
    assert second.text == "# {n.source}: an extra substituter\n"
    assert isinstance(second.when, ast.And)
    delete = parse(
        'policy p { rationale "r" fix "f" deny for st in steps message "m" '
        "edit delete st.spans.with.flakehub at st }"
    ).policies[0]
    assert delete.clauses[0].edits[0].action == "delete"
    assert delete.clauses[0].at == "st"


def test_fmt_keeps_edit_lines_and_their_comments() -> None:
    formatted = format_source(POLICY)
    assert format_source(formatted) == formatted
    assert parse(formatted) == parse(POLICY)
    assert "    # the name, and a note when the value names a host\n" in formatted
    assert '    edit replace n.spans.key with "extra-{n.key}"\n' in formatted
    more = 'when n.source == "nix.conf" and n.path != "x.conf" and n.value matches'
    long = POLICY.replace("when n.value matches", more)
    lines = format_source(long).splitlines()
    at = next(i for i, line in enumerate(lines) if "edit insert before" in line)
    assert lines[at].endswith('when n.source == "nix.conf"')
    assert lines[at + 1] == '      and n.path != "x.conf"'
    assert parse(format_source(long)) == parse(long)


@pytest.mark.parametrize(
    ("body", "message", "hint"),
    [
        (
            'deny for st in steps message "m" edit delete st.uses',
            "an edit needs a Span to delete, not a str",
            "st.spans.step",
        ),
        (
            'deny for st in steps message "m" edit delete st.spans.stp',
            "StepSpans has no field 'stp'",
            "did you mean 'step'?",
        ),
        (
            'deny for n in nix_settings message "m" edit replace n.spans.key with "{nope}"',
            "unknown name 'nope'",
            "",
        ),
        (
            'deny for n in nix_settings message "m" edit replace n.spans.key with "a}"',
            "unbalanced brace in the edit text",
            "",
        ),
        (
            'deny for n in nix_settings message "m" edit delete n.spans.key when n.kye == "a"',
            "NixSetting has no field 'kye'",
            "did you mean 'key'?",
        ),
    ],
)
def test_checker_rejects_bad_edits(body: str, message: str, hint: str) -> None:
    (error,) = errors_of(body)
    assert message in error.message
    assert hint in error.hint


def test_a_capture_of_a_when_stays_in_it() -> None:
    body = (
        'deny for n in nix_settings message "{h}" '
        "edit delete n.spans.key when n.value matches /(?<h>a)/"
    )
    (error,) = errors_of(body)
    assert "unknown name 'h'" in error.message


def test_rego_returns_the_spans_of_each_edit() -> None:
    program = check_program([parse(POLICY, "p.policy")])
    (module,) = compile_program(program)
    assert '"e": [[[pg_s' in module.text
    assert ".eol] | pg_s" in module.text  # an edit without a when
    assert '; host != "cache.nixos.org"; pg_s' in module.text  # its when, in the comprehension


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_edits_render_like_messages_on_every_engine(tmp_path: Path, eol: str) -> None:
    """The text is a template filled from the clause's bindings (a capture of a
    ``when`` included), each line break written as the file's; regopy, regorus
    and the reference evaluator give the same edits."""
    (tmp_path / "p.policy").write_text(POLICY)
    policies = load_policies([tmp_path])
    repo = tmp_path / "repo"
    repo.mkdir()
    text = f"# mine{eol}substituters = https://attic.lab/main{eol}other = 1{eol}"
    (repo / "nix.conf").write_bytes(text.encode())
    edits = [
        Edit(2, 1, 2, 1, f"# nix.conf: an extra substituter{eol}"),
        Edit(2, 1, 2, 13, "extra-substituters"),
    ]
    for backend in ("regopy", "regorus"):
        (found,) = run_check(policies, repo, (), None, dt.date(2026, 12, 6), backend).findings
        assert list(found.edits) == edits, backend
    records = nixconf.extract(SourceFile("nix.conf", text, "nixconf")).records
    (found,) = reference_findings(policies.program, InputModel(records, {"present": False}))
    assert list(found.edits) == edits


def test_a_target_may_read_a_capture_of_its_when(tmp_path: Path) -> None:
    """One edit line gives an edit per match: here each Attic URL is deleted."""
    policy = """
policy no-attic {
  rationale "r"
  fix "f"
  deny for n in nix_settings
    where n.value matches /attic/
    message "m"
    edit delete n.spans.values[url] when n.value matches /(?<url>[^ ]*attic[^ ]*)/
}
"""
    (tmp_path / "p.policy").write_text(policy)
    repo = tmp_path / "repo"
    repo.mkdir()
    line = "substituters = https://a.attic/x https://cache.nixos.org https://b.attic/y\n"
    (repo / "nix.conf").write_text(line)
    (found,) = run_check(load_policies([tmp_path]), repo, (), None, dt.date(2026, 12, 6)).findings
    assert found.edits == (Edit(1, 15, 1, 33, ""), Edit(1, 57, 1, 75, ""))
