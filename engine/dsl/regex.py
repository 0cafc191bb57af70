"""Regular expressions of the policy language: RE2 syntax, run by Python.

Policies write ``/pattern/flags``. Python matches them with RE2 (linear time,
Unicode-aware case folding), never regopy: regopy 1.5.2 mishandles inline
flags, named groups and non-ASCII text (see docs/design.md). Rego receives
the match results as facts on each record.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

MAX_PATTERN_LENGTH = 4096
MAX_REGEX_MEMORY = 8 << 20  # bytes RE2 may use for one compiled program

_FLAGS = {"i": "i", "m": "m", "s": "s"}
_INLINE_FLAGS = re.compile(r"\(\?[imsU-]+[):]")
_ANGLE_GROUP = re.compile(r"\(\?<(?![=!])")
_NAMED_GROUP = re.compile(r"\(\?P<([A-Za-z_][A-Za-z0-9_]*)>")


class RegexError(ValueError):
    """A pattern RE2 cannot compile, with a message fit for users."""


@dataclass(frozen=True)
class CompiledRegex:
    source: str  # as the policy wrote it
    flags: str
    groups: tuple[str, ...]  # named groups, in order
    program: Any  # the compiled RE2 object

    def finditer(self, text: str) -> list[dict[str, Any]]:
        """Every non-overlapping match as ``{start, end, text, groups}``.

        With the ``i`` flag, group values are lower-cased so that they can key
        ledger look-ups (``ledger.forges[forge]``); ``text`` keeps the case
        as written.
        """
        fold = "i" in self.flags
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
            for m in self.program.finditer(text)
        ]

    def search(self, text: str) -> bool:
        return self.program.search(text) is not None


def _options() -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = MAX_REGEX_MEMORY
    return options


@functools.cache
def compile_regex(source: str, flags: str = "") -> CompiledRegex:
    """Compile a policy regex with RE2; raise RegexError with a readable reason."""
    import re2

    if len(source) > MAX_PATTERN_LENGTH:
        raise RegexError(f"the pattern is longer than {MAX_PATTERN_LENGTH} characters")
    for flag in flags:
        if flag not in _FLAGS:
            raise RegexError(f"unknown regex flag '{flag}' (use i, m or s)")
    if _INLINE_FLAGS.search(source):
        raise RegexError(
            "inline flags like (?i) are not allowed; put flags after the pattern: /…/i"
        )
    normalized = _ANGLE_GROUP.sub("(?P<", source)
    groups = tuple(_NAMED_GROUP.findall(normalized))
    duplicated = {g for g in groups if groups.count(g) > 1}
    if duplicated:
        raise RegexError(f"group name {sorted(duplicated)[0]!r} is used twice")
    prefix = f"(?{''.join(sorted(set(flags)))})" if flags else ""
    try:
        program = re2.compile(prefix + normalized, options=_options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else str(exc)
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        hint = ""
        if "perl operator" in str(reason) or "backreference" in str(reason):
            hint = " (RE2 has no look-around or back-references)"
        raise RegexError(f"invalid regular expression: {reason}{hint}") from None
    return CompiledRegex(source, flags, groups, program)
