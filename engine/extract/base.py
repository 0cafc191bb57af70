"""What every extractor takes and returns.

An extractor is a module with one function::

    def extract(source: SourceFile) -> Extraction

It never raises on bad input: whatever it cannot read becomes a
:class:`Problem` (with the best line and column it knows) and it returns the
records it could still make. Records are plain dicts following
``engine.core.model`` (``path``, ``line``, ``column``, ``end_line``, ``end_column``
and the record type's fields).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class SourceFile:
    """A repo file handed to an extractor.

    ``path`` is relative to the repo root with ``/`` separators; ``text`` is
    the decoded content (UTF-8, BOM removed, line endings kept as written).
    """

    path: str
    text: str
    kind: str


@dataclass(frozen=True)
class Problem:
    """Something proofgate could not read (``parse-error``) or judge (``check-timeout``)
    in a repo file: reported as a finding of that engine rule."""

    path: str
    line: int
    column: int
    message: str
    rule: str = "parse-error"


# Records a pattern of the pack ran too long on (engine/evaluate/facts.py), since
# the last drain: each becomes a ``check-timeout`` finding of its file, and the
# rest of the repo is still checked.
TIMEOUTS: list[Problem] = []


def drain_timeouts() -> list[Problem]:
    """The time-outs recorded since the last call, once each."""
    found = list(dict.fromkeys(TIMEOUTS))
    TIMEOUTS.clear()
    return found


@dataclass
class Extraction:
    records: dict[str, list[Record]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def add(self, collection: str, record: Record) -> None:
        self.records.setdefault(collection, []).append(record)


def position(
    path: str, line: int, column: int, end_line: int | None = None, end_column: int | None = None
) -> Record:
    """The five position fields every record carries."""
    return {
        "path": path,
        "line": line,
        "column": column,
        "end_line": line if end_line is None else end_line,
        "end_column": column if end_column is None else end_column,
    }


class Spans:
    """Makes ``Span`` records (``engine.core.model``) of one file, for edits.

    Lines are the file's ``\\n``-separated lines, as every position counts them; a
    ``\\r`` before the ``\\n`` is the line's ending, not its text.
    """

    def __init__(self, source: SourceFile) -> None:
        self.path = source.path
        self.lines = source.text.split("\n")

    def eol(self, line: int) -> str:
        """The line ending of ``line`` (the last line's: the one before it)."""
        index = min(line, len(self.lines) - 1) - 1
        return "\r\n" if index >= 0 and self.lines[index].endswith("\r") else "\n"

    def end(self, line: int) -> int:
        """The column just past the text of ``line`` (its ``\\r`` excluded)."""
        text = self.lines[line - 1]
        return len(text) - text.endswith("\r") + 1

    def span(
        self, line: int, column: int, end_line: int, end_column: int, indent: str = ""
    ) -> Record:
        return {
            **position(self.path, line, column, end_line, end_column),
            "indent": indent,
            "eol": self.eol(line),
        }

    def whole_lines(self, first: int, last: int, indent: str = "") -> Record:
        """Lines ``first`` to ``last``, the last one's line break included (when it has one)."""
        if last < len(self.lines):
            return self.span(first, 1, last + 1, 1, indent)
        return self.span(first, 1, last, self.end(last), indent)
