"""The ``ledger`` global's shape and defaults, without the ledger's schema.

A check of a repo without a ledger needs only :func:`absent_ledger`; it lives
here, apart from :mod:`engine.extract.ledger` and its pydantic schema, so that
such a check never imports pydantic (docs/performance.md, start-up). The
schema takes its defaults from the constants here, so both agree.
"""

from __future__ import annotations

from collections.abc import Iterable

from .base import Record, position

FLAKEHUB_HOSTS = ("flakehub.com", "api.flakehub.com", "cache.flakehub.com")
FRESHNESS_DAYS = 180
BOOTSTRAP_FLAKES = ("flake.nix",)


def default_endpoints() -> dict[str, list[str]]:
    """The ``endpoints`` of a ledger that names none."""
    return {"attic": [], "bazel": [], "flakehub": list(FLAKEHUB_HOSTS)}


def ledger_record(
    span: Record,
    present: bool,
    *,
    repo: str = "",
    baseline: str = "",
    primary_forge: str = "",
    freshness_days: int = FRESHNESS_DAYS,
    classes: Iterable[Record] = (),
    forges: Iterable[Record] = (),
    tranches: Iterable[Record] = (),
    bootstrap_flakes: Iterable[str] = BOOTSTRAP_FLAKES,
    endpoints: dict[str, list[str]] | None = None,
) -> Record:
    """The ``ledger`` global: the ledger's own fields and its entries by name."""
    return {
        **span,
        "present": present,
        "repo": repo,
        "baseline": baseline,
        "primary_forge": primary_forge,
        "freshness_days": freshness_days,
        "runner_classes": {record["name"]: record for record in classes},
        "forges": {record["name"]: record for record in forges},
        "tranches": {record["name"]: record for record in tranches},
        "bootstrap_flakes": list(bootstrap_flakes) or list(BOOTSTRAP_FLAKES),
        "matrix": "",
        "keys": {},
        "endpoints": default_endpoints() if endpoints is None else endpoints,
    }


def absent_ledger() -> Record:
    """The ``ledger`` global when there is no ledger: ``present`` false, nothing proved."""
    return ledger_record(position("", 1, 1), False)
