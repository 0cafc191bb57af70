"""Inline suppressions as written: ``proofgate-ignore`` comments, each with a reason.

A suppression names one or more rule or policy ids (comma-separated), may
carry ``until=YYYY-MM-DD``, and gives its reason after a colon, in the
file's own comment syntax:

- Markdown: ``<!-- proofgate-ignore RULE[, RULE] [until=DATE]: reason -->``.
  On a line of its own it applies to the next block: the next line and the
  lines after it up to a blank line or the next suppression comment (the
  block notion of ``proofgate test`` annotations, :func:`block_end`).
  Sharing a line with text, it applies to the block it stands in. Only real
  HTML comments count (the Markdown extractor's ``html`` records): a
  suppression shown in a code block is an example, not a suppression.
- YAML (workflows, actions, the ledger), ``.bazelrc``, ``nix.conf``,
  ``flake.nix`` and TOML: ``# proofgate-ignore RULE: reason`` on its own
  line applies to the next line (stacked suppression lines all apply to the
  line after them); at the end of a line, to that line.

This module reads them, file by file, while the files are extracted;
:mod:`engine.filters` applies them to the findings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import regex

from ..core.finding import Finding
from ..core.text import iso_date

MARKDOWN_KINDS = frozenset({"markdown"})
HASH_KINDS = frozenset({"yaml", "workflow", "action", "bazelrc", "nixconf", "flake", "toml"})

_MARKER = "proofgate-ignore"
_MARKDOWN_COMMENT = re.compile(r"<!--\s*proofgate-ignore\b(.*?)-->", re.S)
_MARKDOWN_OWN_LINE = re.compile(r"^\s*<!--\s*proofgate-ignore\b.*-->\s*$")
_HASH_COMMENT = re.compile(r"(?:^|(?<=\s))#\s*proofgate-ignore\b(.*)$")
_HASH_OWN_LINE = re.compile(r"^\s*#\s*proofgate-ignore\b")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A comment that means to be a suppression but is spelt otherwise (PROOFGATE-IGNORE,
# proofgate_ignore, proofgate-ingore): reported, since it suppresses nothing.
# (``regex`` finds a literal case-insensitively some 15x quicker than ``re``: every
# file's text is searched for it)
_ANY_CASE = regex.compile("proofgate", regex.I | regex.V0)
_NEAR_MARKDOWN = re.compile(r"<!--\s*(proofgate[-_ ]?[a-z]+)", re.I)
_NEAR_HASH = re.compile(r"(?:^|(?<=\s))#\s*(proofgate[-_ ]?[a-z]+)", re.I)
_TOKEN = re.compile(r"[^\s,]+")


@dataclass(frozen=True)
class Suppression:
    """One ``proofgate-ignore`` comment and the lines it applies to."""

    path: str
    line: int  # where the comment starts
    column: int
    first: int  # the lines it applies to (0: none, nothing follows it)
    last: int
    names: tuple[tuple[str, int], ...]  # each rule or policy id with its column
    reason: str
    until: dt.date | None = None
    until_column: int = 0
    problem: str = ""  # why it is invalid as a whole ("" when it is not)

    def covers(self, finding: Finding) -> bool:
        """Whether ``finding`` starts on a line this suppression applies to."""
        return finding.path == self.path and self.first <= finding.line <= self.last


@dataclass
class Comments:
    """The suppressions found in the files of a check, gathered file by file."""

    found: list[Suppression] = field(default_factory=list)

    def scan(self, rel: str, kind: str, text: str, html: Iterable[dict[str, Any]]) -> None:
        """Collect the suppressions of one file from its text (and, for Markdown,
        the ``html`` records the extractor found in it)."""
        if not _ANY_CASE.search(text):
            return
        if kind in MARKDOWN_KINDS:
            self.found += markdown_suppressions(rel, text, html)
        elif kind in HASH_KINDS:
            self.found += hash_suppressions(rel, text)


def misspelt(word: str) -> bool:
    """Whether ``word`` (``proofgate`` and what follows it) means ``proofgate-ignore``
    but is not spelt so: another case or separator, or a typo of ``ignore``."""
    import difflib

    if word == _MARKER:
        return False
    rest = word[len("proofgate") :].lstrip("-_ ").lower()
    return difflib.SequenceMatcher(None, rest, "ignore").ratio() >= 0.75


def _near_miss(rel: str, line: int, column: int, word: str) -> Suppression:
    problem = (
        f"is spelt '{word}', which proofgate does not read, so it suppresses nothing: "
        f"write '{_MARKER}' (lower case)"
    )
    return Suppression(rel, line, column, 0, 0, (), "", problem=problem)


def _lines(text: str) -> list[str]:
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def hash_suppressions(rel: str, text: str) -> list[Suppression]:
    """The ``# proofgate-ignore`` comments of a YAML, .bazelrc, nix or TOML file."""
    lines = _lines(text)
    found: list[Suppression] = []
    for index, line in enumerate(lines):
        match = _HASH_COMMENT.search(line)
        if match is None:
            near = _NEAR_HASH.search(line)
            if near is not None and misspelt(near.group(1)):
                found.append(_near_miss(rel, index + 1, near.start(1) + 1, near.group(1)))
            continue
        if _HASH_OWN_LINE.match(line):
            first = last = _next_line(lines, index + 1, _HASH_OWN_LINE)
        else:
            first = last = index + 1
        found.append(_parse(rel, index + 1, match.start() + 1, match, first, last))
    return found


