"""The runner-class proof matrix: rendered from the ledger, and embedded in docs.

The matrix lists the ledger's runner classes in proof order with their state,
their named proof surfaces and what is next for each. Docs embed it between
two marker lines::

    <!-- proofgate:matrix -->
    <!-- /proofgate:matrix -->

A marker counts only on a line of its own (indented by at most three spaces)
outside fenced code blocks, so docs can show the markers in code.

The extractors state facts from here, and the policies decide: the ledger's
``matrix`` is the table as ``proofgate matrix --write`` would embed it, and
each Markdown file's ``matrices`` records say whether a region is closed and
what it holds (:func:`embedded_records`); ``runner-class-needs-proof.matrix``
compares the two. :mod:`engine.matrix` writes the table into docs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..core.jsontext import pretty

OPEN = "<!-- proofgate:matrix -->"
CLOSE = "<!-- /proofgate:matrix -->"
NOTHING = "—"
HEADER = ("Class", "State", "Proof surfaces", "Next")

_LINE = re.compile(r"([^\r\n]*)(\r\n|\r|\n|)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ESCAPE = re.compile(r"([\\`*_\[\]<|])")

Record = dict[str, Any]


# Building the matrix


@dataclass(frozen=True)
class Proof:
    """One proof surface of a class, as the matrix shows it."""

    surface: str
    evidence: str
    evidence_kind: str
    evidence_exists: bool
    verified: str  # YYYY-MM-DD, or "" when never verified
    age_days: int  # -1 when never verified
    stale: bool  # older than the ledger's freshness window

    def as_json(self) -> dict[str, Any]:
        return {
            "surface": self.surface,
            "evidence": self.evidence,
            "evidence_kind": self.evidence_kind,
            "evidence_exists": self.evidence_exists,
            "verified": self.verified,
            "age_days": self.age_days,
            "stale": self.stale,
        }


@dataclass(frozen=True)
class Row:
    """One runner class of the matrix."""

    name: str
    index: int
    state: str
    labels: tuple[str, ...]
    proofs: tuple[Proof, ...]
    next: str  # "" when nothing is next

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "index": self.index,
            "state": self.state,
            "labels": list(self.labels),
            "proofs": [proof.as_json() for proof in self.proofs],
            "next": self.next,
        }


def build_matrix(ledger: Record, now: dt.date) -> list[Row]:
    """The runner classes of the ``ledger`` global record, in proof order."""
    freshness = int(ledger.get("freshness_days") or 180)
    classes = sorted((ledger.get("runner_classes") or {}).values(), key=lambda c: int(c["index"]))
    rows = [
        Row(
            name=str(record["name"]),
            index=int(record["index"]),
            state=str(record["state"]),
            labels=tuple(str(label) for label in record.get("labels") or ()),
            proofs=tuple(_proof(proof, now, freshness) for proof in record.get("proofs") or ()),
            next="",
        )
        for record in classes
    ]
    return [
        Row(row.name, row.index, row.state, row.labels, row.proofs, step)
        for row, step in zip(rows, _next_steps(rows, freshness), strict=True)
    ]


def _proof(record: Record, now: dt.date, freshness: int) -> Proof:
    verified = str(record.get("verified") or "")
    age = (now - dt.date.fromisoformat(verified)).days if verified else -1
    return Proof(
        surface=str(record.get("surface") or ""),
        evidence=str(record.get("evidence") or ""),
        evidence_kind=str(record.get("evidence_kind") or "missing"),
        evidence_exists=bool(record.get("evidence_exists")),
        verified=verified,
        age_days=age,
        stale=age > freshness,
    )


def _next_steps(rows: list[Row], freshness: int) -> list[str]:
    """What is next for each class, in order.

    Retired classes are out of the queue. The first class that is not proved
    is the one to prove next; each later one waits for the open class before
    it. A proved class needs a named, dated, fresh proof, and is out of order
    when an earlier class is still open.
    """
    steps: list[str] = []
    first_open: Row | None = None
    previous_open: Row | None = None
    for row in rows:
        if row.state == "retired":
            steps.append("none (retired)")
        elif row.state == "proved":
            todo = _upkeep(row, freshness)
            if first_open is not None:
                todo.insert(0, f"out of order: {first_open.name} is not proved yet")
            steps.append("; ".join(todo))
        else:
            if previous_open is None:
                steps.append("prove this class next")
                first_open = row
            else:
                steps.append(f"only after {previous_open.name} is proved")
            previous_open = row
    return steps


def _upkeep(row: Row, freshness: int) -> list[str]:
    """What a proved class still owes: a named proof surface, a verified date, a fresh proof.

    Dates rather than day counts, so that an embedded matrix changes only
    when the ledger does or a proof leaves the freshness window.
    """
    named = [proof for proof in row.proofs if proof.surface]
    if not named:
        return ["name a proof surface"]
    if not any(proof.verified for proof in named):
        return [f"verify {named[0].surface} (never verified)"]
    stale = [
        f"{proof.surface or 'unnamed proof'} (verified {proof.verified}, over {freshness} days ago)"
        for proof in row.proofs
        if proof.stale
    ]
    return [f"re-verify {', '.join(stale)}"] if stale else []


# Rendering


def table_lines(rows: list[Row]) -> list[str]:
    """The matrix as the lines of a Markdown table (no line endings)."""
    lines = [_table_row(HEADER), _table_row(("---",) * len(HEADER))]
    for row in rows:
        proofs = "<br>".join(_escape(_describe(proof)) for proof in row.proofs)
        cells = (_escape(row.name), _escape(row.state), proofs, _escape(row.next))
        lines.append(_table_row(tuple(cell or NOTHING for cell in cells)))
    return lines


def render_markdown(rows: list[Row]) -> str:
    return "\n".join(table_lines(rows)) + "\n"


def render_json(rows: list[Row]) -> str:
    document = {"version": 1, "classes": [row.as_json() for row in rows]}
    return pretty(document)


def _table_row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cells) + " |"


def _describe(proof: Proof) -> str:
    surface = proof.surface or "unnamed proof"
    if not proof.evidence:
        evidence = "no evidence"
    elif proof.evidence_kind == "invalid":
        evidence = f"{proof.evidence} (invalid evidence)"
    elif not proof.evidence_exists:
        evidence = f"{proof.evidence} (not found)"
    else:
        evidence = proof.evidence
    verified = f"verified {proof.verified}" if proof.verified else "never verified"
    return f"{surface}: {evidence}, {verified}"


def _escape(text: str) -> str:
    """One table cell: whitespace collapsed, pipes and Markdown/HTML syntax escaped."""
    return _ESCAPE.sub(r"\\\1", " ".join(text.split()))


# Finding and replacing embedded matrices


@dataclass(frozen=True)
class Region:
    """An opening marker and, when closed, the text between the two marker lines."""

    line: int  # of the opening marker, 1-based
    column: int
    start: int  # offset just after the opening marker's line ending
    end: int  # offset of the closing marker's line; -1 when unclosed
    newline: str  # the opening marker line's ending

    @property
    def closed(self) -> bool:
        return self.end >= 0


@dataclass(frozen=True)
class _Line:
    number: int
    offset: int
    text: str
    ending: str


def _lines(text: str) -> Iterator[_Line]:
    """Lines with their offsets; ``\\r\\n``, ``\\r`` and ``\\n`` end a line."""
    offset, number = 0, 1
    while offset < len(text):
        match = _LINE.match(text, offset)
        assert match is not None  # the pattern matches the empty string
        yield _Line(number, offset, match.group(1), match.group(2))
        offset, number = match.end(), number + 1


def _marker_column(line: _Line, marker: str) -> int:
    """The 1-based column of ``marker`` when it stands alone on ``line``, else 0."""
    body = line.text.lstrip(" ")
    indent = len(line.text) - len(body)
    return indent + 1 if indent <= 3 and body.rstrip(" \t") == marker else 0


def find_regions(text: str) -> list[Region]:
    """Every opening marker of ``text`` outside fenced code, with its region.

    An opening marker is closed by the next closing marker line; when another
    opening marker (or the end of the file) comes first it is unclosed, and
    its text is never replaced.
    """
    lines = list(_lines(text))
    regions: list[Region] = []
    fence: tuple[str, int] | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        fence = _fence_after(line.text, fence)
        if fence is not None or not (column := _marker_column(line, OPEN)):
            continue
        start = line.offset + len(line.text) + len(line.ending)
        end = -1
        for later in lines[index:]:
            if _marker_column(later, CLOSE):
                end = later.offset
                index = later.number  # resume after the closing marker
                break
            if _marker_column(later, OPEN):
                break
        regions.append(Region(line.number, column, start, end, line.ending or "\n"))
    return regions


def _fence_after(text: str, fence: tuple[str, int] | None) -> tuple[str, int] | None:
    """The open code fence after a line (``None`` outside fenced code)."""
    match = _FENCE.match(text)
    if match is None:
        return fence
    run, rest = match.group(1), text[match.end() :]
    if fence is None:
        opens = not (run[0] == "`" and "`" in rest)
        return (run[0], len(run)) if opens else None
    closes = run[0] == fence[0] and len(run) >= fence[1] and not rest.strip()
    return None if closes else fence


def region_text(lines: list[str], newline: str) -> str:
    """What belongs between the two marker lines: the table set off by blank lines."""
    return newline + newline.join(lines) + newline + newline


def embed(text: str, lines: list[str]) -> str:
    """``text`` with every closed region holding the table ``lines``; nothing else changes."""
    result = text
    for region in reversed(find_regions(text)):
        if region.closed:
            content = region_text(lines, region.newline)
            result = result[: region.start] + content + result[region.end :]
    return result


def embedded_records(path: str, text: str) -> list[dict[str, Any]]:
    """A ``matrices`` record for each opening marker of a Markdown file: where it
    stands, whether it is closed, and the region's text (:func:`region_text` with
    ``\n`` line endings, so it equals the ledger's ``matrix`` exactly when the
    region holds what ``--write`` would put there)."""
    records = []
    for region in find_regions(text):
        content = text[region.start : region.end] if region.closed else ""
        parts = content.split(region.newline)
        if not any("\r" in part or "\n" in part for part in parts):
            content = "\n".join(parts)  # else it differs from any table, as written
        records.append(
            {
                "path": path,
                "line": region.line,
                "column": region.column,
                "end_line": region.line,
                "end_column": region.column + len(OPEN),
                "closed": region.closed,
                "table": content,
            }
        )
    return records


def rendered(ledger: Record, now: dt.date) -> str:
    """The region text ``proofgate matrix --write`` embeds, with ``\n`` line endings."""
    return region_text(table_lines(build_matrix(ledger, now)), "\n")
