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

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import pyromark
from pyromark.event import Range

from engine.extract import yamlsrc
from engine.extract.base import Extraction, Problem, Record, SourceFile, position
from engine.extract.sentences import split

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

COLLECTIONS = ("sentences", "code", "documents", "html")

_Handler = Callable[[Any, int, int], None]
_Where = tuple[int, int, int, int]  # line, column, end line, end column in the source
_Run = tuple[int, int, int, int, int]  # a text offset and its _Where

# 1 for the bytes that start a UTF-8 character, 0 for continuation bytes
_LEAD_BYTES = bytes((byte & 0xC0) != 0x80 for byte in range(256))


def extract(source: SourceFile) -> Extraction:
    """Extract the records of one Markdown file; never raises on bad Markdown."""
    out = Extraction(records={name: [] for name in COLLECTIONS})
    try:
        data = source.text.encode()
    except UnicodeEncodeError as exc:
        out.problems.append(Problem(source.path, 1, 1, f"not UTF-8 text: {exc.reason}"))
        return out
    lines = _Lines(data)
    walker = _Walker(source.path, lines, 0, out)
    try:
        walker.walk(_PARSER, source.text)
    except _LateMetadata:
        out.records = {name: [] for name in COLLECTIONS}
        body = _Walker(source.path, lines, walker.body_start, out)
        body.front_matter = walker.front_matter
        body.walk(_BODY_PARSER, data[walker.body_start :].decode())
        walker = body
    walker.finish()
    return out


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
        lines = data.replace(b"\r\n", b" \n").replace(b"\r", b"\n").split(b"\n")
        self.data = data
        self.starts = list(accumulate((len(line) + 1 for line in lines), initial=0))
        self.starts.pop()
        # where each line's break starts: the \n of a \r\n stands where its \r does
        self.ends = [start - 1 for start in self.starts[1:]]
        if b"\r\n" in data:
            self.ends = [end - (data[end - 1 : end + 1] == b"\r\n") for end in self.ends]
        self.ends.append(len(data))
        self.wide = set() if data.isascii() else {i for i, x in enumerate(lines) if not x.isascii()}
        self.tables: dict[int, list[int]] = {}

    def pos(self, offset: int) -> tuple[int, int]:
        """The ``(line, column)`` of the byte at ``offset``."""
        index = bisect_right(self.starts, offset) - 1
        end = self.ends[index]
        column = (offset if offset < end else end) - self.starts[index]
        if index in self.wide:
            column = (self.tables.get(index) or self._table(index))[column]
        return index + 1, column + 1

    def _table(self, index: int) -> list[int]:
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
            self.end = start + len(content.encode())

    def text(self) -> str:
        text = "".join(self.parts)
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text[:-1] if text.endswith("\n") else text


