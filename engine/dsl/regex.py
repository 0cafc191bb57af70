"""Regular expressions of the policy language, run by Python.

Policies write ``/pattern/flags`` in the syntax of the ``regex`` package (a
superset of Python's ``re``: named groups as ``(?<name>...)`` or
``(?P<name>...)``, Unicode classes, full case folding). Python matches them,
never regopy: regopy 1.5.2 mishandles inline flags, named groups and
non-ASCII text (see docs/design.md); Rego receives the matches as facts.

Every match call has a time limit, so a catastrophic pattern cannot hang a
run: it raises :class:`RegexTimeout` instead. (google-re2, linear by
construction, was tried first: it corrupts the heap when loaded beside
regopy, which links its own copy of RE2.)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

MAX_PATTERN_LENGTH = 4096
MATCH_TIMEOUT = 0.25  # seconds for one regex over one field

_FLAGS = {"i": "IGNORECASE", "m": "MULTILINE", "s": "DOTALL"}
_INLINE_FLAGS = re.compile(r"\(\?[a-zA-Z-]+[):]")


class RegexError(ValueError):
    """A pattern that does not compile, with a message fit for users."""


class RegexTimeout(RuntimeError):
    """A pattern took longer than MATCH_TIMEOUT on one value."""


@dataclass(frozen=True)
class CompiledRegex:
    source: str  # as the policy wrote it
    flags: str
    groups: tuple[str, ...]  # named groups, in order
    compiled: Any = field(default=None, compare=False, repr=False)  # the regex.Pattern

    @property
    def program(self) -> Any:
        """The compiled ``regex.Pattern``; a cached pack recompiles a pattern when it is
        first used (compiling the pack's patterns costs more than running a check of
        a few files)."""
        if self.compiled is None:
            object.__setattr__(self, "compiled", _compile(self.source, self.flags))
        return self.compiled

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "compiled": None}

    def search(self, text: str) -> bool:
        """Whether the pattern matches anywhere in ``text`` (stops at the first match)."""
        return self._bounded(lambda: self.program.search(text, timeout=MATCH_TIMEOUT)) is not None

    def _bounded(self, match: Callable[[], T]) -> T:
        try:
            return match()
        except TimeoutError:
            # Once more before giving up: the budget is process CPU time, and a
            # pattern's first match in a process with a large heap was measured
            # at 0.34 s for an 81-character sentence (microseconds after that).
            try:
                return match()
            except TimeoutError:
                raise RegexTimeout(f"/{self.source}/{self.flags}") from None

    def finditer(self, text: str) -> list[dict[str, Any]]:
        """Every non-overlapping match as ``{start, end, text, groups}``.

        With the ``i`` flag, group values are lower-cased so that they can key
        ledger look-ups (``ledger.forges[forge]``); ``text`` keeps the case
        as written.
        """
        fold = "i" in self.flags
        found = self._bounded(lambda: list(self.program.finditer(text, timeout=MATCH_TIMEOUT)))
        return [
            {
                "start": m.start(),
                "end": m.end(),
                "text": m.group(0),
                "groups": {
                    name: (m.group(name) or "").lower() if fold else (m.group(name) or "")
                    for name in self.groups
                },
            }
            for m in found
        ]


@functools.cache
def compile_regex(source: str, flags: str = "") -> CompiledRegex:
    """Compile a policy regex; raise RegexError with a readable reason."""
    if len(source) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    for flag in flags:
        if flag not in _FLAGS:
            raise RegexError(f"unknown regex flag '{flag}' (use i, m or s)")
    if _INLINE_FLAGS.search(source):
        raise RegexError(
            "inline flags like (?i) are not allowed; put flags after the pattern: /…/i"
        )
    program = _compile(source, flags)
    names = sorted(program.groupindex, key=lambda name: program.groupindex[name])
    return CompiledRegex(source, flags, tuple(names), program)


def _compile(source: str, flags: str) -> Any:
    import regex

    bits = 0
    for flag in flags:
        bits |= getattr(regex, _FLAGS[flag])
    try:
        return regex.compile(source, bits | regex.V0)
    except regex.error as exc:
        raise RegexError(f"invalid regular expression: {exc}") from None
