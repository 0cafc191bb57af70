"""The literals a regular expression needs: a condition every matching value meets.

:func:`condition` reads a pattern (``regex`` syntax) and derives a condition on
literal strings (all of / any of) that every value where the pattern matches
satisfies, as RE2's prefilter does: exact strings of literals, small classes
and alternations, multiplied out along concatenations; ``\\w+``, large
classes and the like only split them. Anchors and lookarounds match the empty
string, atomic groups and possessive or lazy quantifiers match no string their
plain forms do not: ignoring them only weakens the condition. A ``\\b`` is
kept at the edge of a literal next to a word character. Unknown syntax
(back-references, ``\\p{..}``), and literals shorter than :data:`MIN_LITERAL`,
weaken it to no condition. :mod:`engine.evaluate.prescreen` searches them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .ledger_words import SLOT_CALL, TOKEN_MARK, TOKENS

BOUNDARY = "\x00"  # stands for \b in literals (a pattern's own NUL is not analysed)
# A ledger slot stands in a condition as a token made of TOKEN_MARK (a pattern's own
# \x01 is not analysed either), so that no literal of a pattern is part of one.
_NOT_ANALYSED = (BOUNDARY, TOKEN_MARK)
MIN_LITERAL = 3  # shorter literals are too common to screen anything
MAX_EXACT = 64  # exact strings kept per node before they turn into a condition
# The characters that the ``regex`` package (V0, IGNORECASE) matches to an
# ASCII pattern character, and that character lower-cased: the only way an ASCII
# literal of a pattern matches anything but its own characters (the tests check
# this table against the installed ``regex`` over every code point).
FOLDS_TO_ASCII = {"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"}


@dataclass(frozen=True)
class All:
    """Every part holds."""

    parts: frozenset[Formula]


@dataclass(frozen=True)
class AnyOf:
    """Some part holds."""

    parts: frozenset[Formula]


# A condition on a value: a string is "this literal occurs in it" (compared
# case-insensitively under /i; a BOUNDARY at its start or end is a word
# boundary, ``\b``); None is no condition at all.
Formula = str | All | AnyOf
Condition = Formula | None


class _Unsupported(Exception):
    """Syntax the literal analysis does not model: the pattern gets no condition."""


@dataclass(frozen=True)
class _Info:
    """What a regex node matches: exactly one of ``exact`` (lower-cased under
    ``/i``), or, when ``exact`` is None, strings satisfying ``condition``."""

    exact: frozenset[str] | None
    condition: Condition = None


_EMPTY = _Info(frozenset({""}))
_ANY = _Info(None)


def _parts(kind: type[All | AnyOf], formula: Formula) -> frozenset[Formula]:
    return formula.parts if isinstance(formula, kind) else frozenset({formula})


def _both(a: Condition, b: Condition) -> Condition:
    if a is None:
        return b
    if b is None:
        return a
    parts = _parts(All, a) | _parts(All, b)
    # Every part is necessary, so any can go: drop those that only common short
    # words satisfy ("the" in "the cloud") when a rarer part remains.
    rare = frozenset(p for p in parts if _shortest(p) > MIN_LITERAL)
    parts = rare or parts
    return All(parts) if len(parts) > 1 else next(iter(parts))


def _shortest(formula: Formula) -> int:
    """The length of the shortest literal that can satisfy a formula."""
    if isinstance(formula, str):
        return len(formula.replace(BOUNDARY, ""))
    lengths = [_shortest(part) for part in formula.parts]
    return max(lengths) if isinstance(formula, All) else min(lengths)


def _either(a: Condition, b: Condition) -> Condition:
    if a is None or b is None:
        return None
    parts = _parts(AnyOf, a) | _parts(AnyOf, b)
    literals = [p for p in parts if isinstance(p, str)]
    # Finding a literal that another one contains suffices: drop the longer one.
    parts = frozenset(
        p for p in parts if not (isinstance(p, str) and any(t != p and t in p for t in literals))
    )
    return AnyOf(parts) if len(parts) > 1 else next(iter(parts))


def _condition(info: _Info) -> Condition:
    if info.exact is None:
        return info.condition
    texts = sorted({_bounded(text) for text in info.exact})
    if any(len(text.replace(BOUNDARY, "")) < MIN_LITERAL for text in texts):
        return None
    condition: Condition = None
    for i, text in enumerate(texts):
        condition = text if i == 0 else _either(condition, text)
    return condition


def _bounded(text: str) -> str:
    """``text`` with a :data:`BOUNDARY` kept only at an edge next to an ASCII word
    character: there ``\\b`` holds in the searchable text whenever it holds in
    the value (the other side, a non-word character, stays one or becomes ``?``),
    which is not so next to a non-word character (``é`` becomes ``?``)."""
    core = text.replace(BOUNDARY, "")
    if not core:
        return ""
    start = BOUNDARY if text[0] == BOUNDARY and _is_word(core[0]) else ""
    end = BOUNDARY if text[-1] == BOUNDARY and _is_word(core[-1]) else ""
    return start + core + end


def _is_word(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _concat(items: list[_Info]) -> _Info:
    condition: Condition = None
    run = frozenset({""})
    exact = True
    for item in items:
        if item.exact is not None and len(run) * len(item.exact) <= MAX_EXACT:
            run = frozenset(a + b for a in run for b in item.exact)
            continue
        exact = False
        condition = _both(condition, _condition(_Info(run)))
        if item.exact is not None:
            run = item.exact
        else:
            run = frozenset({""})
            condition = _both(condition, item.condition)
    if exact:
        return _Info(run)
    return _Info(None, _both(condition, _condition(_Info(run))))


def _alternate(branches: list[_Info]) -> _Info:
    if all(b.exact is not None for b in branches):
        union = frozenset(s for b in branches for s in b.exact or ())
        if len(union) <= MAX_EXACT:
            return _Info(union)
    condition = _condition(branches[0])
    for branch in branches[1:]:
        condition = _either(condition, _condition(branch))
    return _Info(None, condition)


def _repeat(item: _Info, low: int, high: int | None) -> _Info:
    if item.exact == frozenset({""}) or high == 0:
        return _EMPTY
    if low == 0:
        if high == 1 and item.exact is not None:
            return _Info(item.exact | {""})
        return _ANY
    if low == 1 and high == 1:
        return item
    return _Info(None, _condition(item))  # every match holds at least one match of item


_CONTROL = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a"}
_HEX = "0123456789abcdefABCDEF"


class _Parser:
    """A recursive-descent reader of ``regex`` (V0) syntax that computes :class:`_Info`."""

    def __init__(self, source: str, caseless: bool) -> None:
        self.s = source
        self.i = 0
        self.caseless = caseless

    def parse(self) -> _Info:
        info = self.alternation()
        if self.i != len(self.s):
            raise _Unsupported(self.s[self.i :])
        return info

    def peek(self, offset: int = 0) -> str:
        j = self.i + offset
        return self.s[j] if j < len(self.s) else ""

    def alternation(self) -> _Info:
        branches = [self.sequence()]
        while self.peek() == "|":
            self.i += 1
            branches.append(self.sequence())
        return branches[0] if len(branches) == 1 else _alternate(branches)

    def sequence(self) -> _Info:
        items: list[_Info] = []
        while self.peek() not in ("", "|", ")"):
            items.append(self.quantified(self.atom()))
        return _concat(items)

    def quantified(self, item: _Info) -> _Info:
        bounds = self.quantifier()
        if bounds is None:
            return item
        if self.peek() in ("?", "+"):  # lazy or possessive: the same strings, or fewer
            self.i += 1
        if self.quantifier() is not None:
            raise _Unsupported("a repeated quantifier")
        return _repeat(item, *bounds)

    def quantifier(self) -> tuple[int, int | None] | None:
        c = self.peek()
        if c in ("*", "+", "?"):
            self.i += 1
            return {"*": (0, None), "+": (1, None), "?": (0, 1)}[c]
        if c != "{":
            return None
        end = self.s.find("}", self.i)
        body = self.s[self.i + 1 : end] if end > 0 else ""
        low, comma, high = body.partition(",")
        if not (low or high) or not all(p.isascii() and p.isdigit() for p in (low, high) if p):
            raise _Unsupported("a brace that is not a counted repeat")
        if not comma:
            high = low
        self.i = end + 1
        return int(low or 0), int(high) if high else None

    def atom(self) -> _Info:
        c = self.peek()
        if c == "(":
            return self.group()
        if c == "[":
            return self.char_class()
        if c == "\\":
            return self.escape()
        self.i += 1
        if c == ".":
            return _ANY
        if c in ("^", "$"):
            return _EMPTY
        if c in ("*", "+", "?", "{", "}", "]"):
            raise _Unsupported(c)
        return self.literal(c)

    def literal(self, c: str) -> _Info:
        if not c.isascii() or c in _NOT_ANALYSED:  # non-ASCII: matched by case folding only
            return _ANY
        return _Info(frozenset({c.lower() if self.caseless else c}))

    def group(self) -> _Info:
        self.i += 1
        look = False
        if self.peek() == "?":
            rest = self.s[self.i + 1 : self.i + 3]
            if rest[:1] in (":", ">"):
                self.i += 2
            elif rest[:1] in ("=", "!") or rest in ("<=", "<!"):
                self.i += 1 + (1 if rest[:1] in ("=", "!") else 2)
                look = True
            elif rest[:1] == "#":
                end = self.s.find(")", self.i)
                if end < 0:
                    raise _Unsupported("an unclosed comment")
                self.i = end + 1
                return _EMPTY
            elif rest[:1] == "&":
                return self.slot()
            elif rest == "P<" or rest[:1] == "<":
                end = self.s.find(">", self.i)
                name = self.s[self.i + (3 if rest == "P<" else 2) : end]
                if end < 0 or not name.isidentifier():
                    raise _Unsupported("a group name")
                self.i = end + 1
            else:
                raise _Unsupported("(?" + rest)
        inner = self.alternation()
        if self.peek() != ")":
            raise _Unsupported("an unclosed group")
        self.i += 1
        return _EMPTY if look else inner  # a lookaround matches the empty string

    def slot(self) -> _Info:
        """``(?&ledger.NAME)``: one of a slot's words occurs, a condition the prescreen
        resolves per run (:data:`engine.dsl.ledger_words.TOKENS`)."""
        call = SLOT_CALL.match(self.s, self.i - 1)
        found = TOKENS.get(call.group(2)) if call else None
        if call is None or found is None:
            raise _Unsupported("(?&")
        self.i = call.end()
        return _Info(None, found)

    def escape(self) -> _Info:
        c = self.peek(1)
        if c == "b":
            self.i += 2
            return _Info(frozenset({BOUNDARY}))
        if c in ("B", "A", "Z", "G", "m", "M", "K"):  # zero-width
            self.i += 2
            return _EMPTY
        if c in ("d", "D", "w", "W", "s", "S"):
            self.i += 2
            return _ANY
        return self.literal(self.escaped_char())

    def escaped_char(self) -> str:
        """The character of an escape that stands for one (``\\.``, ``\\n``, ``\\x41``)."""
        c = self.peek(1)
        if c in _CONTROL:
            self.i += 2
            return _CONTROL[c]
        width = {"x": 2, "u": 4, "U": 8}.get(c)
        if width is not None:
            digits = self.s[self.i + 2 : self.i + 2 + width]
            if len(digits) != width or not all(d in _HEX for d in digits):
                raise _Unsupported("\\" + c)
            self.i += 2 + width
            return chr(int(digits, 16))
        if c == "" or c.isalnum() or not c.isascii():
            raise _Unsupported("\\" + c)  # classes, back-references, \p{..}, \N{..}
        self.i += 2
        return c

    def char_class(self) -> _Info:
        self.i += 1
        negated = self.peek() == "^"
        if negated:
            self.i += 1
        chars: set[str] = set()
        known = not negated
        first = True
        while True:
            c = self.peek()
            if c == "":
                raise _Unsupported("an unclosed class")
            if c == "]" and not first:
                self.i += 1
                break
            first = False
            if c == "[":
                raise _Unsupported("[ inside a class")  # POSIX classes, nested sets
            if c == "\\" and self.peek(1) in ("d", "D", "w", "W", "s", "S"):
                self.i += 2
                known = False
                continue
            low = self.class_char()  # \b (backspace here) and other letters are refused
            if self.peek() == "-" and self.peek(1) not in ("]", ""):
                self.i += 1
                high = self.class_char()
                if ord(high) < ord(low):
                    raise _Unsupported("a reversed range")
                if ord(high) - ord(low) > 8:
                    known = False
                    continue
                chars.update(chr(o) for o in range(ord(low), ord(high) + 1))
            else:
                chars.add(low)
        if not known or not all(ch.isascii() for ch in chars) or BOUNDARY in chars:
            return _ANY
        folded = frozenset(ch.lower() for ch in chars) if self.caseless else frozenset(chars)
        return _Info(folded) if len(folded) <= 4 else _ANY

    def class_char(self) -> str:
        c = self.peek()
        if c == "\\":
            return self.escaped_char()
        if c == "":
            raise _Unsupported("an unclosed class")
        self.i += 1
        return c


def condition(source: str, flags: str = "") -> Condition:
    """A condition on literals that every value where ``/source/flags`` finds a
    match satisfies (lower-cased literals under ``i``), or None when the
    pattern yields nothing worth searching (see :func:`satisfied`)."""
    try:
        info = _Parser(source, "i" in flags).parse()
    except (_Unsupported, ValueError, IndexError):
        return None
    return _condition(info)


def literals(formula: Condition) -> set[str]:
    if formula is None:
        return set()
    if isinstance(formula, str):
        return {formula}
    return set().union(*(literals(part) for part in formula.parts))


def satisfied(formula: Condition, value: str, caseless: bool) -> bool:
    """Whether a value satisfies a condition, in Python (the tests' reference
    for the hyperscan search; ``/i`` folds ASCII letters only)."""
    if formula is None:
        return True
    text = searchable(value)
    return _satisfied(formula, text.translate(_ASCII_LOWER) if caseless else text)


def searchable(text: str) -> str:
    """The text the search reads for a value: the characters of :data:`FOLDS_TO_ASCII`
    as their ASCII letter, any other non-ASCII character as ``?`` (one for one)."""
    if text.isascii():
        return text
    for char, letter in FOLDS_TO_ASCII.items():
        if char in text:
            text = text.replace(char, letter)
    return text.encode("ascii", "replace").decode("ascii")


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _satisfied(formula: Formula, value: str) -> bool:
    if isinstance(formula, str):
        if BOUNDARY in formula:
            return re.search(expression(formula), value, re.ASCII) is not None
        return formula in value
    if isinstance(formula, All):
        return all(_satisfied(part, value) for part in formula.parts)
    return any(_satisfied(part, value) for part in formula.parts)


def expression(literal: str) -> str:
    """A literal as a hyperscan (or ``re``) expression: each character as ``\\xHH``,
    a :data:`BOUNDARY` as ``\\b`` (ASCII word characters: hyperscan without UCP)."""
    return "".join("\\b" if c == BOUNDARY else f"\\x{ord(c):02x}" for c in literal)
