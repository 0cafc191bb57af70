"""Reading files as text and showing paths and positions, written once."""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from .errors import ProofgateError


def read_utf8(path: Path) -> str:
    """A file the user gave proofgate (a policy, ledger, configuration, baseline or
    case file) as UTF-8; errors name the file, and the line and column of a bad byte."""
    try:
        data = path.read_bytes()
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        line = data.count(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        message = f"not valid UTF-8 (byte 0x{data[exc.start]:02x})"
        raise ProofgateError(message, str(path), line, column) from None
    except OSError as exc:
        raise ProofgateError(f"cannot read: {exc.strerror or exc}", str(path)) from None


def shown_path(path: Path) -> str:
    """A path as the user should see it: relative to the current directory when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


class LineIndex:
    """Line and column (1-based, in code points) of offsets into one text."""

    def __init__(self, text: str) -> None:
        self.starts = [0]
        position = text.find("\n")
        while position >= 0:
            self.starts.append(position + 1)
            position = text.find("\n", position + 1)

    def position(self, offset: int) -> tuple[int, int]:
        """The line and column of ``offset``."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


class ByteLineIndex:
    """Line and column (1-based, the column in code points) of UTF-8 byte offsets."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.starts = [0]
        position = data.find(b"\n")
        while position >= 0:
            self.starts.append(position + 1)
            position = data.find(b"\n", position + 1)

    def position(self, offset: int) -> tuple[int, int]:
        """The line and column of byte ``offset``."""
        index = bisect.bisect_right(self.starts, offset) - 1
        before = self.data[self.starts[index] : offset].decode("utf-8", "replace")
        return index + 1, len(before) + 1


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The choice closest to a misspelt ``name`` (None when none is close)."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return close[0] if close else None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def iso_date(text: str) -> dt.date | None:
    """The date ``text`` spells as ``YYYY-MM-DD`` exactly (None for anything else:
    another form, a number, a day that does not exist)."""
    if not _ISO_DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def plural(n: int, word: str) -> str:
    """``1 file``, ``2 files``."""
    return f"{n} {word}{'' if n == 1 else 's'}"
