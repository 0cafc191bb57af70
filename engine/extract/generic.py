"""The generic extractor: every scalar of a YAML, JSON or TOML file as a ``ConfigValue``.

Each scalar leaf becomes one ``config_values`` record with its ``format``
(``yaml``/``json``/``toml``), its dotted ``key`` path and its ``value``. Keys
join with dots and list indexes are plain numbers (``jobs.build.steps.0.uses``);
a key that is empty, all digits, or holds a dot, a space, a bracket or a quote
is written in brackets as a JSON string (``a["x.y"]``, ``ports["8080"]``), so
a path never reads two ways. A scalar at the root has the key ``""``.

Values are JSON-able: TOML dates and times become ISO 8601 strings, infinite
and NaN floats become ``"inf"``, ``"-inf"`` and ``"nan"``.

Positions are the value's span:

- YAML comes from :mod:`engine.extract.yamlsrc` (exact; duplicate keys are
  reported and the last one wins; every document of a stream contributes,
  with no document index in the key).
- JSON is parsed by the stdlib ``json`` module (values, errors); a small
  tokenizer over the already-validated text then finds where each value
  stands, in document order (exact). Duplicate keys are not problems in
  JSON (RFC 8259 only says names SHOULD be unique): each occurrence is a leaf.
  An empty or blank JSON file has no values and no problem.
- TOML values come from ``tomllib``, which knows no positions: a small
  scanner walks table headers (``[a.b]``, ``[[a]]`` with their array indexes)
  and ``key = value`` lines to place each value. This is best effort: a leaf
  whose path the scanner did not place takes the position of its nearest
  placed ancestor (its table header or key), or line 1.

A file with more than :data:`MAX_LEAVES` scalars keeps the first ones and
reports a problem where it was cut.
"""

from __future__ import annotations

import datetime
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import Any

from ..core.text import LineIndex
from . import yamlsrc
from .base import Extraction, Problem, SourceFile, position

MAX_LEAVES = 100_000

Part = str | int
Path = tuple[Part, ...]
Span = tuple[int, int, int, int]  # line, column, end line, end column


@dataclass(frozen=True)
class _Leaf:
    path: Path
    value: Any
    span: Span


class _Unreadable(Exception):
    """A file the parser rejected, with the 1-based position of the fault."""

    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def extract(source: SourceFile) -> Extraction:
    """Extract ``config_values`` from a ``yaml``, ``json`` or ``toml`` source file."""
    out = Extraction()
    reader = _READERS.get(source.kind)
    if reader is None:
        out.problems.append(Problem(source.path, 1, 1, f"no generic reader for '{source.kind}'"))
        return out
    try:
        leaves = reader(source.text, out, source.path)
    except _Unreadable as exc:
        out.problems.append(Problem(source.path, exc.line, exc.column, exc.message))
        return out
    _emit(source, leaves, out)
    return out


def _emit(source: SourceFile, leaves: Iterator[_Leaf], out: Extraction) -> None:
    """Add one record per leaf, at most :data:`MAX_LEAVES` of them."""
    for count, leaf in enumerate(islice(leaves, MAX_LEAVES + 1)):
        line, column, end_line, end_column = leaf.span
        if count == MAX_LEAVES:
            message = f"more than {MAX_LEAVES} values: the rest of the file is not checked"
            out.problems.append(Problem(source.path, line, column, message))
            return
        out.add(
            "config_values",
            {
                **position(source.path, line, column, end_line, end_column),
                "format": source.kind,
                "key": key_path(leaf.path),
                "value": _plain(leaf.value),
            },
        )


_PLAIN_KEY = re.compile(r'[^\s.\[\]"]+')
_DIGITS = re.compile(r"[0-9]+")


def key_path(path: Path) -> str:
    """The dotted form of a key path: ``a.b.0.c``, or ``a["x.y"]`` for awkward keys."""
    out: list[str] = []
    for part in path:
        if isinstance(part, int) or (_PLAIN_KEY.fullmatch(part) and not _DIGITS.fullmatch(part)):
            out.append(f".{part}" if out else str(part))
        else:
            out.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(out)


def _plain(value: Any) -> Any:
    """A JSON-able form of a scalar."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


# --- YAML -------------------------------------------------------------------


def _yaml(text: str, out: Extraction, path: str) -> Iterator[_Leaf]:
    try:
        documents = yamlsrc.load(text)
    except yamlsrc.YamlError as exc:
        raise _Unreadable(f"malformed YAML: {exc.message}", exc.line, exc.column) from None
    for document in documents:
        for key, line, column in yamlsrc.duplicate_keys(document):
            out.problems.append(Problem(path, line, column, f"duplicate key '{key}'"))
    return _node_leaves(documents)


def _node_leaves(documents: list[yamlsrc.Node]) -> Iterator[_Leaf]:
    stack: list[tuple[Path, yamlsrc.Node]] = [((), doc) for doc in reversed(documents)]
    while stack:
        path, node = stack.pop()
        if isinstance(node.value, dict):
            stack.extend(((*path, k), v) for k, v in reversed(node.value.items()))
        elif isinstance(node.value, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(node.value))))
        else:
            yield _Leaf(path, node.value, (node.line, node.column, node.end_line, node.end_column))


# --- JSON -------------------------------------------------------------------


class _Object(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs, duplicates kept, in order."""


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.S)


