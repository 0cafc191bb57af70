"""Canonical policy source from the AST, for ``proofgate fmt``.

One way to write each policy, as gofmt and ruff format do:

- patterns and policies in source order, a blank line between them;
- ``policy id {``, one setting per line two spaces in (severity, rationale,
  fix, paths, exclude), a blank line before each clause, ``}``;
- a clause's ``deny``/``warn`` line, then ``for``, ``where``, ``message``,
  ``fix``, each ``edit`` and ``at`` on lines of their own, four spaces in;
- a condition longer than :data:`WIDTH` columns breaks before each top-level
  ``and``/``or`` (continuation lines six spaces in); a parenthesized ``or``
  breaks with each ``or`` under the character after the parenthesis; a
  quantifier whose body does not fit puts the body on lines two spaces in
  and its ``}`` on a line of its own;
- strings re-escaped (JSON escapes), numbers written plainly, redundant
  parentheses dropped, ``severity`` always written.

Comments: the parser drops ``#`` comments, so :func:`format_source` takes
them from the token stream and attaches each to the line after it (a comment
at the end of a line stays at the end of that line), then writes it before
(or after) the construct that starts on that line. A comment that cannot be
kept in place (inside a list, between generators) is an error, never dropped.
The result is parsed again and must give the same AST.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from ..core.errors import ProofgateError
from ..core.text import read_utf8
from . import ast
from .files import policy_files
from .parser import parse, tokens

WIDTH = 100
_POLICY_INDENT, _CLAUSE_INDENT, _CONTINUATION = 2, 4, 6
_SURROGATE = re.compile("[\ud800-\udfff]")
_OR, _AND, _NOT, _TEST, _PRIMARY, _ATOM = 1, 2, 3, 4, 5, 6
_SETTINGS = ("SEVERITY", "RATIONALE", "FIX", "PATHS", "EXCLUDE")


@dataclass(frozen=True)
class _Line:
    """An output line and the source line its first construct came from (0: none)."""

    text: str
    origin: int = 0
    closing: bool = False  # a closing brace: comments before it belong inside


@dataclass
class _Comments:
    """Comments by the source line they belong to."""

    leading: dict[int, list[str]] = field(default_factory=dict)  # "" is a blank line
    first_line: dict[int, int] = field(default_factory=dict)  # where each leading block starts
    trailing: dict[int, list[str]] = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)  # after the last token


@dataclass(frozen=True)
class _Keywords:
    """Where the keywords the AST does not keep (``for``, ``where``, settings...) stand."""

    tokens: tuple[tuple[int, int, str], ...] = ()  # (line, column, type), in order

    def first(self, kind: str, start: tuple[int, int], end: tuple[int, int]) -> int:
        """The line of the first ``kind`` token between two positions (0: none)."""
        return next(
            (ln for ln, col, t in self.tokens if t == kind and start <= (ln, col) <= end), 0
        )


# --- entry points ------------------------------------------------------------------


def format_module(module: ast.Module) -> str:
    """The canonical source of a module (comments are not part of the AST)."""
    return _place(_Printer(_Keywords()).module(module), _Comments())


def format_source(text: str, path: str = "<policy>") -> str:
    """Format policy source, keeping its comments; raises ProofgateError on a syntax
    error or a comment that cannot be kept in place."""
    module = parse(text, path)
    comments, keywords = _scan(text)
    printer = _Printer(keywords, set(comments.leading), set(comments.trailing))
    try:
        result = _place(printer.module(module), comments)
    except _Unplaced as unplaced:
        line = comments.first_line.get(unplaced.line, unplaced.line)
        raise ProofgateError(
            "cannot keep this comment in place when formatting",
            path,
            line,
            1,
            text,
            hint="move it onto a line of its own before a setting, clause or condition",
        ) from None
    newline = "\r\n" if "\r\n" in text else "\n"
    if parse(result, path) != module:  # pragma: no cover - a formatter bug, never a user error
        raise ProofgateError("formatting would change the policy; file left as it is", path)
    return result.replace("\n", newline)


# --- comments and keyword positions ---------------------------------------------------


def _scan(text: str) -> tuple[_Comments, _Keywords]:
    comments = _Comments()
    keywords: list[tuple[int, int, str]] = []
    pending: list[tuple[int, str]] = []
    previous_end = 0  # the line the last token before a comment ended on
    for token in tokens(text):
        if token.type == "WS":
            continue
        if token.type == "COMMENT":
            body = str(token).rstrip()
            if previous_end == token.line:
                comments.trailing.setdefault(token.line, []).append(body)
            else:
                pending.append((token.line, body))
            continue
        if pending:
            comments.leading[token.line] = _block(pending, token.line)
            comments.first_line[token.line] = pending[0][0]
            pending = []
        keywords.append((token.line, token.column, token.type))
        previous_end = token.end_line
    if pending:
        blank = [""] if previous_end and pending[0][0] - previous_end > 1 else []
        comments.tail = blank + _block(pending, 0)
    return comments, _Keywords(tuple(keywords))


def _block(comments: list[tuple[int, str]], anchor: int) -> list[str]:
    """Comment lines with a blank line wherever the source had one or more."""
    lines: list[str] = []
    for index, (line, body) in enumerate(comments):
        if index and line - comments[index - 1][0] > 1:
            lines.append("")
        lines.append(body)
    if anchor and anchor - comments[-1][0] > 1:
        lines.append("")
    return lines


class _Unplaced(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _place(lines: list[_Line], comments: _Comments) -> str:
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for index, line in enumerate(lines):
        if line.origin:
            first.setdefault(line.origin, index)
            last[line.origin] = index
    missing = sorted({*comments.leading} - set(first) | {*comments.trailing} - set(last))
    if missing:
        raise _Unplaced(missing[0])
    out: list[str] = []
    for index, line in enumerate(lines):
        if first.get(line.origin) == index:
            indent = len(line.text) - len(line.text.lstrip(" ")) + (2 if line.closing else 0)
            out.extend(" " * indent + c if c else "" for c in comments.leading.get(line.origin, []))
        text = line.text
        if last.get(line.origin) == index and line.origin in comments.trailing:
            text += "  " + "  ".join(comments.trailing[line.origin])
        out.append(text)
    out.extend(comments.tail)
    return "\n".join(out) + "\n"


# --- printing ----------------------------------------------------------------------


def _precedence(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Or):
        return _OR
    if isinstance(expr, ast.And):
        return _AND
    if isinstance(expr, ast.Not):
        return _NOT
    if isinstance(expr, ast.Compare | ast.Member | ast.StrTest | ast.Matches | ast.Quantified):
        return _TEST
    if isinstance(expr, ast.Field | ast.Index):
        return _PRIMARY
    return _ATOM


def quote(value: str) -> str:
    """A string literal of the policy language (JSON escapes; lone surrogates as \\uXXXX)."""
    text = json.dumps(value, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def number(value: int | float) -> str:
    """A number as the grammar writes it: digits, a point for floats, never an exponent."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        raise ProofgateError(f"the number {value} cannot be written in a policy")
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def regex(node: ast.Regex) -> str:
    return "/" + node.source.replace("/", "\\/") + "/" + node.flags