class _Walker:
    """Walks pyromark events and adds records to an :class:`Extraction`."""

    def __init__(self, path: str, lines: _Lines, base: int, out: Extraction) -> None:
        self.path = path
        self.lines = lines
        self.base = base  # byte offset of the parsed text in the file
        self.out = out
        self.sentences = out.records["sentences"]
        self.containers: list[str] = []  # blockquote | list_item | footnote
        self.quotes = 0
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
        # the prose of the block being read: text pieces and their source runs
        self.parts: list[str] = []
        self.offsets: list[int] = []
        self.runs: list[_Where] = []
        self.size = 0
        self.raw: _Raw | None = None
        self.images = 0
        self.handlers: dict[str, _Handler] = {
            "Text": self.on_text,
            "Code": self.on_code,
            "Start": self.on_start,
            "End": self.on_end,
            "Html": self.on_html,
            "InlineHtml": self.on_inline_html,
        }

    def walk(self, parser: pyromark.Markdown, text: str) -> None:
        """Read every event of ``text`` (the file from byte ``base`` on)."""
        base = self.base
        handlers = self.handlers
        events: Iterator[tuple[Any, Range]] = parser.events_with_range(text)
        for event, span in events:
            if type(event) is str:
                if event != "Rule":
                    self.on_break(span["start"] + base)
                continue
            (kind,) = event
            handler = handlers.get(kind)
            if handler is not None:
                handler(event[kind], span["start"] + base, span["end"] + base)

    def finish(self) -> None:
        """Add the ``documents`` record."""
        title = self.title or self.front_matter.get("title", "")
        record = position(self.path, 1, 1, *self.lines.pos(len(self.lines.data)))
        record["title"] = title if isinstance(title, str) else ""
        record["front_matter"] = self.front_matter
        self.out.add("documents", record)

    # -- inline events ---------------------------------------------------

    def _piece(self, text: str, line: int, column: int, end_line: int, end_column: int) -> None:
        """Add ``text``, which stands at ``line``/``column`` up to ``end_line``/``end_column``."""
        self.offsets.append(self.size)
        self.runs.append((line, column, end_line, end_column))
        self.parts.append(text)
        self.size += len(text)

    def on_text(self, value: str, start: int, end: int) -> None:
        if self.raw is not None:
            self.raw.add(value, start)
        elif not self.images:
            line, column = self.lines.pos(start)
            if end - start == len(value) or end - start == len(value.encode()):
                end_line, end_column = line, column + len(value)
            else:  # an entity: the text stands for all of its source
                end_line, end_column = self.lines.pos(end)
            self._piece(value, line, column, end_line, end_column)

    def on_code(self, value: str, start: int, end: int) -> None:
        if self.images:
            return
        source = self.lines.data[start:end].decode()
        fence = len(source) - len(source.lstrip("`"))
        line, column = self.lines.pos(start)
        runs = _align(source[fence : len(source) - fence], value, line, column + fence)
        for index, (offset, *where) in enumerate(runs):
            stop = runs[index + 1][0] if index + 1 < len(runs) else len(value)
            self._piece(value[offset:stop], *where)
        record = position(self.path, *runs[0][1:3], *runs[-1][3:])
        record.update(kind="inline", lang="", text=value, heading=self.heading)
        self.out.add("code", record)

    def on_break(self, start: int) -> None:
        if self.raw is None and not self.images:
            line, column = self.lines.pos(start)
            self._piece(" ", line, column, line, column + 1)

    def on_html(self, value: str, start: int, end: int) -> None:
        if self.raw is not None:
            self.raw.add(value, start)
        else:
            self.on_inline_html(value, start, end)

    def on_inline_html(self, value: str, start: int, end: int) -> None:
        record = position(self.path, *self.lines.pos(start), *self.lines.pos(end))
        record["text"] = value
        self.out.add("html", record)
        if value[:3].lower() == "<br" and value[3:4] in (">", "/", " ", "\t"):
            self.on_break(start)

    # -- block events ----------------------------------------------------

    def on_start(self, tag: Any, start: int, end: int) -> None:
        name = tag if type(tag) is str else next(iter(tag))
        if name in _INLINE:
            self.images += name == "Image"
            return
        self._flush()
        if name == "Heading":
            self.level = int(tag[name]["level"][1])
        elif name in _CONTAINERS:
            self.containers.append(_CONTAINERS[name])
            self.quotes += name == "BlockQuote"
        elif name in ("TableHead", "TableRow"):
            self.in_head = name == "TableHead"
            self.column = 0
        elif name == "Table":
            self.headers = []
        elif name == "CodeBlock":
            self.raw = _code_block(tag[name])
        elif name == "HtmlBlock":
            self.raw = _Raw("html")
        elif name == "MetadataBlock":
            self._metadata(start, end)

    def on_end(self, tag: Any, start: int, end: int) -> None:
        name = tag if type(tag) is str else next(iter(tag))
        if name in _INLINE:
            self.images -= name == "Image"
        elif name == "Heading":
            self._end_heading()
        elif name == "TableCell":
            self._end_cell()
        elif self.raw is not None:
            self._end_raw(self.raw, start)
        else:
            self._flush()
            if name in _CONTAINERS:
                self.quotes -= name == "BlockQuote"
                self.containers.pop()

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
            self.out.add("html", record)
        else:
            record.update(kind=raw.kind, lang=raw.lang, heading=self.heading)
            self.out.add("code", record)

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
        if self.in_head:
            header = " ".join("".join(self.parts).split())
            self.headers.append(header)
        else:
            header = self.headers[self.column] if self.column < len(self.headers) else ""
        self.column += 1
        self._emit("table_cell", header)

    def _flush(self) -> None:
        """Emit the prose read so far (a paragraph, or a tight list item's text)."""
        if self.parts:
            self._emit(_BLOCKS[self.containers[-1]] if self.containers else "paragraph", "")

    def _emit(self, block: str, header: str) -> str:
        """Add the sentences of the prose read so far; return its text and forget it."""
        text, offsets, runs = "".join(self.parts), self.offsets, self.runs
        self.parts, self.offsets, self.runs, self.size = [], [], [], 0
        for start, end in split(text):
            line_map, end_line, end_column = _source_map(text, offsets, runs, start, end)
            self.sentences.append(
                {
                    "path": self.path,
                    "line": line_map[0][1],
                    "column": line_map[0][2],
                    "end_line": end_line,
                    "end_column": end_column,
                    "text": text[start:end],
                    "block": block,
                    "heading": self.heading,
                    "headings": list(self.headings),
                    "table_header": header,
                    "in_blockquote": self.quotes > 0,
                    "_map": line_map,
                }
            )
        return text


def _source_map(
    text: str, offsets: list[int], runs: list[_Where], start: int, end: int
) -> tuple[list[list[int]], int, int]:
    """The ``_map`` of ``text[start:end]`` and the source end of its last character.

    ``runs[i]`` (line, column, end line, end column) is where the piece of
    ``text`` from ``offsets[i]`` on stands in the source.
    """
    first = bisect_right(offsets, start) - 1
    last = bisect_right(offsets, end - 1, first) - 1
    line, column, _, _ = runs[first]
    line_map = [[0, line, column + start - offsets[first]]]
    for index in range(first + 1, last + 1):
        line, column, _, _ = runs[index]
        line_map.append([offsets[index] - start, line, column])
    line, column, end_line, end_column = runs[last]
    if end < (offsets[last + 1] if last + 1 < len(offsets) else len(text)):
        return line_map, line, column + end - offsets[last]  # ends inside the piece
    return line_map, end_line, end_column


_INLINE = frozenset(
    {"Emphasis", "Strong", "Strikethrough", "Link", "Image", "Superscript", "Subscript"}
)
_CONTAINERS = {"BlockQuote": "blockquote", "Item": "list_item", "FootnoteDefinition": "footnote"}
_BLOCKS = {"blockquote": "blockquote", "list_item": "list_item", "footnote": "paragraph"}


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
