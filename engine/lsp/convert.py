"""Findings as LSP values: diagnostics, the edits of code actions, hovers.

Findings count lines and columns from 1, columns in Unicode code points, the
end exclusive; LSP counts from 0, columns in the code units of the position
encoding the client and server agreed on (UTF-16 unless the client offers
another), so a character beyond the Basic Multilingual Plane is two UTF-16
columns. pygls's :class:`~pygls.workspace.PositionCodec` converts. Lines are
split at ``\\n`` as the engine splits them (a ``\\r`` before it stays at the end
of its line).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types as lsp

from ..core.finding import Edit, Finding

if TYPE_CHECKING:
    from pygls.workspace import PositionCodec

    from ..core.errors import ProofgateError

SOURCE = "proofgate"
SEVERITY = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
}
# What a suppression comment says until its author gives the reason.
REASON_PLACEHOLDER = "<reason>"


@dataclass
class Judged:
    """A document as it was checked: its lines, its file kind, and each finding with
    the diagnostic published for it."""

    lines: list[str]
    kind: str
    findings: list[tuple[lsp.Diagnostic, Finding]] = field(default_factory=list)
    # the document's version as checked, when the client names versions: an
    # action's edits are for that version, and a client whose text has moved on
    # since refuses them instead of applying them at the wrong place
    version: int | None = None


def position(codec: PositionCodec, lines: list[str], line: int, column: int) -> lsp.Position:
    """The LSP position of a 1-based (line, code-point column)."""
    index = max(line, 1) - 1
    if index >= len(lines):
        return lsp.Position(line=len(lines), character=0)
    return codec.position_to_client_units(lines, lsp.Position(line=index, character=column - 1))


def span(
    codec: PositionCodec, lines: list[str], line: int, column: int, end_line: int, end_column: int
) -> lsp.Range:
    """The LSP range of a finding's (or an edit's) span."""
    start = position(codec, lines, line, max(column, 1))
    end_column = max(end_column, column if end_line == line else 1)
    return lsp.Range(start=start, end=position(codec, lines, max(end_line, line), end_column))


def diagnostic(
    finding: Finding, codec: PositionCodec, lines: list[str], link: str | None
) -> lsp.Diagnostic:
    """The diagnostic of a finding: the rule id as its code, ``link`` (where the
    rule is explained) as its code description."""
    where = span(codec, lines, finding.line, finding.column, finding.end_line, finding.end_column)
    return lsp.Diagnostic(
        range=where,
        message=finding.message,
        severity=SEVERITY.get(finding.severity, lsp.DiagnosticSeverity.Error),
        code=finding.rule,
        code_description=lsp.CodeDescription(href=link) if link else None,
        source=SOURCE,
    )


def error_diagnostic(
    error: ProofgateError, codec: PositionCodec, lines: list[str]
) -> lsp.Diagnostic:
    """The diagnostic of an error that stopped the check (a broken configuration,
    policy or ledger), at its place in its file (the top when it names none)."""
    line, column = max(error.line, 1), max(error.column, 1)
    where = span(codec, lines, line, column, line, column)
    message = f"{error.message}\nhint: {error.hint}" if error.hint else error.message
    return lsp.Diagnostic(
        range=where,
        message=f"proofgate cannot check this repo: {message}",
        severity=lsp.DiagnosticSeverity.Error,
        code="config-error",
        source=SOURCE,
    )


def text_edits(
    edits: tuple[Edit, ...], codec: PositionCodec, lines: list[str]
) -> list[lsp.TextEdit]:
    """A finding's edits as LSP text edits."""
    return [
        lsp.TextEdit(
            range=span(codec, lines, e.line, e.column, e.end_line, e.end_column), new_text=e.text
        )
        for e in edits
    ]


def without_overlaps(findings: list[Finding]) -> list[Edit]:
    """The edits of several findings applied together: in order, each finding's
    edits only when none overlaps an edit already taken (the rest are left for
    the next check to offer again)."""
    taken: list[Edit] = []
    for finding in sorted(findings, key=lambda f: (f.line, f.column)):
        if not any(_overlap(e, t) for e in finding.edits for t in taken):
            taken.extend(finding.edits)
    return taken


def _overlap(a: Edit, b: Edit) -> bool:
    a_start, a_end = (a.line, a.column), (a.end_line, a.end_column)
    b_start, b_end = (b.line, b.column), (b.end_line, b.end_column)
    if a_start == a_end == b_start == b_end:
        return True  # two insertions at one place: their order would be a guess
    return a_start < b_end and b_start < a_end