def block_end(lines: list[str], index: int, style: re.Pattern[str]) -> int:
    """The 1-based number of the last line of the Markdown block starting at
    ``lines[index]``: up to a blank line or the next line ``style`` matches (the
    next annotation here, the next suppression comment in :mod:`engine.filters`)."""
    end = index
    while end + 1 < len(lines) and lines[end + 1].strip() and not style.match(lines[end + 1]):
        end += 1
    return end + 1


def markdown_suppressions(rel: str, text: str, html: Iterable[dict[str, Any]]) -> list[Suppression]:
    """The ``<!-- proofgate-ignore -->`` comments among a Markdown file's HTML records.

    The comment is searched in the source between the record's start and end
    (a record's own text may differ from the source, e.g. by indentation)."""
    lines = _lines(text)
    found: list[Suppression] = []
    for record in html:
        line, column = int(record.get("line", 1)), int(record.get("column", 1))
        end_line, end_column = int(record.get("end_line", line)), int(record.get("end_column", 1))
        if not 1 <= line <= end_line <= len(lines):
            continue
        source = "\n".join(lines[line - 1 : end_line])
        stop = len(source) - len(lines[end_line - 1]) + end_column - 1
        for near in _NEAR_MARKDOWN.finditer(source, column - 1, stop):
            if misspelt(near.group(1)):
                at = _position(line, source, near.start(1))
                found.append(_near_miss(rel, *at, near.group(1)))
        for match in _MARKDOWN_COMMENT.finditer(source, column - 1, stop):
            start_at = _position(line, source, match.start())
            end_at = _position(line, source, match.end())
            if _alone(lines, start_at, end_at):
                first = _next_line(lines, end_at[0], _MARKDOWN_OWN_LINE)
            else:
                first = _block_start(lines, start_at[0] - 1)
            last = block_end(lines, first - 1, _MARKDOWN_OWN_LINE) if first else 0
            found.append(_parse(rel, *start_at, match, first, last))
    return found


def _position(line: int, source: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of ``offset`` in ``source``, which starts at ``line``."""
    before = source[:offset]
    return line + before.count("\n"), offset - before.rfind("\n")


def _alone(lines: list[str], start: tuple[int, int], end: tuple[int, int]) -> bool:
    """Whether only blanks share the comment's first and last lines with it."""
    if end[0] > len(lines):
        return False
    before = lines[start[0] - 1][: start[1] - 1]
    after = lines[end[0] - 1][end[1] - 1 :]
    return not before.strip() and not after.strip()


def _next_line(lines: list[str], index: int, comment: re.Pattern[str]) -> int:
    """The 1-based number of the first line from ``lines[index]`` on that is not
    a suppression comment itself (0 when there is none)."""
    while index < len(lines) and comment.match(lines[index]):
        index += 1
    return index + 1 if index < len(lines) else 0


def _block_start(lines: list[str], index: int) -> int:
    """The 1-based number of the first line of the block holding ``lines[index]``."""
    while index > 0 and lines[index - 1].strip():
        index -= 1
    return index + 1


def _parse(
    rel: str, line: int, column: int, match: re.Match[str], first: int, last: int
) -> Suppression:
    """A suppression from the text after ``proofgate-ignore`` (match group 1)."""
    body, start = match.group(1), match.start(1)
    head, colon, reason = body.partition(":")
    reason = " ".join(reason.split())
    names: list[tuple[str, int]] = []
    until: dt.date | None = None
    until_column = 0
    problems: list[str] = []
    for token in _TOKEN.finditer(head):
        word, at = token.group(), column + start - match.start() + token.start()
        if "\n" in head[: token.start()]:
            at = column  # on a later line of the comment: point at the comment
        if word.startswith("until="):
            until, until_column = _date(word[len("until=") :], problems), at
        elif "=" in word:
            problems.append(f"unknown option '{word}' (only until=YYYY-MM-DD)")
        else:
            names.append((word, at))
    if not names:
        problems.append("names no rule")
    if not colon or not reason:
        problems.append("gives no reason after a colon")
    problem = "; ".join(problems)
    return Suppression(
        rel, line, column, first, last, tuple(names), reason, until, until_column, problem
    )


def _date(text: str, problems: list[str]) -> dt.date | None:
    if (date := iso_date(text)) is not None:
        return date
    problems.append(f"until={text} is not a date (YYYY-MM-DD)")
    return None
