"""Markdown files to ``sentences``, ``code``, ``documents`` and ``html`` records.

pyromark (pulldown-cmark) parses the file; this module walks its events with
their UTF-8 byte ranges and keeps an exact source map:

- Prose blocks (headings, paragraphs, list items, each table cell, block
  quotes, footnote definitions) become units of visible text: emphasis and
  link markup dropped, link text and inline code text kept, image alt text
  and HTML dropped, soft and hard breaks (and ``<br>``) turned into one space.
  :mod:`engine.extract.sentences` cuts each unit into ``Sentence`` records;
  a heading's own sentences carry the heading path of its parents.
- Every sentence carries ``_map``: ``[text_offset, line, column]`` runs, one
  per contiguous piece of source text, which :func:`locate` turns into the
  source position of any character of the sentence. Text that stands for
  other source text (``&amp;``, a line break) maps to where that source starts.
- Fenced, indented and inline code become ``Code`` records; code blocks are
  never prose. A code block's text drops its last line break.
- HTML blocks, comments and inline tags become ``Html`` records.
- The YAML front matter (a metadata block at the very start of the file) and
  the first H1 make the file's ``Document`` record.

Only headings outside block quotes, lists and footnotes make the heading path.
A table's header cells are their own column's ``table_header``.

pulldown-cmark also reads a ``---`` / ``---`` pair later in the file as a
metadata block, where CommonMark (and GitHub) sees a rule and a paragraph or
a setext heading. When that happens the body is parsed again without
metadata blocks, so only front matter is ever treated as YAML.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate, compress, count, pairwise, repeat
from operator import add, not_
from typing import Any

import pyromark
from pyromark.event import Range

from . import yamlsrc
from .admonitions import Unmarked, unmark
from .base import Extraction, Problem, Record, SourceFile, position
from .matrix import OPEN, embedded_records
from .sentences import split

_O = pyromark.Options
_BODY_OPTIONS = (
    _O.ENABLE_TABLES
    | _O.ENABLE_FOOTNOTES
    | _O.ENABLE_STRIKETHROUGH
    | _O.ENABLE_TASKLISTS
    | _O.ENABLE_GFM  # `> [!NOTE]` alerts: the marker is not prose
)
_PARSER = pyromark.Markdown(options=_BODY_OPTIONS | _O.ENABLE_YAML_STYLE_METADATA_BLOCKS)
_BODY_PARSER = pyromark.Markdown(options=_BODY_OPTIONS)

COLLECTIONS = ("sentences", "code", "documents", "html", "matrices")

_Where = tuple[int, int, int, int]  # line, column, end line, end column in the source
_Run = tuple[int, int, int, int, int]  # a text offset and its _Where

# 1 for the bytes that start a UTF-8 character, 0 for continuation bytes
_LEAD_BYTES = bytes((byte & 0xC0) != 0x80 for byte in range(256))


def extract(source: SourceFile) -> Extraction:
    """Extract the records of one Markdown file; never raises on bad Markdown."""
    out = Extraction(records={name: [] for name in COLLECTIONS})
    text = source.text
    unmarked = unmark(text, mdx=source.path.lower().endswith(".mdx"))
    if unmarked is not None:
        text = unmarked.text
    try:
        data = text.encode()
    except UnicodeEncodeError as exc:
        out.problems.append(Problem(source.path, 1, 1, f"not UTF-8 text: {exc.reason}"))
        return out
    lines = _Lines(data)
    walker = _Walker(source.path, lines, 0, out)
    try:
        walker.walk(_PARSER, text)
    except _LateMetadata:
        out.records = {name: [] for name in COLLECTIONS}
        body = _Walker(source.path, lines, walker.body_start, out)
        body.front_matter = walker.front_matter
        body.walk(_BODY_PARSER, data[walker.body_start :].decode())
        walker = body
    walker.finish()
    if unmarked is not None:
        _restore(out, unmarked)
    _page_note(out.records["sentences"], out.records["code"])
    if OPEN in source.text:
        out.records["matrices"] = embedded_records(source.path, source.text)
    return out


def _restore(out: Extraction, unmarked: Unmarked) -> None:
    """Give the records of an unmarked text their call-outs and original columns."""
    callouts, shifts = unmarked.callouts, unmarked.shifts
    for record in out.records["sentences"]:
        if (callout := callouts.get(record["line"])) is not None:
            record["admonition"], record["admonition_title"] = callout
    if not shifts:
        return
    for records in out.records.values():
        for record in records:
            if (shift := shifts.get(record.get("line", 0))) is not None:
                record["column"] += shift
            if (shift := shifts.get(record.get("end_line", 0))) is not None:
                record["end_column"] += shift
            for run in record.get("_map", ()):
                run[2] += shifts.get(run[1], 0)


def _page_note(sentences: list[Record], code: list[Record]) -> None:
    """Give the sentences after it the call-out or block quote a page opens with.

    The note is the text of the quoted sentences that come first after the
    headings ("> **Warning** "krunkit" is experimental"), before any other block
    (a code block too); the sentences after it get it as ``page_note``, the
    note's own are judged by their words and its title (a call-out titled
    "Experimental" hedges its own body, not the page).
    """
    note: list[Record] = []
    for record in sentences:
        if record["block"] == "heading":
            continue
        if not (record["in_blockquote"] or record.get("admonition")):
            break
        note.append(record)
    if not note:
        return
    first, last = note[0]["line"], note[-1]["end_line"]
    if any(c["kind"] != "inline" and c["line"] < first for c in code):
        return
    text = " ".join(record["text"] for record in note)
    for record in sentences:
        if record["line"] > last:
            record["page_note"] = text


def locate(record: Record, offset: int) -> tuple[int, int]:
    """The source ``(line, column)`` of character ``offset`` of a sentence's ``text``."""
    runs = record["_map"]
    index = max(bisect_right(runs, offset, key=lambda run: run[0]) - 1, 0)
    start, line, column = runs[index]
    return line, column + offset - start