def suppression(finding: Finding, kind: str, lines: list[str]) -> Edit | None:
    """The edit that inserts a ``proofgate-ignore`` comment for the finding's rule,
    in the file kind's comment form (:mod:`engine.extract.suppressions`), with a
    reason to fill in: in Markdown, an HTML comment on a line of its own above the
    block (paragraph, list, table) holding the finding, which applies to that
    block; elsewhere a ``#`` comment on a line of its own above the finding's
    line, which applies to it. None for a kind without comments (JSON)."""
    from ..extract.suppressions import HASH_KINDS, MARKDOWN_KINDS

    index = min(max(finding.line, 1), len(lines)) - 1 if lines else 0
    body = f"proofgate-ignore {finding.rule}: {REASON_PLACEHOLDER}"
    if kind in MARKDOWN_KINDS:
        while index > 0 and lines[index - 1].strip():
            index -= 1
        comment = f"<!-- {body} -->"
    elif kind in HASH_KINDS:
        comment = f"# {body}"
    else:
        return None
    line = lines[index] if index < len(lines) else ""
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    ending = "\r\n" if line.endswith("\r") else "\n"
    return Edit(index + 1, 1, index + 1, 1, f"{indent}{comment}{ending}")


def code_actions(
    uri: str,
    chosen: list[tuple[lsp.Diagnostic, Finding]],
    judged: Judged,
    codec: PositionCodec,
) -> list[lsp.CodeAction]:
    """The quick fixes of the ``chosen`` findings of a judged document: apply the
    finding's fix (when its policy declares edits), fix all of its rule in the
    file (when more than one finding of the rule has edits), reword the words it
    points at as its policy suggests (`suggest`), suppress it with a reason
    (when the file kind has comments)."""
    actions: list[lsp.CodeAction] = []
    for shown, finding in chosen:
        if finding.edits:
            title = f"Fix: {finding.fix or finding.rule}"
            actions.append(_action(uri, title, finding.edits, [shown], judged, codec, True))
            same = [(d, f) for d, f in judged.findings if f.rule == finding.rule and f.edits]
            if len(same) > 1:
                edits = tuple(without_overlaps([f for _, f in same]))
                title = f"Fix all {finding.rule} in this file ({len(same)})"
                actions.append(_action(uri, title, edits, [d for d, _ in same], judged, codec))
        if finding.suggestion:  # the policy's hedged rewording of the words shown
            reword = Edit(
                finding.line,
                finding.column,
                finding.end_line,
                finding.end_column,
                finding.suggestion,
            )
            title = f"Reword: {finding.suggestion}"
            actions.append(_action(uri, title, (reword,), [shown], judged, codec))
        comment = suppression(finding, judged.kind, judged.lines)
        if comment is not None:
            title = f"Suppress {finding.rule} here, with a reason"
            actions.append(_action(uri, title, (comment,), [shown], judged, codec))
    return actions


def _action(
    uri: str,
    title: str,
    edits: tuple[Edit, ...],
    diagnostics: list[lsp.Diagnostic],
    judged: Judged,
    codec: PositionCodec,
    preferred: bool = False,
) -> lsp.CodeAction:
    """A quick fix that edits the document (positions in the text that was judged),
    as a versioned document edit when the version judged is known."""
    changes = text_edits(edits, codec, judged.lines)
    if judged.version is None:
        edit = lsp.WorkspaceEdit(changes={uri: changes})
    else:
        document = lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=judged.version)
        edit = lsp.WorkspaceEdit(
            document_changes=[lsp.TextDocumentEdit(text_document=document, edits=changes)]
        )
    return lsp.CodeAction(
        title=title,
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=diagnostics,
        edit=edit,
        is_preferred=preferred or None,
    )


def hover_text(findings: list[Finding], explanations: dict[str, str]) -> str:
    """A hover's Markdown: each finding's rule, message, and its explanation
    (what ``proofgate explain`` prints), else its rationale and fix hint."""
    parts = []
    for finding in findings:
        explained = explanations.get(finding.rule) or (
            f"why: {finding.rationale}\nfix: {finding.fix}\n"
        )
        parts.append(f"**{finding.rule}**: {finding.message}\n\n```text\n{explained}```")
    return "\n\n---\n\n".join(parts)


def file_uri(path: Path, line: int | None = None) -> str:
    """The ``file:`` URI of ``path`` (with a ``#L<line>`` fragment, as editors open it)."""
    uri = path.resolve().as_uri()
    return f"{uri}#L{line}" if line else uri
