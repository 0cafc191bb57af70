"""The pack's parameters: the constants of the GloriousFlywheel productization
note, set per repo in ``[params]`` of the configuration (:mod:`engine.config`)
and read by policies as ``params.<name>`` (a global beside ``ledger``).

They are data, never code nor paths to open: names compared with ledger
entries and captured words, orders, and path globs (the checked repo's
configuration is untrusted, docs/security.md). The defaults are the note's
values, so a repo without ``[params]`` is checked exactly as before.

Besides the configured values the ``params`` global carries what Python derives
from them, facts rather than judgments: the rank of each name in an order
(``runner_class_rank["gpu"]`` is 1), because the policy language compares
numbers, not positions in a list.
"""

from __future__ import annotations

from typing import Any

# name -> default, in the order the README, ``init`` and ``explain`` list them.
DEFAULTS: dict[str, str | tuple[str, ...]] = {
    "baseline": "honey",
    "primary_forge": "github",
    "runner_class_order": ("kvm", "gpu", "macos", "riscv"),
    "forge_order": ("github-org", "github-user"),
    "product_surfaces": ("/README.md", "/readme.md", "/docs/index.md"),
}

# What each parameter means (README, ``init``).
MEANING: dict[str, str] = {
    "baseline": "the on-prem baseline cluster (B1): the ledger's baseline, kept in the docs",
    "primary_forge": "the primary forge (B2): the ledger's primary_forge",
    "runner_class_order": "the planned proof order of runner classes (B6), by name or label",
    "forge_order": "forges proved in this order, before any other forge (B7)",
    "product_surfaces": "path globs of the primary product surface (B10)",
}

# Derived fields: the rank of each name of an order (its position in the list).
RANKS: dict[str, str] = {"runner_class_rank": "runner_class_order", "forge_rank": "forge_order"}


def source_of(name: str) -> str:
    """The configured parameter a field of the ``params`` global comes from."""
    return RANKS.get(name, name)


def params_record(values: dict[str, Any] | None = None) -> dict[str, Any]:
    """The ``params`` global: the values in force (defaults for those not given),
    lists as lists, and the derived ranks."""
    given = values or {}
    record: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        value = given.get(name)
        value = default if value is None else value
        record[name] = list(value) if isinstance(value, list | tuple) else value
    for rank, order in RANKS.items():
        ranks: dict[str, int] = {}
        for index, item in enumerate(record[order]):
            ranks.setdefault(item, index)
        record[rank] = ranks
    return record


def shown(value: Any) -> str:
    """A parameter's value as TOML writes it (``explain``, ``init``)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_quoted(v) for v in value) + "]"
    return _quoted(str(value))


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def fill(template: str, record: dict[str, Any]) -> str:
    """``template`` (a fix hint or rationale) with its ``{params.NAME}`` placeholders
    filled from the ``params`` global (lists joined by ", ", as messages show them);
    other placeholders stay as written. A rule's description shows the values in force."""
    for name, value in record.items():
        token = "{params." + name + "}"
        if token in template:
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
            template = template.replace(token, text)
    return template