class _LateMetadata(Exception):
    """A metadata block after the start of the file: parse it as Markdown instead."""


class _Lines:
    """Turns byte offsets into 1-based lines and code point columns.

    Line breaks are ``\\r\\n``, ``\\r`` or ``\\n``. Columns of ASCII lines are
    byte distances; a non-ASCII line gets a byte-to-column table the first
    time it is asked for.
    """

    def __init__(self, data: bytes) -> None:
        self.data = data
        if b"\r" in data:  # bytes.splitlines() breaks lines at \r\n, \r and \n only
            contents = data.splitlines()
            starts = list(accumulate(map(len, data.splitlines(True)), initial=0))
            if data[-1] in b"\r\n":
                contents.append(b"")  # the empty line after the last break
            else:
                starts.pop()
        else:  # the same, faster
            contents = data.split(b"\n")
            starts = list(accumulate(map(add, map(len, contents), repeat(1)), initial=0))
            starts.pop()
        self.starts = starts
        # where each line's break starts (the \n of a \r\n stands where its \r does)
        self.ends = list(map(add, starts, map(len, contents)))
        # where the next line starts (after the last line: past the end)
        self.nexts = starts[1:]
        self.nexts.append(len(data) + 1)
        self.wide: set[int] = set()  # the indexes of non-ASCII lines
        if not data.isascii():
            self.wide = set(compress(count(), map(not_, map(bytes.isascii, contents))))
        self.tables: dict[int, list[int]] = {}

    def pos(self, offset: int) -> tuple[int, int]:
        """The ``(line, column)`` of the byte at ``offset``."""
        index = bisect_right(self.starts, offset) - 1
        end = self.ends[index]
        column = (offset if offset < end else end) - self.starts[index]
        if index in self.wide:
            column = (self.tables.get(index) or self.table(index))[column]
        return index + 1, column + 1

    def table(self, index: int) -> list[int]:
        """For each byte offset of non-ASCII line ``index``, the code points before it."""
        start = self.starts[index]
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.data)
        leads = self.data[start:end].translate(_LEAD_BYTES)
        table = self.tables[index] = list(accumulate(leads, initial=0))
        return table


@dataclass
class _Raw:
    """The text of a code block, HTML block or front matter being collected."""

    kind: str
    lang: str = ""
    parts: list[str] = field(default_factory=list)
    start: int = -1
    end: int = -1

    def add(self, value: str, start: int) -> None:
        if self.start < 0:
            self.start = start
        self.parts.append(value)
        content = value.rstrip("\r\n")
        if content:
            self.end = start + (len(content) if content.isascii() else len(content.encode()))

    def text(self) -> str:
        text = "".join(self.parts)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text[:-1] if text.endswith("\n") else text


