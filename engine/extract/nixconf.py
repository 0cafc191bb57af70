"""nix.conf: one ``nix_settings`` record per setting, read the way Nix reads it.

Nix's reader (``applyConfig`` in libutil's ``config.cc``) works line by line:

- ``#`` starts a comment anywhere on a line, even inside a value;
- a line is split into words on spaces, tabs and carriage returns, and must
  read ``name = value...`` with ``=`` as a word of its own (``name=value`` is
  an illegal line for Nix, so it is a problem here too);
- the value is the words after ``=`` joined by one space; list settings such
  as ``substituters`` split it on whitespace again;
- ``include PATH`` and ``!include PATH`` (missing file allowed) pull in
  another file: recorded with key ``include`` and the path as value;
- there are no continuation lines and no quoting.
"""

from __future__ import annotations

import itertools
import re

from .base import Extraction, Problem, Record, SourceFile, Spans, position

_WORD = re.compile(r"[^ \t\r\n]+")
_INCLUDES = ("include", "!include")


def extract(source: SourceFile) -> Extraction:
    """Read a nix.conf file into ``nix_settings`` records (source ``nix.conf``)."""
    result = Extraction()
    spans = Spans(source)
    for number, line in enumerate(source.text.split("\n"), start=1):
        words = list(_WORD.finditer(line.split("#", 1)[0]))
        if words:
            _read_line(source, spans, number, words, result)
    return result


def _read_line(
    source: SourceFile, spans: Spans, number: int, words: list[re.Match[str]], result: Extraction
) -> None:
    key = words[0]
    setting = _setting([word.group() for word in words])
    if isinstance(setting, str):
        result.problems.append(Problem(source.path, number, key.start() + 1, setting))
        return
    name, values = setting
    record = {
        **position(source.path, number, key.start() + 1, number, key.end() + 1),
        "source": "nix.conf",
        "key": name,
        "value": " ".join(values),
        "values": values,
        "spans": {
            "key": spans.span(number, key.start() + 1, number, key.end() + 1),
            "values": _value_spans(spans, number, words),
        },
    }
    result.add("nix_settings", record)


def _value_spans(spans: Spans, number: int, words: list[re.Match[str]]) -> Record:
    """Each value word with the blank before it (deleting it removes the value)."""
    found: Record = {}
    for before, word in itertools.pairwise(words[1:]):
        found.setdefault(word.group(), spans.span(number, before.end() + 1, number, word.end() + 1))
    return found


def _setting(words: list[str]) -> tuple[str, list[str]] | str:
    """The key and values of a line's words, or why Nix would reject the line."""
    line = " ".join(words)
    if words[0] in _INCLUDES:
        if len(words) != 2:
            return f"illegal line '{line}': expected '{words[0]} PATH'"
        return "include", words[1:]
    if len(words) < 2 or words[1] != "=":
        return f"illegal line '{line}': expected 'name = value' with spaces around '='"
    return words[0], words[2:]
