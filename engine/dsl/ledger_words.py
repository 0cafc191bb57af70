"""Ledger words: ``(?&ledger.NAME)`` in a pattern stands for words of the run's ledger.

A vocabulary a policy matches in prose may have to include what the proof
ledger declares: a runner class the ledger names, with its labels, is a class
word however the static list of a policy spells classes. A pattern writes
``(?&ledger.runner_class_words)``; the checker accepts the slots of
:data:`SLOTS` (any other is an error), and the pattern is compiled as if the
ledger were empty, where a slot matches nothing. A run binds every slot to its
ledger's words (:meth:`engine.dsl.program.Program.bound`): an alternation of
the words, each escaped, longest first, in a non-capturing group, with no
boundaries of its own (the pattern around it writes them, as around any
alternation). The pack, cached by its policy text, never holds a ledger's
words; the prescreen searches a slot's words per run (:data:`TOKENS`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

# Words bound to each slot, by slot name: the words of the ledger global
# (:mod:`engine.core.model`, ``Ledger``) a pattern may include.
LedgerWords = Mapping[str, tuple[str, ...]]


def _names_and_labels(collection: str) -> Callable[[Mapping[str, Any]], list[Any]]:
    """The reader of every name and label of a ledger collection's entries."""

    def read(ledger: Mapping[str, Any]) -> list[Any]:
        entries = (ledger.get(collection) or {}).values()
        return [word for e in entries for word in (e.get("name"), *e.get("labels", ()))]

    return read


def _product_names(ledger: Mapping[str, Any]) -> list[str]:
    repo = ledger.get("repo")
    name = repo.rpartition("/")[2] if isinstance(repo, str) else ""
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name.replace("_", "-")).replace("-", " ")
    return [name, " ".join(words.split()), "".join(words.split())]


SLOTS: dict[str, tuple[str, Callable[[Mapping[str, Any]], list[Any]]]] = {
    "runner_class_words": (
        "every runner class's name and labels",
        _names_and_labels("runner_classes"),
    ),
    "forge_words": ("every forge's name and labels", _names_and_labels("forges")),
    "product_names": (
        "the name of the ledger's repo, as written, as words (its dashes and the joins"
        " of its capitals as spaces) and as one word",
        _product_names,
    ),
}
"""Slot name → (what it holds, the function reading those words from the ledger global)."""

NOTHING = "(?!)"  # an empty slot: matches nothing
# ``(?&ledger.NAME)``, not after a backslash that escapes the parenthesis.
SLOT_CALL = re.compile(r"(?<!\\)((?:\\\\)*)\(\?&ledger\.(\w*)\)")
EMPTY: LedgerWords = {}


def slots(source: str) -> list[str]:
    """The names of the slots a pattern's source uses (known or not), in order."""
    return [call.group(2) for call in SLOT_CALL.finditer(source)]


def words(ledger: Mapping[str, Any]) -> LedgerWords:
    """The words of each slot in ``ledger`` (the ledger global), distinct, non-empty,
    sorted; a slot without words is left out (it matches nothing)."""
    out: dict[str, tuple[str, ...]] = {}
    for name, (_, read) in SLOTS.items():
        found = {w for w in read(ledger) if isinstance(w, str) and w.strip()}
        if found:
            out[name] = tuple(sorted(found))
    return out


def alternation(found: Iterable[str]) -> str:
    """The words as one alternation (escaped, longest first); :data:`NOTHING`
    when there are none."""
    ordered = sorted(set(found), key=lambda word: (-len(word), word))
    return f"(?:{'|'.join(map(re.escape, ordered))})" if ordered else NOTHING


def substitute(source: str, bound: LedgerWords) -> str:
    """``source`` with each slot replaced by its words in ``bound`` (none: nothing)."""
    return SLOT_CALL.sub(
        lambda call: call.group(1) + alternation(bound.get(call.group(2), ())), source
    )


# --- the prescreen's view -------------------------------------------------------------
# The literal analysis (engine.dsl.literals) reads a slot as a condition "one of
# the slot's words occurs": a token no literal of a pattern can contain (a pattern's
# own \x01 is not analysed), resolved per run by engine.evaluate.prescreen.

TOKEN_MARK = "\x01"
TOKENS = {name: f"{TOKEN_MARK}{chr(0x0E + i)}{TOKEN_MARK}" for i, name in enumerate(SLOTS)}
"""Slot name → the literal that stands for it in a condition."""
_SLOT_OF = {literal: name for name, literal in TOKENS.items()}


def slot_of(literal: str) -> str | None:
    """The slot a literal of a condition stands for (None: a plain literal)."""
    return _SLOT_OF.get(literal)