class _Walker:
    """Walks pyromark events and adds records to an :class:`Extraction`.

    The prose of the block being read is ``parts`` (its pieces of text) and
    ``runs`` (where each piece stands in the source: line, column, end line,
    end column). Both lists are only ever cleared, never replaced, so that
    :meth:`walk` can keep them in local variables.
    """

    def __init__(self, path: str, lines: _Lines, base: int, out: Extraction) -> None:
        self.path = path
        self.lines = lines
        self.base = base  # byte offset of the parsed text in the file
        self.out = out
        self.sentences = out.records["sentences"]
        self.code = out.records["code"]
        self.html = out.records["html"]
        # the blocks the events are in (blockquote | list_item | footnote), as
        # the block of the prose they hold (a footnote's is "paragraph")
        self.containers: list[str] = []
        self.block = "paragraph"  # of the prose read now: the innermost container's
        self.quotes = 0
        self.alerts: list[str] = []  # of each block quote the events are in: its alert kind or ""
        # the alt text of the image read now, and of each image of the prose read now
        self.alt: list[str] = []
        self.alts: list[str] = []
        self.levels: list[int] = []
        self.headings: list[str] = []
        self.heading = ""
        self.title = ""
        self.front_matter: dict[str, Any] = {}
        self.body_start = 0
        self.level = 0  # of the heading being read
        self.in_head = False
        self.column = 0
        self.headers: list[str] = []
        self.row_cells: list[str] = []  # the text of each cell of the row read now
        self.row_prose: list[str] = []  # the same with the inline code left out
        self.row_linked: list[bool] = []  # whether each cell's every word is link text
        self.row_records: list[Record] = []  # the sentences of that row
        self.parts: list[str] = []
        self.runs: list[_Where] = []
        self.raw: _Raw | None = None
        # the task state of each list item the events are in ("open", "done",
        # or "" for an item without a task-list marker), innermost last
        self.tasks: list[str] = []
        # the links of the prose read now: [start, end) offsets into its text
        # (an unclosed one ends at -1)
        self.links: list[list[int]] = []
        # the code spans of the prose read now: (offset into its text, the code)
        self.codes: list[tuple[int, str]] = []
        # the last sentence of the prose emitted last, until a heading, table or
        # code block comes between; and for each list the events are in,
        # innermost last, its (lead, parent): the lead-in (that sentence when it
        # ends with a colon, else "") and the item the list is nested in (that
        # item's last sentence, or "" for a list that is not in a list item)
        self.last_sentence = ""
        self.lists: list[tuple[str, str]] = []
        # the sentence that leads into the table read now, when it ends with a colon
        self.table_lead = ""

    def walk(self, parser: pyromark.Markdown, text: str) -> None:
        """Read every event of ``text`` (the file from byte ``base`` on).

        Text, code spans and line breaks are by far the most frequent events:
        they are handled right here, with the state they need in locals.
        Their source positions come from a cursor on the line of the previous
        one (``lines.pos``, inlined): the next piece is mostly on that line.
        """
        base = self.base
        parts, runs = self.parts, self.runs
        add_part, add_run = parts.append, runs.append
        lines = self.lines
        starts, ends, nexts, wide, tables = (
            lines.starts,
            lines.ends,
            lines.nexts,
            lines.wide,
            lines.tables,
        )
        # the cursor: a line's index and number, where it starts (and the
        # offset of its column 0), where its break starts, where the next line
        # starts, and its column table if it is wide; it starts before line 1
        index = -1
        line = line_start = line_origin = line_end = line_next = 0
        table: list[int] | None = None
        raw = self.raw
        images = 0  # how many images the events are inside: their alt text is not prose
        events: Iterator[tuple[Any, Range]] = parser.events_with_range(text)
        for event, span in events:
            if type(event) is str:  # SoftBreak, HardBreak or Rule
                if event == "Rule" or raw is not None or images:
                    continue
                value = " "  # a line break is a space, one column wide
                start = span["start"] + base
                size = 1
            elif (value := event.get("Text")) is not None:
                start = span["start"]
                if raw is not None:
                    raw.add(value, start + base)
                    continue
                if images:  # an image's alt text: not prose, but kept as a fact
                    self.alt.append(value)
                    continue
                size = span["end"] - start
                start += base
            elif (value := event.get("Code")) is not None:
                if images:
                    continue
                start = span["start"] + base
                size = -1  # a code span
            else:
                images, raw = self._structure(event, span, base, images, raw)
                continue
            # a piece of prose (or a code span) from byte start on: where is it?
            if not line_start <= start < line_next:  # move the cursor
                if line_next <= start < nexts[index + 1]:
                    index += 1
                else:
                    index = bisect_right(starts, start) - 1
                line = index + 1
                line_start, line_end, line_next = starts[index], ends[index], nexts[index]
                line_origin = line_start - 1
                table = (tables.get(index) or lines.table(index)) if index in wide else None
            if table is None:
                column = (start if start < line_end else line_end) - line_origin
            else:
                column = table[(start if start < line_end else line_end) - line_start] + 1
            if size < 0:
                self.on_code(value, start, span["end"] + base, line, column)
                continue
            if size == len(value) or size == len(value.encode()):
                add_run((line, column, line, column + len(value)))
            else:  # an entity: the text stands for all of its source
                add_run((line, column, *lines.pos(span["end"] + base)))
            add_part(value)

    def _structure(
        self, event: dict[str, Any], span: Range, base: int, images: int, raw: _Raw | None
    ) -> tuple[int, _Raw | None]:
        """A structural event (a block or inline starts or ends, HTML): returns how
        many images the events are inside after it, and the raw block being read."""
        if (tag := event.get("Start")) is not None:
            name = tag if type(tag) is str else next(iter(tag))
            if name in _INLINE:
                images += name == "Image"
                if name == "Link" and not images:
                    self.links.append([sum(map(len, self.parts)), -1])
                return images, raw
            if self.parts:
                self._emit(self.block, "")
            if name in _STARTS:
                self.on_start(name, tag, span["start"] + base, span["end"] + base)
                raw = self.raw
        elif (tag := event.get("End")) is not None:
            name = tag if type(tag) is str else next(iter(tag))
            if name in _INLINE:
                if name == "Image":
                    images -= 1
                    if not images and self.alt:
                        self.alts.append("".join(self.alt).strip())
                        self.alt.clear()
                if name == "Link" and not images and self.links and self.links[-1][1] < 0:
                    self.links[-1][1] = sum(map(len, self.parts))
            elif name == "TableCell":
                self._end_cell()
            elif name in ("TableHead", "TableRow"):
                self._end_row()
            elif raw is not None or name in _ENDS:
                self.on_end(name, span["start"] + base)
                raw = self.raw
            elif self.parts:
                self._emit(self.block, "")
            else:  # a block of images only: its alt texts go with no sentence
                self.alts.clear()
        elif (done := event.get("TaskListMarker")) is not None and self.tasks:
            self.tasks[-1] = "done" if done else "open"
        elif (value := event.get("Html")) is not None and raw is not None:
            raw.add(value, span["start"] + base)
        elif value is not None or (value := event.get("InlineHtml")) is not None:
            start = span["start"] + base
            is_break = self.on_inline_html(value, start, span["end"] + base)
            if is_break and raw is None and not images:
                at_line, at_column = self.lines.pos(start)
                self.parts.append(" ")
                self.runs.append((at_line, at_column, at_line, at_column + 1))
        return images, raw

    def finish(self) -> None:
        """Add the ``documents`` record."""
        title = self.title or self.front_matter.get("title", "")
        record = position(self.path, 1, 1, *self.lines.pos(len(self.lines.data)))
        record["title"] = title if isinstance(title, str) else ""
        record["front_matter"] = self.front_matter
        self.out.add("documents", record)

    # -- inline events ---------------------------------------------------

    def on_code(self, value: str, start: int, end: int, line: int, column: int) -> None:
        """A code span, from byte ``start`` (at ``line``/``column``) to byte ``end``."""
        self.codes.append((sum(map(len, self.parts)), value))
        source = self.lines.data[start:end].decode()
        fence = len(source) - len(source.lstrip("`"))
        inner = source[fence : len(source) - fence]
        if inner == value or (inner[1:-1] == value and inner[:1] == inner[-1:] == " "):
            # _align's first case, inlined: the code stands on one line
            column += fence + (inner != value)
            end_line, end_column = line, column + len(value)
            self.parts.append(value)
            self.runs.append((line, column, line, end_column))
        else:
            column += fence
            line, column, end_line, end_column = self._add_aligned(inner, value, line, column)
        self.code.append(
            {
                "path": self.path,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "kind": "inline",
                "lang": "",
                "text": value,
                "heading": self.heading,
            }
        )

    def _add_aligned(self, source: str, value: str, line: int, column: int) -> _Where:
        """Add ``value`` to the prose read now, piece by piece where it stands in
        ``source`` (its text as written from ``line``/``column``: escapes, line
        breaks, :func:`_align`); return where it starts and ends."""
        runs = _align(source, value, line, column)
        for index, (offset, *where) in enumerate(runs):
            stop = runs[index + 1][0] if index + 1 < len(runs) else len(value)
            self.parts.append(value[offset:stop])
            self.runs.append((where[0], where[1], where[2], where[3]))
        return runs[0][1], runs[0][2], runs[-1][3], runs[-1][4]

    def on_inline_html(self, value: str, start: int, end: int) -> bool:
        """Add an ``html`` record; return whether the tag is a ``<br>``."""
        record = position(self.path, *self.lines.pos(start), *self.lines.pos(end))
        record["text"] = value
        self.html.append(record)
        return value[:3].lower() == "<br" and value[3:4] in (">", "/", " ", "\t")

    # -- block events ----------------------------------------------------

    def on_start(self, name: str, tag: Any, start: int, end: int) -> None:
        """A block starts (one of ``_STARTS``); the prose before it is emitted already."""
        if name == "Heading":
            self.level = int(tag[name]["level"][1])
            self.last_sentence = ""
        elif name == "List":
            lead = self.last_sentence
            # a list nested in an item that leads into nothing stays in its
            # outer list's lead-in ("Limits:" over "- macOS" over "  - 2 VMs")
            nested = self.block == "list_item"
            outer = self.lists[-1][0] if nested and self.lists else ""
            self.lists.append((lead if lead.endswith(":") else outer, lead if nested else ""))
        elif name in _CONTAINERS:
            self.containers.append(_CONTAINERS[name])
            self.block = self.containers[-1]
            if name == "BlockQuote":
                self.quotes += 1
                kind = tag[name] if type(tag) is dict else None  # a GitHub alert's kind
                self.alerts.append(kind.lower() if kind else "")
            if name == "Item":
                self.tasks.append("")
        elif name in ("TableHead", "TableRow"):
            self.in_head = name == "TableHead"
            self.column = 0
            self.row_cells, self.row_prose, self.row_records = [], [], []
            self.row_linked = []
        elif name == "Table":
            self.headers = []
            lead = self.last_sentence
            self.table_lead = lead if lead.endswith(":") else ""
            self.last_sentence = ""
        elif name == "CodeBlock":
            self.raw = _code_block(tag[name])
            if self.last_sentence:  # it leads into the code ("For Amazon Linux 2023:")
                self.sentences[-1]["before_code"] = True
            self.last_sentence = ""
        elif name == "HtmlBlock":
            self.raw = _Raw("html")
        elif name == "MetadataBlock":
            self._metadata(start, end)

    def on_end(self, name: str, start: int) -> None:
        """A heading, container or raw block ends (the walk handles other blocks)."""
        if name == "Heading":
            self._end_heading()
        elif self.raw is not None:
            self._end_raw(self.raw, start)
        else:
            if self.parts:
                self._emit(self.block, "")
            if name == "List":
                self.lists.pop()
                self.last_sentence = ""
            elif name in _CONTAINERS:
                if name == "BlockQuote":  # a quote's last words lead into no list outside it
                    self.quotes -= 1
                    self.alerts.pop()
                    self.last_sentence = ""
                if name == "Item":
                    self.tasks.pop()
                self.containers.pop()
                self.block = self.containers[-1] if self.containers else "paragraph"

    def _metadata(self, start: int, end: int) -> None:
        if start != 0:
            raise _LateMetadata
        self.raw = _Raw("front_matter")
        self.body_start = end

    def _end_raw(self, raw: _Raw, start: int) -> None:
        self.raw = None
        if raw.kind == "front_matter":
            self._front_matter(raw)
            return
        line, column = self.lines.pos(raw.start if raw.start >= 0 else start)
        end_line, end_column = self.lines.pos(raw.end) if raw.end >= 0 else (line, column)
        record = position(self.path, line, column, end_line, end_column)
        record["text"] = raw.text()
        if raw.kind == "html":
            self.html.append(record)
        else:
            record.update(kind=raw.kind, lang=raw.lang, heading=self.heading)
            self.code.append(record)

    def _front_matter(self, raw: _Raw) -> None:
        text = "".join(raw.parts)
        if not text.strip():
            return
        try:
            documents = yamlsrc.load(text)
        except yamlsrc.YamlError as exc:
            # YAML also breaks lines at U+0085/U+2028/U+2029: stay inside the front matter
            line = min(self.lines.pos(raw.start)[0] + exc.line - 1, self.lines.pos(raw.end)[0])
            message = f"front matter: {exc.message}"
            self.out.problems.append(Problem(self.path, line, exc.column, message))
            return
        if documents and documents[0].is_map:
            self.front_matter = documents[0].plain()
            self._front_matter_prose(documents[0], text, self.lines.pos(raw.start)[0])

    def _front_matter_prose(self, document: yamlsrc.Node, text: str, first: int) -> None:
        """The front matter's ``description`` as sentences (block ``front_matter``):
        a landing page whose body is a template holds its words only there (its
        ``title`` is the page's heading, mostly repeated by its first heading).
        Each sentence stands where its words are written, on whichever line of
        a quoted, folded or literal value they are (escapes and line breaks
        aligned as in a code span)."""
        node = document.get("description")
        if node is None or not isinstance(node.value, str):
            return
        lines = yamlsrc.split_lines(text)[node.line - 1 : node.end_line]
        lines[-1] = lines[-1][: node.end_column - 1]
        lines[0] = lines[0][node.column - 1 :]
        value = " ".join(node.value.split())
        self._add_aligned("\n".join(lines), value, first + node.line - 1, node.column)
        self._emit("front_matter", "")
        self.last_sentence = ""  # it leads into no list of the body

    def _end_heading(self) -> None:
        level, self.level = self.level, 0
        outline = not self.containers  # only top-level headings make the heading path
        if outline:
            while self.levels and self.levels[-1] >= level:
                self.levels.pop()
                self.headings.pop()
            self.heading = " > ".join(self.headings)
        name = " ".join(self._emit("heading", "").split())
        if outline and name:
            self.title = self.title or (name if level == 1 else "")
            self.levels.append(level)
            self.headings.append(name)
            self.heading = " > ".join(self.headings)

    def _end_cell(self) -> None:
        """A table cell ends: its sentences (``cell``: the column; ``lead``: the
        table's lead-in), and what the row keeps of it for :meth:`_end_row`."""
        raw = "".join(self.parts)
        text = " ".join(raw.split())
        prose = text
        if self.codes:
            kept, at = [], 0
            for offset, code in self.codes:
                kept.append(raw[at:offset])
                at = offset + len(code)
            prose = " ".join("".join([*kept, raw[at:]]).split())
        if self.in_head:
            self.headers.append(text)
            header = text
        else:
            header = self.headers[self.column] if self.column < len(self.headers) else ""
        first = len(self.sentences)
        self._emit("table_cell", header)
        cell = self.sentences[first:]
        for record in cell:
            record["cell"] = self.column
            if self.table_lead:
                record["lead"] = self.table_lead
        self.row_records += cell
        self.row_cells.append(text)
        self.row_prose.append(prose)
        self.row_linked.append(bool(cell) and all(r.get("link_only") for r in cell))
        self.column += 1

    def _end_row(self) -> None:
        """A table row (or the header row) ends: the row facts of every sentence of
        its cells (``row``: the cells' text joined with `` | ``; ``row_prose``: the
        same without inline code, so the forge's own file name in "Config file |
        `.gitlab-ci.yml`" is not prose; ``table_headers``: the header row's, joined
        like ``row``; ``row_links_only``: every cell but the first is link text
        only, a row of a docs index such as "Advanced | Templates · Gitea")."""
        facts: Record = {
            "row": " | ".join(self.row_cells),
            "table_headers": " | ".join(self.headers),
            "row_prose": " | ".join(self.row_prose),
        }
        if len(self.row_linked) > 1 and all(self.row_linked[1:]):
            facts["row_links_only"] = True
        for record in self.row_records:
            record.update(facts)

    def _emit(self, block: str, header: str) -> str:
        """Add the sentences of the prose read so far; return its text and forget it.

        Each sentence's ``_map`` has one ``[text_offset, line, column]`` run
        per piece of the prose it overlaps.
        """
        parts, runs = self.parts, self.runs
        text = "".join(parts)
        spans = split(text)
        first = len(self.sentences)
        if spans:
            path, heading, headings = self.path, self.heading, self.headings
            quoted, front_matter = self.quotes > 0, self.front_matter
            add = self.sentences.append
            if len(runs) > 1:  # where each piece starts in text, and (last) where text ends
                offsets = list(accumulate(map(len, parts), initial=0))
            for start, end in spans:
                if len(runs) == 1:  # one piece, all on one line
                    line, origin, end_line, end_column = runs[0]
                    column = origin + start
                    line_map = [[0, line, column]]
                    if end < len(text):  # ends inside the piece
                        end_line, end_column = line, origin + end
                else:
                    line_map, end_line, end_column = _source_map(offsets, runs, start, end)
                    _, line, column = line_map[0]
                add(
                    {
                        "path": path,
                        "line": line,
                        "column": column,
                        "end_line": end_line,
                        "end_column": end_column,
                        "text": text[start:end],
                        "block": block,
                        "heading": heading,
                        "headings": list(headings),
                        "table_header": header,
                        "in_blockquote": quoted,
                        "front_matter": front_matter,
                        "_map": line_map,
                    }
                )
        if self.alts:
            if spans:
                for record in self.sentences[first:]:
                    record["images"] = " | ".join(self.alts)
            self.alts.clear()
        if spans and any(self.alerts):
            alert = next(kind for kind in reversed(self.alerts) if kind)
            for record in self.sentences[first:]:
                record["admonition"], record["admonition_title"] = alert, ""
        if len(spans) > 1:  # ``prev``: the sentence before, in the same block
            for before, record in pairwise(self.sentences[first:]):
                record["prev"] = before["text"]
        if spans and block != "table_cell":
            self.last_sentence = self.sentences[-1]["text"]
            if block == "list_item" and self.lists:
                lead, parent = self.lists[-1]
                for record in self.sentences[first:]:
                    if lead:
                        record["lead"] = lead
                    if parent:
                        record["parent"] = parent
        if spans and (self.links or (self.tasks and self.tasks[-1])):
            self._item_facts(text, spans, self.sentences[first:], block)
        if spans and self.codes:
            self._code_facts(text, spans, self.sentences[first:], block)
        parts.clear()
        runs.clear()
        self.links.clear()
        self.codes.clear()
        return text

    def _code_facts(
        self, text: str, spans: list[tuple[int, int]], records: list[Record], block: str
    ) -> None:
        """``codes``: the inline code a sentence holds, all or part ("we need
        `attic`": the command, not the cache); ``term``: the code a list item or
        paragraph opens with, when a dash or colon follows it
        ("`NVIDIA_VISIBLE_DEVICES=all` — expose all GPUs"), on its first sentence."""
        codes, first = self.codes, 0  # both in text order: one sweep
        for record, (start, end) in zip(records, spans, strict=True):
            while first < len(codes) and codes[first][0] + len(codes[first][1]) <= start:
                first += 1
            held = []
            for index in range(first, len(codes)):
                at, code = codes[index]
                if at >= end:
                    break
                held.append(code)
            if held:
                record["codes"] = held
        offset, value = codes[0]
        lead = offset + len(value)
        opens = block in ("list_item", "paragraph") and not text[:offset].strip()
        if opens and _TERM_SEPARATOR.match(text, lead):
            records[0]["term"] = text[:lead].strip()

    def _item_facts(
        self, text: str, spans: list[tuple[int, int]], records: list[Record], block: str
    ) -> None:
        """``task`` ("open" or "done") on the sentences of a task-list item,
        ``link_only`` on a sentence whose every word is link text (a table of
        contents entry, "Docs · Changelog · GitLab parity notes"), and
        ``link_term``: the link text a list item opens with, when a dash or colon
        follows it ("[Self-Service Enrollment](enrol.md) -- GitLab runner
        enrollment"), on its first sentence."""
        task = self.tasks[-1] if self.tasks and self.block == "list_item" else ""
        if block == "list_item" and self.links:
            start, end = self.links[0]
            if end > start and not text[:start].strip() and _TERM_SEPARATOR.match(text, end):
                records[0]["link_term"] = text[start:end].strip()
        unlinked = text  # the block's text with its link text blanked out, once
        for start, end in self.links:
            end = len(text) if end < 0 else end
            unlinked = unlinked[:start] + " " * (end - start) + unlinked[end:]
        for record, (start, end) in zip(records, spans, strict=True):
            if task:
                record["task"] = task
            if self.links and not _WORD.search(unlinked, start, end):
                record["link_only"] = True


