"""Every policy regex match is time-bounded: by its own ``timeout=``, or within
``time_bounded()`` by one SIGPROF timer (re-armed in forked workers)."""

from __future__ import annotations

import contextlib
import multiprocessing
import threading
import time

import pytest

from engine.dsl.regex import RegexTimeout, compile_regex, time_bounded

CATASTROPHIC = compile_regex(r"^(a|aa)+$")
TEXT = "a" * 5000 + "b"
SENTENCE = "The FlakeHub cache is used for runtime fetch of inputs today."


def stops(context: contextlib.AbstractContextManager[None]) -> float:
    started = time.monotonic()
    with context, pytest.raises(RegexTimeout, match=r"\^\(a\|aa\)\+\$"):
        CATASTROPHIC.finditer(TEXT)
    return time.monotonic() - started


def test_a_catastrophic_match_stops_with_or_without_the_timer() -> None:
    assert stops(contextlib.nullcontext()) < 10
    assert stops(time_bounded()) < 10


def test_matches_are_the_same_under_the_timer() -> None:
    pattern = compile_regex(r"\b(?<word>flakehub|cache)\b", "i")
    plain = (pattern.finditer(SENTENCE), pattern.search(SENTENCE))
    with time_bounded():
        assert (pattern.finditer(SENTENCE), pattern.search(SENTENCE)) == plain
    assert plain[1] and [m["groups"]["word"] for m in plain[0]] == ["flakehub", "cache"]


def _catastrophic_in_child(queue: multiprocessing.Queue[str]) -> None:
    try:
        CATASTROPHIC.finditer(TEXT)
        queue.put("finished")
    except RegexTimeout:
        queue.put("stopped")


def test_a_forked_worker_is_bounded_too() -> None:
    """fork() does not carry the timer over: the child arms its own."""
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[str] = context.Queue()
    with time_bounded():
        child = context.Process(target=_catastrophic_in_child, args=(queue,))
        child.start()
        try:
            assert queue.get(timeout=30) == "stopped"
        finally:
            child.join(5)
            if child.is_alive():
                child.kill()


def test_other_threads_keep_their_own_timeout() -> None:
    """The timer's signal runs in the main thread: a match of another thread, while
    the main thread holds the timer, keeps its per-call timeout."""
    outcome: list[str] = []

    def run() -> None:
        with time_bounded():  # not the main thread: nothing changes
            try:
                CATASTROPHIC.finditer(TEXT)
            except RegexTimeout:
                outcome.append("stopped")

    with time_bounded():
        thread = threading.Thread(target=run)
        thread.start()
        thread.join(30)
    assert outcome == ["stopped"]