def _json(text: str, out: Extraction, path: str) -> Iterator[_Leaf]:
    if not text.strip():
        return iter(())
    try:
        value = json.loads(text, object_pairs_hook=_Object)
    except json.JSONDecodeError as exc:
        raise _Unreadable(f"malformed JSON: {exc.msg}", exc.lineno, exc.colno) from None
    except RecursionError:
        raise _Unreadable("malformed JSON: nested too deeply", 1, 1) from None
    except ValueError as exc:  # e.g. an integer longer than Python converts
        raise _Unreadable(f"malformed JSON: {exc}", 1, 1) from None
    return _json_leaves(value, iter(_json_spans(text)), LineIndex(text))


def _json_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of every value of valid JSON ``text``, in document order."""
    spans: list[tuple[int, int]] = []
    open_values: list[tuple[int, bool]] = []  # (index in spans, is an object)
    expect_key = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        if token == ",":
            expect_key = bool(open_values) and open_values[-1][1]
        elif token in "}]":
            index, _ = open_values.pop()
            spans[index] = (spans[index][0], match.end())
        elif expect_key:
            expect_key = False  # the key itself; its value follows the ':'
        elif token != ":":
            spans.append((match.start(), match.end()))
            if token in "{[":
                open_values.append((len(spans) - 1, token == "{"))
                expect_key = token == "{"
    return spans


def _json_leaves(value: Any, spans: Iterator[tuple[int, int]], lines: LineIndex) -> Iterator[_Leaf]:
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        start, end = next(spans, (0, 0))
        if isinstance(item, _Object):
            stack.extend(((*path, k), v) for k, v in reversed(item))
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(item))))
        else:
            yield _Leaf(path, item, (*lines.position(start), *lines.position(end)))


# --- TOML -------------------------------------------------------------------

_TOML_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


def _toml(text: str, out: Extraction, path: str) -> Iterator[_Leaf]:
    try:
        value = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _toml_error(str(exc), text) from None
    except RecursionError:
        raise _Unreadable("malformed TOML: nested too deeply", 1, 1) from None
    except ValueError as exc:
        raise _Unreadable(f"malformed TOML: {exc}", 1, 1) from None
    return _toml_leaves(value, toml_spans(text))


def toml_spans(text: str) -> dict[Path, Span]:
    """Where the scanner placed each value, table header and array element of
    valid TOML ``text``, by key path (best effort, see the module docstring)."""
    lines = LineIndex(text)
    return {
        key: (*lines.position(a), *lines.position(b))
        for key, (a, b) in _TomlScanner(text).scan().items()
    }


def toml_error_at(error: tomllib.TOMLDecodeError, text: str) -> tuple[str, int, int]:
    """A tomllib error's message (``malformed TOML: ...``) and its 1-based line and column."""
    found = _toml_error(str(error), text)
    return found.message, found.line, found.column


def _toml_error(message: str, text: str) -> _Unreadable:
    """The position that tomllib writes at the end of its message, as numbers."""
    found = _TOML_AT.search(message)
    if found:
        line, column = int(found.group(1)), int(found.group(2))
        return _Unreadable(f"malformed TOML: {message[: found.start()]}", line, column)
    found = _TOML_AT_END.search(message)
    if found:
        line, column = LineIndex(text).position(len(text))
        return _Unreadable(f"malformed TOML: {message[: found.start()]}", line, column)
    return _Unreadable(f"malformed TOML: {message}", 1, 1)


def _toml_leaves(value: Any, spans: dict[Path, Span]) -> Iterator[_Leaf]:
    stack: list[tuple[Path, Any]] = [((), value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, dict):
            stack.extend(((*path, k), v) for k, v in reversed(item.items()))
        elif isinstance(item, list):
            stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(item))))
        else:
            yield _Leaf(path, item, nearest_span(spans, path))


def nearest_span(spans: dict[Path, Span], path: Path) -> Span:
    """The span of ``path``, else of its nearest placed ancestor, else line 1."""
    for length in range(len(path), 0, -1):
        span = spans.get(path[:length])
        if span is not None:
            return span
    return (1, 1, 1, 1)


class _Stop(Exception):
    """The scanner met something it does not follow: keep what it placed so far."""