def _source_map(
    offsets: list[int], runs: list[_Where], start: int, end: int
) -> tuple[list[list[int]], int, int]:
    """The ``_map`` of ``text[start:end]`` and the source end of its last character.

    ``runs[i]`` (line, column, end line, end column) is where the piece of
    ``text`` from ``offsets[i]`` on stands in the source; the last offset is
    the length of ``text``.
    """
    first = bisect_right(offsets, start) - 1
    last = bisect_right(offsets, end - 1, first) - 1
    line, column, _, _ = runs[first]
    line_map = [[0, line, column + start - offsets[first]]]
    for index in range(first + 1, last + 1):
        line, column, _, _ = runs[index]
        line_map.append([offsets[index] - start, line, column])
    line, column, end_line, end_column = runs[last]
    if end < offsets[last + 1]:
        return line_map, line, column + end - offsets[last]  # ends inside the piece
    return line_map, end_line, end_column


_WORD = re.compile(r"\w")
# What follows a reference entry's term: a dash, a double hyphen or a colon.
_TERM_SEPARATOR = re.compile(r"\s*(?:\u2014|\u2013|--?|:)\s")  # em dash, en dash, hyphens, colon
_INLINE = frozenset(
    {"Emphasis", "Strong", "Strikethrough", "Link", "Image", "Superscript", "Subscript"}
)
_CONTAINERS = {"BlockQuote": "blockquote", "Item": "list_item", "FootnoteDefinition": "paragraph"}
# the blocks whose start or end does more than end the prose before them
_STARTS = frozenset(
    {"Heading", *_CONTAINERS, "List", "TableHead", "TableRow", "Table", "CodeBlock"}
    | {"HtmlBlock", "MetadataBlock"}
)
_ENDS = frozenset({"Heading", *_CONTAINERS, "List"})


