"""Regular expressions of the policy language, run by Python.

Policies write ``/pattern/flags`` in the syntax of the ``regex`` package (a
superset of Python's ``re``: named groups as ``(?<name>...)`` or
``(?P<name>...)``, Unicode classes, full case folding). Python matches them,
never regopy: regopy 1.5.2 mishandles inline flags, named groups and
non-ASCII text (see docs/design.md); Rego receives the matches as facts.

Every match call has a time limit, so a catastrophic pattern cannot hang a
run: it raises :class:`RegexTimeout` instead. (google-re2, linear by
construction, was tried first: it corrupts the heap when loaded beside
regopy, which links its own copy of RE2.) The limit is ``regex``'s own
``timeout=`` per call, which reads the process's CPU clock at least twice (a
system call: it tripled the cost of searching a sentence), except within
:func:`time_bounded`, where one periodic ``SIGPROF`` timer bounds every match.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

MAX_PATTERN_LENGTH = 4096  # characters a policy writes in one pattern
# The same pattern with the patterns it names by ``(?&name)`` inlined: composing
# small patterns repeats them (a hedge before and after a word), so the whole may
# be longer than anything a policy writes, but is bounded all the same.
MAX_INLINED_LENGTH = 4 * MAX_PATTERN_LENGTH
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
        return self._bounded(lambda: self.program.search(text, timeout=_timeout())) is not None

    def _bounded(self, match: Callable[[], T]) -> T:
        self.program  # noqa: B018 -- compiled first: compiling is not matching
        watch = _WATCH
        if watch.armed and threading.get_ident() == watch.thread:
            watch.count += 1
            watch.call = watch.count
            try:
                return match()
            except _Expired:
                pass  # timed again below, by the clock of this call alone
            finally:
                watch.call = 0
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
        ledger look-ups (``ledger.forges[forge]``), and ``raw`` holds them as
        written, for messages; ``text`` keeps the case as written.
        """
        fold = "i" in self.flags
        found = self._bounded(lambda: list(self.program.finditer(text, timeout=_timeout())))
        out: list[dict[str, Any]] = []
        for m in found:
            groups = {name: m.group(name) or "" for name in self.groups}
            match = {"start": m.start(), "end": m.end(), "text": m.group(0), "groups": groups}
            if fold and groups:
                match["groups"] = {name: value.lower() for name, value in groups.items()}
                match["raw"] = groups
            out.append(match)
        return out


@functools.cache
def compile_regex(
    source: str, flags: str = "", limit: int = MAX_PATTERN_LENGTH, what: str = "the pattern"
) -> CompiledRegex:
    """Compile a policy regex; raise RegexError with a readable reason. ``limit`` is
    :data:`MAX_INLINED_LENGTH` for a pattern whose named patterns are inlined
    (``what``: "the pattern, inlined,"; its written text is held to
    :data:`MAX_PATTERN_LENGTH` by the checker)."""
    if len(source) > limit:
        raise RegexError(f"{what} is longer than {limit} characters")
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


# --- one timer for every match --------------------------------------------------------


class _Expired(Exception):
    """Raised by the SIGPROF handler inside a match that outlived a whole tick."""


class _Watch:
    armed = False  # a SIGPROF timer bounds the matches of ``thread`` in this process
    thread = 0
    count = 0  # matches started
    call = 0  # the running match's number (0: none)
    seen = 0  # the match that was running at the last tick


_WATCH = _Watch()


def _timeout() -> float | None:
    """``regex``'s per-call limit, or none while the timer bounds the call."""
    watch = _WATCH
    if watch.armed and watch.call and threading.get_ident() == watch.thread:
        return None
    return MATCH_TIMEOUT


def _tick(signum: int, frame: object) -> None:
    watch = _WATCH
    if watch.call and watch.call == watch.seen:  # running since the last tick at least
        watch.seen = 0
        raise _Expired
    watch.seen = watch.call


def _arm() -> None:
    _WATCH.call = _WATCH.seen = 0
    signal.setitimer(signal.ITIMER_PROF, MATCH_TIMEOUT, MATCH_TIMEOUT)


def _in_child() -> None:
    if _WATCH.armed:  # a fork()ed worker: timers are not inherited
        _WATCH.thread = threading.get_ident()
        _arm()


os.register_at_fork(after_in_child=_in_child)


@contextlib.contextmanager
def time_bounded() -> Iterator[None]:
    """Within, the matches of this (main) thread run without ``regex``'s
    ``timeout=``: a ``SIGPROF`` timer ticks every MATCH_TIMEOUT of CPU time, and a
    match still running at the tick after the one that saw it start (so after
    MATCH_TIMEOUT to twice that) is stopped by the handler (``regex`` checks for
    signals while it matches) and timed again with ``timeout=``, so a stall of
    the process (measured: 0.34 s for a pattern's first match) is not mistaken
    for a catastrophic pattern. Elsewhere (another thread, a SIGPROF handler or
    timer in use, nested), every match keeps its own ``timeout=``."""
    usable = (
        threading.current_thread() is threading.main_thread()
        and not _WATCH.armed
        and signal.getsignal(signal.SIGPROF) == signal.SIG_DFL
        and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
    )
    if not usable:
        yield
        return
    signal.signal(signal.SIGPROF, _tick)
    _WATCH.thread = threading.get_ident()
    _WATCH.armed = True
    _arm()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        _WATCH.armed = False
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
