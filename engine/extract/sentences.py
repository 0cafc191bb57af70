"""A rule-based sentence splitter for technical English prose.

:func:`split` cuts the visible text of one Markdown block (a paragraph, a list
item, a table cell ...) into sentences. It is a small set of rules rather than
a trained model because it runs on every block of every document: pysbd took
0.76 ms per paragraph in our measurements, more than a whole file may cost.

The rules:

1. A sentence ends after a run of terminators (``.``, ``!``, ``?``, ``…``),
   optionally followed by closing quotes or brackets (``"') ]`` ...), when
   whitespace follows and then the end of the text, an uppercase letter, a
   digit, an opening quote or an opening bracket. A lowercase word starts a
   new sentence only after a single period ("Builds run on Linux. macOS is
   planned.", "... images. npm ci runs next."): names such as macOS, iOS and
   npm are written lower-case at the start of a sentence too. After an
   ellipsis or ``!``/``?`` it does not ("we waited... and it passed").
2. A terminator with no whitespace after it is never a boundary, which keeps
   decimals and versions (``3.14``, ``v1.2.3``), file names (``flake.nix``,
   ``.bazelrc``), URLs and mid-word ellipses inside their sentence.
3. A single period does not end a sentence after:
   - a common abbreviation (``e.g.``, ``i.e.``, ``vs.``, ``cf.``,
     ``approx.``, ``Dr.``, ``Mr.`` ... see ``ABBREVIATIONS``), and ``etc.``
     unless an uppercase letter follows (``ENDING``: it mostly closes its
     sentence then);
   - a numbering abbreviation followed by a digit (``No. 5``, ``Fig. 2``;
     "No. That is wrong." still splits);
   - an initial (``J. Smith``) or dotted letters (``U.S.``, ``a.m.``; an
     ``e.g`` written without its last period is dotted letters too).
4. Line breaks are not boundaries (callers join soft breaks with a space) and
   neither are semicolons or colons.
5. Chinese and Japanese full stops (U+3002, and the fullwidth U+FF01 and
   U+FF1F) end a sentence with or without whitespace after them: those
   scripts put no space between sentences.

Spans are trimmed: they never start or end with whitespace.
"""

from __future__ import annotations

import re

ABBREVIATIONS = frozenset(
    {
        "al",
        "approx",
        "ca",
        "cf",
        "co",
        "corp",
        "dr",
        "e.g",
        "esp",
        "i.e",
        "inc",
        "incl",
        "jr",
        "ltd",
        "mr",
        "mrs",
        "prof",
        "resp",
        "sr",
        "st",
        "viz",
        "vs",
    }
)
"""Words that a period abbreviates (lowercase, without the final period)."""

ENDING = frozenset({"etc"})
"""Abbreviations that end a list and, before an uppercase letter, mostly their
sentence too ("... Travis, Circle, etc. It is no longer required")."""

NUMBERING = frozenset({"ch", "eq", "fig", "figs", "no", "nos", "p", "pp", "sec", "vol"})
"""Abbreviations that stay inside a sentence when a number follows them."""

_TERMINATORS = ".!?\u2026"
_CLOSERS = "\"'\u201d\u2019\u00bb)]}"  # straight and curly quotes, », brackets
_OPENERS = "\"'\u201c\u2018\u00ab([{"
_WINDOW = 64  # longest word looked at for an abbreviation

# A candidate boundary: a run of terminators, then closers, then whitespace;
# group 1 ends where the sentence would end (``\s`` and str.isspace() agree).
# re scans for a literal first character much faster than for a set, so text
# whose only terminator is the period (most text) uses the second pattern.
_RUN = f"[{re.escape(_TERMINATORS)}]*[{re.escape(_CLOSERS)}]*"
_CANDIDATE = re.compile(f"([{re.escape(_TERMINATORS)}]{_RUN})\\s+")
_PERIOD_CANDIDATE = re.compile(f"(\\.{_RUN})\\s+")
_CJK_TERMINATORS = "\u3002\uff01\uff1f"  # ideographic full stop, fullwidth ! and ?
_CJK_CLOSERS = re.escape(_CLOSERS) + "\u300d\u300f\uff09"  # and corner brackets, fullwidth )
_CJK_CANDIDATE = re.compile(f"([{_CJK_TERMINATORS}]+[{_CJK_CLOSERS}]*)\\s*")


def split(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` offsets of the sentences of ``text``, in order."""
    stripped = text.strip()
    if stripped is text:  # nothing to strip (CPython returns text itself)
        start, end = 0, len(text)
    else:
        start = len(text) - len(text.lstrip())
        end = start + len(stripped)
    inner = text[start : end - 1]
    if any(char in inner for char in _CJK_TERMINATORS):
        return [cut for span in _split(text, start, end, inner) for cut in _cjk(text, *span)]
    return _split(text, start, end, inner)


def _cjk(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span ``start``..``end`` cut after each run of CJK terminators."""
    spans = []
    for candidate in _CJK_CANDIDATE.finditer(text, start, end):
        if candidate.end() < end:
            spans.append((start, candidate.end(1)))
            start = candidate.end()
    spans.append((start, end))
    return spans


def _split(text: str, start: int, end: int, inner: str) -> list[tuple[int, int]]:
    """The sentences of ``text[start:end]`` by rules 1 to 4."""
    if "!" in inner or "?" in inner or "\u2026" in inner:
        candidates = _CANDIDATE.finditer(text, start, end)
    elif "." in inner:
        candidates = _PERIOD_CANDIDATE.finditer(text, start, end)
    else:
        return [(start, end)] if end > start else []  # one sentence at most
    # A candidate starts at the first terminator of its run (re goes on after
    # a candidate, and the later terminators of a run that is none fail too).
    # text[end - 1] is not whitespace: a candidate has a character after it.
    spans: list[tuple[int, int]] = []
    for candidate in candidates:
        after = candidate.end()
        char = text[after]  # does it start a sentence?
        starts = char.isupper() or char.isdigit() or char in _OPENERS
        if not starts and char.islower():
            starts = candidate.group(1).rstrip(_CLOSERS) == "."  # a single period
        if starts and not _abbreviated(text, candidate.start(), after):
            spans.append((start, candidate.end(1)))
            start = after
    if end > start:
        spans.append((start, end))
    return spans


def _abbreviated(text: str, dot: int, after: int) -> bool:
    """Whether the period at ``dot`` only closes an abbreviation or an initial."""
    if text[dot] != "." or text[dot + 1 : dot + 2] in (".", "!", "?", "…"):
        return False
    word = _word_before(text, dot)
    lower = word.lower()
    if lower in ENDING:
        return not text[after : after + 1].isupper()
    if lower in ABBREVIATIONS:
        return True
    if lower in NUMBERING:
        return text[after : after + 1].isdigit()
    return _dotted_letters(word)


def _word_before(text: str, dot: int) -> str:
    """The word that ends at ``dot``, without leading quotes or brackets."""
    window_start = max(0, dot - _WINDOW)
    window = text[window_start:dot]
    if not window or window[-1].isspace():
        return ""
    words = window.rsplit(None, 1)
    if window_start > 0 and len(words) == 1 and not window[0].isspace():
        return ""  # longer than the window: no abbreviation
    return words[-1].lstrip(_OPENERS)


def _dotted_letters(word: str) -> bool:
    """``J``, ``U.S``, ``a.m``: single letters separated by periods."""
    parts = word.split(".")
    if len(parts) == 1:
        return len(word) == 1 and word.isupper()
    return all(len(part) == 1 and part.isalpha() for part in parts)
