"""Values an object keeps for one owner, made on first use and never pickled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class Memo:
    """What an object keeps, as an attribute, for one owner (see :func:`memo`).

    Pickling and copying leave its value behind (it may hold closures or
    hyperscan databases): the copy computes its own.
    """

    def __init__(self, owner: object = None, value: Any = None) -> None:
        self.owner = owner
        self.value = value

    def __reduce__(self) -> tuple[type[Memo], tuple[()]]:
        return (Memo, ())


def memo(obj: object, name: str, owner: object, make: Callable[[], T]) -> T:
    """The value ``obj`` keeps under ``name`` for ``owner``, made on first use."""
    slot = vars(obj).get(name)
    if not isinstance(slot, Memo) or slot.owner is not owner or slot.owner is None:
        slot = Memo(owner, make())
        vars(obj)[name] = slot
    value: T = slot.value
    return value
