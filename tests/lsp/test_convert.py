"""Findings as LSP values (engine/lsp/convert.py): positions in UTF-16 code units,
the quick fixes a finding's edits give, and the suppression comment of each file
kind, which the engine then reads as suppressing that finding."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp
from pygls.workspace import PositionCodec

from engine.core.finding import Edit, Finding
from engine.extract.base import SourceFile
from engine.extract.markdown import extract as extract_markdown
from engine.extract.suppressions import hash_suppressions, markdown_suppressions
from engine.lsp import convert
from tests.support import apply_edits

UTF16 = PositionCodec(lsp.PositionEncodingKind.Utf16)
UTF32 = PositionCodec(lsp.PositionEncodingKind.Utf32)
URI = "file:///repo/docs/x.md"


def finding(
    line: int, column: int, end_column: int, rule: str = "r.one", edits: tuple[Edit, ...] = ()
) -> Finding:
    return Finding(
        "docs/x.md", line, column, rule, "message", "warning", line, end_column, edits=edits
    )


def judged(text: str, kind: str, findings: list[Finding]) -> convert.Judged:
    lines = text.split("\n")
    shown = [(convert.diagnostic(f, UTF16, lines, None), f) for f in findings]
    return convert.Judged(lines, kind, shown)


def test_columns_count_utf16_code_units_beyond_the_basic_plane() -> None:
    lines = ["é😀 GitLab is supported", ""]
    # code points: é 1, 😀 2, space 3, G 4; in UTF-16 the emoji is two units
    shown = convert.span(UTF16, lines, 1, 4, 1, 10)
    assert shown.start == lsp.Position(line=0, character=4)
    assert shown.end == lsp.Position(line=0, character=10)
    assert convert.span(UTF32, lines, 1, 4, 1, 10).start.character == 3


def test_a_diagnostic_carries_the_rule_its_severity_and_link() -> None:
    shown = convert.diagnostic(finding(1, 1, 5), UTF16, ["abcdef"], "file:///p/f.policy#L3")
    assert shown.code == "r.one"
    assert shown.severity == lsp.DiagnosticSeverity.Warning
    assert shown.code_description == lsp.CodeDescription(href="file:///p/f.policy#L3")
    assert shown.range == lsp.Range(
        start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=4)
    )


def test_apply_fix_uses_the_findings_edits_at_utf16_positions() -> None:
    text = "😀 flakehub: true\nnext\n"
    fix = Edit(1, 3, 1, 17, "flakehub: false")  # code points 3..16
    found = finding(1, 3, 17, edits=(fix,))
    doc = judged(text, "yaml", [found])
    (apply_fix,) = [
        a for a in convert.code_actions(URI, doc.findings, doc, UTF16) if a.title.startswith("Fix:")
    ]
    assert apply_fix.is_preferred
    assert apply_fix.edit is not None and apply_fix.edit.changes is not None
    assert apply_edits(text, list(apply_fix.edit.changes[URI])) == "😀 flakehub: false\nnext\n"


def test_fix_all_applies_every_edit_of_the_rule_in_the_file_once() -> None:
    text = "a x\nb x\nc x\n"
    found = [finding(n, 3, 4, edits=(Edit(n, 3, n, 4, "y"),)) for n in (1, 2, 3)]
    other = finding(1, 1, 2, rule="r.two", edits=(Edit(1, 1, 1, 2, "A"),))
    doc = judged(text, "yaml", [*found, other])
    actions = convert.code_actions(URI, doc.findings[:1], doc, UTF16)
    (fix_all,) = [a for a in actions if a.title.startswith("Fix all r.one")]
    assert fix_all.edit is not None and fix_all.edit.changes is not None
    assert apply_edits(text, list(fix_all.edit.changes[URI])) == "a y\nb y\nc y\n"
    assert fix_all.diagnostics is not None and len(fix_all.diagnostics) == 3


def test_overlapping_edits_are_left_for_the_next_check() -> None:
    first = finding(1, 1, 3, edits=(Edit(1, 1, 1, 3, "X"),))
    second = finding(1, 2, 4, edits=(Edit(1, 2, 1, 4, "Y"),))
    third = finding(2, 1, 2, edits=(Edit(2, 1, 2, 1, "Z"), Edit(2, 1, 2, 1, "W")))
    assert convert.without_overlaps([second, first]) == list(first.edits)
    assert convert.without_overlaps([third]) == list(third.edits)  # its own edits go together


def test_no_fix_without_edits_and_no_suppression_in_json() -> None:
    doc = judged('{"a": 1}\n', "json", [finding(1, 2, 5)])
    assert convert.code_actions(URI, doc.findings, doc, UTF16) == []


@pytest.mark.parametrize("kind", ["yaml", "workflow", "bazelrc", "nixconf", "flake", "toml"])
def test_a_hash_suppression_goes_above_the_line_with_its_indentation(kind: str) -> None:
    text = "jobs:\n  build:\n    steps:\n      - uses: x/flakehub-cache-action@main\n"
    found = finding(4, 9, 20, rule="flakehub-never-bootstrap.cache-action")
    doc = judged(text, kind, [found])
    (suppress,) = convert.code_actions(URI, doc.findings, doc, UTF16)
    assert suppress.edit is not None and suppress.edit.changes is not None
    after = apply_edits(text, list(suppress.edit.changes[URI]))
    assert after.split("\n")[3] == (
        "      # proofgate-ignore flakehub-never-bootstrap.cache-action: <reason>"
    )
    (read,) = hash_suppressions("x", after)
    assert (read.first, read.last) == (5, 5)  # the finding's line, moved down by one
    assert read.names[0][0] == "flakehub-never-bootstrap.cache-action"
    assert read.reason == "<reason>" and not read.problem


def test_a_markdown_suppression_goes_above_the_block_and_covers_the_finding() -> None:
    text = "# T\n\n- one item\n- GitLab is supported\n\nAfter.\n"
    found = finding(4, 3, 9, rule="forge-claims-need-proof.named")
    doc = judged(text, "markdown", [found])
    (suppress,) = convert.code_actions(URI, doc.findings, doc, UTF16)
    assert suppress.edit is not None and suppress.edit.changes is not None
    after = apply_edits(text, list(suppress.edit.changes[URI]))
    assert after.split("\n")[2] == (
        "<!-- proofgate-ignore forge-claims-need-proof.named: <reason> -->"
    )
    html = extract_markdown(SourceFile("x.md", after, "markdown")).records.get("html", [])
    (read,) = markdown_suppressions("x.md", after, html)
    assert read.first <= 5 <= read.last and not read.problem


def test_a_suppression_keeps_crlf_line_endings() -> None:
    text = "a: 1\r\nflakehub: true\r\n"
    doc = judged(text, "yaml", [finding(2, 1, 9)])
    (suppress,) = convert.code_actions(URI, doc.findings, doc, UTF16)
    assert suppress.edit is not None and suppress.edit.changes is not None
    (insert,) = suppress.edit.changes[URI]
    assert insert.new_text.endswith("<reason>\r\n")


def test_hover_text_holds_the_explanation() -> None:
    text = convert.hover_text([finding(1, 1, 2)], {"r.one": "r (error)\nwhy: because\n"})
    assert text.startswith("**r.one**: message") and "why: because" in text
    fallback = convert.hover_text([Finding("x", 1, 1, "r", "m", "error", 1, 2, "why", "how")], {})
    assert "why: why" in fallback and "fix: how" in fallback


def test_a_suggested_rewording_replaces_the_words_the_finding_points_at() -> None:
    text = "😀 Woodpecker runners are supported.\n"
    claim = Finding(
        "docs/x.md",
        1,
        3,
        "forges.named",
        "m",
        "error",
        1,
        13,
        suggestion="Woodpecker (not yet proved)",
    )
    (reword,) = [
        a
        for a in convert.code_actions(
            URI,
            judged(text, "markdown", [claim]).findings,
            judged(text, "markdown", [claim]),
            UTF16,
        )
        if a.title.startswith("Reword:")
    ]
    assert reword.title == "Reword: Woodpecker (not yet proved)" and not reword.is_preferred
    assert reword.edit is not None and reword.edit.changes is not None
    assert apply_edits(text, list(reword.edit.changes[URI])) == (
        "😀 Woodpecker (not yet proved) runners are supported.\n"
    )
    plain = finding(1, 3, 13)  # no suggestion, no reword
    document = judged(text, "markdown", [plain])
    actions = convert.code_actions(URI, document.findings, document, UTF16)
    assert not [a for a in actions if a.title.startswith("Reword:")]
