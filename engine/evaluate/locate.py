"""Map an offset inside a record's text field back to a line and column of the file."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _sentence_text(record: dict[str, Any], offset: int) -> tuple[int, int] | None:
    if "_map" not in record:
        return None
    from ..extract.markdown import locate

    return locate(record, offset)


def _step_run(record: dict[str, Any], offset: int) -> tuple[int, int] | None:
    position = record.get("_run_pos")
    text = record.get("run")
    if not position or not isinstance(text, str):
        return None
    before = text[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return position[0], position[1] + offset
    return position[0] + newlines, offset - before.rindex("\n")


_LOCATORS: dict[tuple[str, tuple[str, ...]], Callable[[dict[str, Any], int], Any]] = {
    ("Sentence", ("text",)): _sentence_text,
    ("Step", ("run",)): _step_run,
}


def locate(
    record: dict[str, Any], record_type: str, path: tuple[str, ...], offset: int
) -> tuple[int, int] | None:
    """The (line, column) of ``offset`` in ``record[path]``, when the record keeps a map."""
    locator = _LOCATORS.get((record_type, path))
    return locator(record, offset) if locator else None