class _Printer:
    def __init__(
        self, keywords: _Keywords, leading: set[int] | None = None, trailing: set[int] | None = None
    ) -> None:
        self.keywords = keywords
        self.leading = leading or set()  # lines that comments stand before
        self.trailing = trailing or set()  # lines that end in a comment

    # --- one-line text ---------------------------------------------------------

    def text(self, expr: ast.Expr, minimum: int = _OR) -> str:
        """``expr`` on one line, in parentheses when it binds looser than ``minimum``."""
        inner = self._text(expr)
        return f"({inner})" if _precedence(expr) < minimum else inner

    def _text(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Literal):
            if isinstance(expr.value, bool):
                return "true" if expr.value else "false"
            if isinstance(expr.value, str):
                return quote(expr.value)
            return number(expr.value)
        if isinstance(expr, ast.ListExpr):
            return "[" + ", ".join(self.text(item) for item in expr.items) + "]"
        if isinstance(expr, ast.Var):
            return expr.name
        if isinstance(expr, ast.Field):
            return f"{self.text(expr.base, _PRIMARY)}.{expr.name}"
        if isinstance(expr, ast.Index):
            return f"{self.text(expr.base, _PRIMARY)}[{self.text(expr.key)}]"
        if isinstance(expr, ast.Call):
            return f"{expr.func}({', '.join(self.text(arg) for arg in expr.args)})"
        if isinstance(expr, ast.And | ast.Or):
            word = " and " if isinstance(expr, ast.And) else " or "
            # An `and` inside an `or` keeps its parentheses, for the reader.
            return word.join(self.text(item, _NOT) for item in expr.items)
        if isinstance(expr, ast.Not):
            return "not " + self.text(expr.item, _NOT)
        if isinstance(expr, ast.Quantified):
            return f"{self._quantifier_head(expr)} {self.text(expr.body)} }}"
        return self._test(expr)

    def _test(self, expr: ast.Expr) -> str:
        if isinstance(expr, ast.Compare | ast.StrTest):
            return f"{self.text(expr.left, _PRIMARY)} {expr.op} {self.text(expr.right, _PRIMARY)}"
        if isinstance(expr, ast.Member):
            op = "not in" if expr.negated else "in"
            return f"{self.text(expr.item, _PRIMARY)} {op} {self.text(expr.container, _PRIMARY)}"
        if isinstance(expr, ast.Matches):
            pattern = regex(expr.regex) if isinstance(expr.regex, ast.Regex) else expr.regex.name
            bind = f" as {expr.bind}" if expr.bind else ""
            return f"{self.text(expr.subject, _PRIMARY)} matches {pattern}{bind}"
        raise AssertionError(f"not an expression: {expr!r}")  # the parser makes no other node

    def _quantifier_head(self, expr: ast.Quantified) -> str:
        return f"{expr.kind} {expr.var} in {self.text(expr.source, _PRIMARY)} {{"

    # --- conditions over several lines -------------------------------------------

    def condition(self, expr: ast.Expr, column: int, indent: int) -> list[_Line]:
        """``expr`` from ``column`` of a line indented ``indent``: the first _Line
        continues the current line, the others are whole lines."""
        flat = self.text(expr)
        if column + len(flat) <= WIDTH and not self._holds_comment(expr):
            return [_Line(flat)]
        if isinstance(expr, ast.And | ast.Or):
            word = "and " if isinstance(expr, ast.And) else "or "
            lines = self._operand(expr.items[0], _NOT, column, indent)
            for item in expr.items[1:]:
                rest = self._operand(item, _NOT, indent + len(word), indent)
                lines.append(_Line(" " * indent + word + rest[0].text, item.span.line))
                lines.extend(rest[1:])
            return lines
        if isinstance(expr, ast.Not):
            rest = self._operand(expr.item, _NOT, column + 4, indent)
            return [_Line("not " + rest[0].text), *rest[1:]]
        if isinstance(expr, ast.Quantified):
            inner = indent + 2
            body = self.condition(expr.body, inner, inner)
            return [
                _Line(self._quantifier_head(expr)),
                _Line(" " * inner + body[0].text, expr.body.span.line),
                *body[1:],
                _Line(" " * indent + "}", expr.span.end_line, closing=True),
            ]
        return [_Line(flat)]

    def _operand(self, expr: ast.Expr, minimum: int, column: int, indent: int) -> list[_Line]:
        if _precedence(expr) >= minimum:
            return self.condition(expr, column, indent)
        lines = self.condition(expr, column + 1, column + 1)
        first, *rest = lines
        lines = [_Line("(" + first.text, first.origin), *rest]
        last = lines[-1]
        lines[-1] = _Line(last.text + ")", last.origin, last.closing)
        return lines

    def _holds_comment(self, expr: ast.Expr) -> bool:
        """A comment inside the expression's lines forces it to break there."""
        span = expr.span
        return any(span.line < line <= span.end_line for line in self.leading) or any(
            span.line <= line < span.end_line for line in self.trailing
        )

    # --- declarations -------------------------------------------------------------

    def module(self, module: ast.Module) -> list[_Line]:
        items: list[ast.PatternDef | ast.PredicateDef | ast.Policy] = [
            *module.patterns,
            *module.predicates,
            *module.policies,
        ]
        items.sort(key=lambda item: item.span.line)
        lines: list[_Line] = []
        for index, item in enumerate(items):
            if index:
                lines.append(_Line(""))
            if isinstance(item, ast.PatternDef):
                text = f"pattern {item.name} = {regex(item.regex)}"
                lines.append(_Line(text, item.span.line))
            elif isinstance(item, ast.PredicateDef):
                lines.extend(self.predicate(item))
            else:
                lines.extend(self.policy(item))
        return lines

    def predicate(self, predicate: ast.PredicateDef) -> list[_Line]:
        head = f"predicate {predicate.name}({', '.join(predicate.params)}) = "
        body = self.condition(predicate.body, len(head), _POLICY_INDENT)
        return [_Line(head + body[0].text, predicate.span.line), *body[1:]]

    def policy(self, policy: ast.Policy) -> list[_Line]:
        pad = " " * _POLICY_INDENT
        settings = [
            ("SEVERITY", f"severity {policy.severity}"),
            ("RATIONALE", f"rationale {quote(policy.rationale)}"),
            ("FIX", f"fix {quote(policy.fix)}"),
        ]
        if policy.paths_param is not None:
            settings.append(("PATHS", f"paths params.{policy.paths_param}"))
        elif policy.paths:
            settings.append(("PATHS", "paths " + ", ".join(quote(p) for p in policy.paths)))
        if policy.exclude:
            settings.append(("EXCLUDE", "exclude " + ", ".join(quote(p) for p in policy.exclude)))
        origins = self._setting_lines(policy)
        lines = [_Line(f"policy {policy.id} {{", policy.span.line)]
        lines += [_Line(pad + text, origins.get(kind, 0)) for kind, text in settings]
        for clause in policy.clauses:
            lines.append(_Line(""))
            lines.extend(self.clause(clause))
        lines.append(_Line("}", policy.span.end_line, closing=True))
        return lines

    def _setting_lines(self, policy: ast.Policy) -> dict[str, int]:
        """The source line of each setting keyword (outside the policy's clauses)."""
        span = policy.span
        inside = [
            ((c.span.line, c.span.column), (c.span.end_line, c.span.end_column))
            for c in policy.clauses
        ]
        found: dict[str, int] = {}
        for line, column, kind in self.keywords.tokens:
            within = (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)
            in_clause = any(start <= (line, column) <= end for start, end in inside)
            if kind in _SETTINGS and within and not in_clause:
                found.setdefault(kind, line)
        return found

    def clause(self, clause: ast.Clause) -> list[_Line]:
        pad = " " * _CLAUSE_INDENT
        span = clause.span
        start, end = (span.line, span.column), (span.end_line, span.end_column)
        after_message = (clause.message.span.end_line, clause.message.span.end_column)
        generators = ", ".join(f"{g.var} in {self.text(g.source)}" for g in clause.generators)
        lines = [
            _Line(
                " " * _POLICY_INDENT + clause.kind + (f" {clause.name}" if clause.name else ""),
                span.line,
            ),
            _Line(f"{pad}for {generators}", self.keywords.first("FOR", start, end)),
        ]
        if clause.where is not None:
            where = self.condition(clause.where, len(pad) + len("where "), _CONTINUATION)
            origin = self.keywords.first("WHERE", start, end)
            lines.append(_Line(f"{pad}where {where[0].text}", origin))
            lines.extend(where[1:])
        lines.append(_Line(f"{pad}message {quote(clause.message.text)}", clause.message.span.line))
        if clause.fix is not None:
            origin = self.keywords.first("FIX", after_message, end)
            lines.append(_Line(f"{pad}fix {quote(clause.fix)}", origin))
        for edit in clause.edits:
            lines.extend(self.edit(edit, pad))
        if clause.suggest is not None:
            origin = self.keywords.first("SUGGEST", after_message, end)
            lines.append(_Line(f"{pad}suggest {quote(clause.suggest)}", origin))
        if clause.at is not None:
            lines.append(
                _Line(f"{pad}at {clause.at}", self.keywords.first("AT", after_message, end))
            )
        return lines

    def edit(self, edit: ast.Edit, pad: str) -> list[_Line]:
        """``edit ACTION TARGET ["text"]`` and a ``when`` that breaks as a ``where``."""
        target = self.text(edit.target, _PRIMARY)
        if edit.action == "delete":
            head = f"{pad}edit delete {target}"
        elif edit.action == "replace":
            head = f"{pad}edit replace {target} with {quote(edit.text)}"
        else:
            head = f"{pad}edit {edit.action} {target} {quote(edit.text)}"
        if edit.when is None:
            return [_Line(head, edit.span.line)]
        when = self.condition(edit.when, len(head) + len(" when "), _CONTINUATION)
        return [_Line(f"{head} when {when[0].text}", edit.span.line), *when[1:]]


# Formatting files (``proofgate fmt``): print, --write only those that change, or
# --check; a file that does not parse, is not UTF-8, or holds a comment the
# formatter cannot keep in place is an error and is never written.


@dataclass
class Formatted:
    path: Path
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class FmtReport:
    files: list[Formatted] = field(default_factory=list)
    errors: list[ProofgateError] = field(default_factory=list)

    @property
    def changed(self) -> list[Formatted]:
        return [f for f in self.files if f.changed]


def format_files(targets: list[Path]) -> FmtReport:
    """Format every policy file under ``targets``; errors are collected, not raised."""
    report = FmtReport()
    for path in policy_files(targets, (".policy",)):
        try:
            text = read_utf8(path)
            report.files.append(Formatted(path, text, format_source(text, str(path))))
        except ProofgateError as error:
            report.errors.append(error)
    return report


def write_changed(report: FmtReport) -> list[Path]:
    """Rewrite the files whose text changed (byte for byte as formatted)."""
    for formatted in report.changed:
        formatted.path.write_text(formatted.after, encoding="utf-8", newline="")
    return [f.path for f in report.changed]
