"""Run work that may not finish in a forked child, so that it can be stopped.

Hand-written Rego runs on regopy, whose ``regex.match`` backtracks: a pattern
with nested quantifiers takes exponential time on a few dozen characters of
repo text (``bench/regopy_regex.py``), and a thread cannot interrupt it. So
those queries run in a child process that the parent kills when one item
takes longer than its limit. Policies written in the DSL never need this:
Python runs their regexes with a time limit and the generated Rego calls no
regex builtin.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from ..core.errors import ProofgateError

Item = TypeVar("Item")
Result = TypeVar("Result")


class Stopped(Exception):
    """Item ``index`` ran past its limit (``error`` None), failed with ``error``,
    or the child died (``exitcode`` set: a crash of the Rego engine)."""

    def __init__(
        self, index: int, error: ProofgateError | None = None, exitcode: int | None = None
    ) -> None:
        super().__init__(index)
        self.index = index
        self.error = error
        self.exitcode = exitcode


def run_bounded(
    work: Callable[[Item], Result], items: Sequence[Item], limits: Sequence[float]
) -> list[Result]:
    """``[work(item) for item in items]``, each item within ``limits[i]`` seconds.

    Raises :class:`Stopped` for the first item that overruns its limit or
    raises ProofgateError. Without ``fork`` (Windows) the work runs here, unbounded.
    """
    if not items:
        return []
    if "fork" not in multiprocessing.get_all_start_methods():  # pragma: no cover - Windows
        return [work(item) for item in items]
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_serve, args=(work, items, sender), daemon=True)
    child.start()
    sender.close()
    try:
        return [_receive(receiver, child, index, limit) for index, limit in enumerate(limits)]
    finally:
        if child.is_alive():
            child.kill()
        child.join()
        receiver.close()


def _receive(receiver: Connection, child: Any, index: int, limit: float) -> Any:
    if not receiver.poll(limit):
        raise Stopped(index)
    try:
        kind, value = receiver.recv()
    except EOFError:
        child.join()
        raise Stopped(index, exitcode=child.exitcode) from None
    if kind == "error":
        raise Stopped(index, ProofgateError(*value))
    return value


def _serve(work: Callable[[Any], Any], items: Sequence[Any], sender: Connection) -> None:
    """The child: send each item's result, or the first error, then stop.

    Any exception becomes an error message for the parent, never a traceback
    on stderr (multiprocessing would print one for an exception left to it).
    """
    for item in items:
        try:
            sender.send(("ok", work(item)))
        except ProofgateError as error:
            fields = (error.message, error.path, error.line, error.column, error.source)
            _send(sender, ("error", (*fields, error.hint)))
            return
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
            _send(sender, ("error", (f"the Rego engine failed: {reason}",)))
            return


def _send(sender: Connection, message: object) -> None:
    """Send a last message; a parent that is gone already needs none."""
    with contextlib.suppress(Exception):
        sender.send(message)