def _code_block(kind: Any) -> _Raw:
    if kind == "Indented":
        return _Raw("indented")
    words = kind["Fenced"].split()
    return _Raw("fence", words[0] if words else "")


def _align(source: str, text: str, line: int, column: int) -> list[_Run]:
    """Runs ``(text_offset, line, column, end_line, end_column)`` mapping ``text`` onto ``source``.

    ``text`` is ``source`` (which starts at ``line``/``column``) with some
    characters dropped (escapes, padding) and each line break character
    turned into a space, as in a code span. A space that stands for a line
    break is a run of its own, with no width.
    """
    if source == text or (source[1:-1] == text and source[:1] == source[-1:] == " "):
        column += source != text
        return [(0, line, column, line, column + len(text))]
    runs: list[_Run] = [(0, line, column, line, column)]
    index = 0
    joined = False
    for at, char in enumerate(source):
        newline = char in "\r\n"
        if index < len(text) and (char == text[index] or (newline and text[index] == " ")):
            if joined and not newline:
                runs[-1] = (*runs[-1][:3], line, column + 1)
            else:
                runs.append((index, line, column, line, column + (not newline)))
            joined = not newline
            index += 1
        else:
            joined = False
        if char == "\n" or (char == "\r" and source[at + 1 : at + 2] != "\n"):
            line, column = line + 1, 1
        elif char != "\r":
            column += 1
    return runs[1:] or runs