_TOML_SKIP = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_TOML_WS = re.compile(r"[ \t]*")
_TOML_KEY = re.compile(r"[A-Za-z0-9_-]+|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'")
_TOML_STRING = re.compile(
    r'"""(?:[^\\]|\\.)*?""""{0,2}'  # multi-line basic: up to two quotes may end the content
    r"|'''.*?''''{0,2}"  # multi-line literal
    r"|\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'",
    re.S,
)
_TOML_SCALAR = re.compile(r"[^\s,\]}#]+(?: [0-9][^\s,\]}#]*)?")


class _TomlScanner:
    """Finds the offsets of TOML values by their key paths (text already valid TOML)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.table: Path = ()
        self.arrays: dict[Path, int] = {}  # array-of-tables path -> tables so far
        self.spans: dict[Path, tuple[int, int]] = {}

    def scan(self) -> dict[Path, tuple[int, int]]:
        """Offsets of every value, table header and array element the scanner placed."""
        try:
            while self._skip(_TOML_SKIP) < len(self.text):
                if self.text.startswith("[", self.pos):
                    self._header()
                else:
                    self._key_value(self.table, 0)
        except (_Stop, RecursionError):
            pass
        return self.spans

    def _skip(self, pattern: re.Pattern[str]) -> int:
        match = pattern.match(self.text, self.pos)
        self.pos = match.end() if match else self.pos
        return self.pos

    def _eat(self, literal: str) -> None:
        if not self.text.startswith(literal, self.pos):
            raise _Stop
        self.pos += len(literal)

    def _header(self) -> None:
        start = self.pos
        many = self.text.startswith("[[", self.pos)
        self._eat("[[" if many else "[")
        key = self._key()
        self._eat("]]" if many else "]")
        if many:
            array = (*self._resolve(key[:-1]), key[-1])
            count = self.arrays.get(array, 0)
            self.arrays[array] = count + 1
            self.table = (*array, count)
        else:
            self.table = self._resolve(key)
        self.spans[self.table] = (start, self.pos)

    def _resolve(self, key: tuple[str, ...]) -> Path:
        """A header's path, stepping into the last table of each array of tables."""
        path: Path = ()
        for part in key:
            path = (*path, part)
            if path in self.arrays:
                path = (*path, self.arrays[path] - 1)
        return path

    def _key(self) -> tuple[str, ...]:
        parts: list[str] = []
        while True:
            self._skip(_TOML_WS)
            match = _TOML_KEY.match(self.text, self.pos)
            if match is None:
                raise _Stop
            parts.append(_toml_key(match.group()))
            self.pos = match.end()
            self._skip(_TOML_WS)
            if not self.text.startswith(".", self.pos):
                return tuple(parts)
            self.pos += 1

    def _key_value(self, table: Path, depth: int) -> None:
        path = (*table, *self._key())
        self._eat("=")
        self._skip(_TOML_WS)
        self._value(path, depth)

    def _value(self, path: Path, depth: int) -> None:
        if depth > yamlsrc.MAX_DEPTH:
            raise _Stop
        start = self.pos
        self.spans[path] = (start, start)  # kept as is if the scanner stops inside
        if self.text.startswith("[", start):
            self._items(path, depth)
        elif self.text.startswith("{", start):
            self._inline_table(path, depth)
        else:
            match = (_TOML_STRING if self.text[start : start + 1] in "\"'" else _TOML_SCALAR).match(
                self.text, start
            )
            if match is None:
                raise _Stop
            self.pos = match.end()
        self.spans[path] = (start, self.pos)

    def _items(self, path: Path, depth: int) -> None:
        self._eat("[")
        index = 0
        while self._skip(_TOML_SKIP) < len(self.text) and not self.text.startswith("]", self.pos):
            self._value((*path, index), depth + 1)
            index += 1
            self._skip(_TOML_SKIP)
            if self.text.startswith(",", self.pos):
                self.pos += 1
        self._eat("]")

    def _inline_table(self, path: Path, depth: int) -> None:
        self._eat("{")
        while self._skip(_TOML_SKIP) < len(self.text) and not self.text.startswith("}", self.pos):
            self._key_value(path, depth + 1)
            self._skip(_TOML_SKIP)
            if self.text.startswith(",", self.pos):
                self.pos += 1
        self._eat("}")


def _toml_key(token: str) -> str:
    """A simple key as TOML reads it (quoted keys unescaped by tomllib itself)."""
    if token.startswith('"'):
        return next(iter(tomllib.loads(f"{token} = 0")))
    if token.startswith("'"):
        return token[1:-1]
    return token


_READERS: dict[str, Callable[[str, Extraction, str], Iterator[_Leaf]]] = {
    "yaml": _yaml,
    "json": _json,
    "toml": _toml,
}
