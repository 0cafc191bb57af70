"""The proof ledger (``proofs.yaml``): what has been proved, and where the proof lives.

The ledger is parsed with :mod:`engine.extract.yamlsrc` (so every value keeps
its line and column), validated with the pydantic schema :class:`LedgerFile`,
and turned into the ``ledger`` global and the ``runner_classes``, ``forges``
and ``tranches`` collections of :mod:`engine.core.model`.

A ledger is either valid or a configuration error: any problem (malformed
YAML, a duplicate key, a schema violation, a future ``verified`` date, an
inconsistent ``order``) yields problems and no ledger data at all, so that
nothing counts as proved on the strength of a half-read ledger.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from ..core.text import did_you_mean, iso_date
from . import yamlsrc
from .base import Extraction, Problem, Record, position
from .evidence import exists_inside
from .ledger_defaults import (
    BOOTSTRAP_FLAKES,
    FLAKEHUB_HOSTS,
    FRESHNESS_DAYS,
    ledger_record,
)
from .matrix import rendered
from .yamlsrc import Node, anchor, dotted, node_at, schema_error_at

_COLLECTIONS = ("runner_classes", "forges", "tranches")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_UNSAFE = {"\\", "\0"}
_EXPECTED = {
    "string_type": "a string",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "int_type": "a whole number",
}


class State(StrEnum):
    """Where a runner class or forge stands on the way to being proved."""

    PROVED = "proved"
    EXPERIMENTAL = "experimental"
    BACKLOG = "backlog"
    RETIRED = "retired"


def _one_or_many(value: Any) -> Any:
    """A single string stands for a list of one."""
    return [value] if isinstance(value, str) else value


def _iso_date(value: Any) -> Any:
    """Accept only ``YYYY-MM-DD`` (never a number read as a timestamp); "" is no date."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and (parsed := iso_date(value)) is not None:
        return parsed
    raise PydanticCustomError(
        "iso_date", "{value} is not a date in YYYY-MM-DD form", {"value": _show(value)}
    )


StrList = Annotated[list[str], BeforeValidator(_one_or_many)]
IsoDate = Annotated[date | None, BeforeValidator(_iso_date)]
_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ProofEntry(BaseModel):
    """One named proof surface with its evidence and the date it was last verified."""

    model_config = _STRICT
    surface: str = ""
    evidence: str = ""
    verified: IsoDate = None


class RunnerClassEntry(BaseModel):
    """A runner class of the proof matrix."""

    model_config = _STRICT
    state: State
    labels: StrList = Field(default_factory=list)
    proofs: list[ProofEntry] = Field(default_factory=list)


class ForgeEntry(BaseModel):
    """A forge on which claims are earned in order."""

    model_config = _STRICT
    state: State
    labels: StrList = Field(default_factory=list)
    proofs: list[ProofEntry] = Field(default_factory=list)


class TrancheEntry(BaseModel):
    """A cache-first Bazel dogfood tranche."""

    model_config = _STRICT
    repos: StrList = Field(default_factory=list)


class EndpointsEntry(BaseModel):
    """Host names of each acceleration/publication surface."""

    model_config = _STRICT
    attic: StrList = Field(default_factory=list)
    bazel: StrList = Field(default_factory=list)
    flakehub: StrList = Field(default_factory=lambda: list(FLAKEHUB_HOSTS))


class LedgerFile(BaseModel):
    """The whole of ``proofs.yaml``."""

    model_config = _STRICT
    repo: str = ""
    baseline: str = ""
    primary_forge: str = ""
    freshness_days: Annotated[int, Field(strict=True, gt=0)] = FRESHNESS_DAYS
    order: StrList | None = None
    runner_classes: dict[str, RunnerClassEntry] = Field(default_factory=dict)
    forges: dict[str, ForgeEntry] = Field(default_factory=dict)
    tranches: dict[str, TrancheEntry] = Field(default_factory=dict)
    bootstrap_flakes: StrList = Field(default_factory=lambda: list(BOOTSTRAP_FLAKES))
    endpoints: EndpointsEntry = Field(default_factory=EndpointsEntry)


Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class _Context:
    """One ledger being read: its source, its parsed tree, and what evidence is judged by."""

    path: str
    lines: list[str]
    root: Node
    repo_root: Path
    now: date

    def node(self, loc: Loc) -> Node:
        return node_at(self.root, loc)

    def problem(self, loc: Loc, message: str) -> Problem:
        line, column = anchor(self.node(loc))
        return Problem(self.path, line, column, message)


def load_ledger(path: str, text: str, repo_root: Path, now: date) -> tuple[Record, Extraction]:
    """Read the ledger at ``path`` (relative to the repo root) from ``text``.

    Evidence paths are resolved inside ``repo_root``; ``now`` dates the proofs.
    Returns the ``ledger`` global record and an Extraction with the
    ``runner_classes``, ``forges`` and ``tranches`` collections.

    An invalid ledger is a configuration error: the Extraction then carries
    only problems (each with the line and column of the offending key or
    value) and the record is the empty one of :func:`absent_ledger` (``present``
    false, ``path`` set), so nothing counts as proved. Never raises on bad input.
    """
    root, problems = _parse(path, text)
    if root is None:
        return _empty_record(path), _problems_only(problems)
    context = _Context(path, text.splitlines(), root, repo_root, now)
    ledger, invalid = _validate(context)
    problems += invalid
    if ledger is not None:
        problems += _future_dates(context, ledger) + _order_problems(context, ledger)
    if ledger is None or problems:
        return _empty_record(path), _problems_only(problems)
    return _build(context, ledger)


def _empty_record(path: str) -> Record:
    return _ledger_record(position(path, 1, 1), False, LedgerFile(), [], [], [])


def _problems_only(problems: list[Problem]) -> Extraction:
    ordered = sorted(set(problems), key=lambda p: (p.line, p.column, p.message))
    return Extraction(records={name: [] for name in _COLLECTIONS}, problems=ordered)


# Reading and validating


def _parse(path: str, text: str) -> tuple[Node | None, list[Problem]]:
    """The root mapping of the ledger and its duplicate keys, or why there is none."""
    try:
        documents = [doc for doc in yamlsrc.load(text) if doc.value is not None]
    except yamlsrc.YamlError as error:
        return None, [Problem(path, error.line, error.column, error.message)]
    if not documents:
        return None, [Problem(path, 1, 1, "the ledger is empty")]
    root = documents[0]
    if len(documents) > 1:
        message = f"the ledger must be one YAML document, found {len(documents)}"
        return None, [Problem(path, documents[1].line, documents[1].column, message)]
    if not root.is_map:
        message = f"the ledger must be a mapping of keys, got {_show(root.plain())}"
        return None, [Problem(path, root.line, root.column, message)]
    duplicates = [
        Problem(path, line, column, f"duplicate key '{key}'")
        for key, line, column in yamlsrc.duplicate_keys(root)
    ]
    return root, duplicates


def _validate(context: _Context) -> tuple[LedgerFile | None, list[Problem]]:
    try:
        return LedgerFile.model_validate(context.root.plain()), []
    except ValidationError as invalid:
        errors = invalid.errors(include_url=False)
        return None, [_schema_problem(context, error) for error in errors]


def _schema_problem(context: _Context, error: ErrorDetails) -> Problem:
    where, line, column = schema_error_at(context.root, error)
    loc = tuple(error["loc"])
    message = _unknown_key(loc) if error["type"] == "extra_forbidden" else _describe(error)
    return Problem(context.path, line, column, f"{where}: {message}" if where else message)


def _describe(error: ErrorDetails) -> str:
    kind, value = error["type"], error["input"]
    if kind == "iso_date":
        return error["msg"]
    if kind == "missing":
        return "required key is missing"
    if kind == "enum":
        return f"{_show(value)} is not one of {', '.join(State)}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(value)}"
    if kind == "greater_than":
        return f"must be greater than {error.get('ctx', {}).get('gt')}, got {_show(value)}"
    return f"{error['msg']} (got {_show(value)})"


def _unknown_key(loc: Loc) -> str:
    key = str(loc[-1])
    known = _fields_at(loc[:-1])
    close = did_you_mean(key, known)
    if close:
        return f"unknown key '{key}'; did you mean '{close}'?"
    return f"unknown key '{key}' (known keys: {', '.join(known)})"


def _fields_at(loc: Loc) -> list[str]:
    """The keys of the schema model that the mapping at ``loc`` is validated against."""
    current: Any = LedgerFile
    for part in loc:
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            current = field.annotation if field else None
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _future_dates(context: _Context, ledger: LedgerFile) -> list[Problem]:
    return [
        context.problem(
            loc,
            f"{dotted(loc)}: verified date {proof.verified} is in the future"
            f" (today is {context.now})",
        )
        for loc, proof in _all_proofs(ledger)
        if proof.verified is not None and proof.verified > context.now
    ]


def _all_proofs(ledger: LedgerFile) -> Iterator[tuple[Loc, ProofEntry]]:
    """Every proof of the ledger with the location of its ``verified`` key."""
    groups: list[tuple[str, dict[str, RunnerClassEntry] | dict[str, ForgeEntry]]] = [
        ("runner_classes", ledger.runner_classes),
        ("forges", ledger.forges),
    ]
    for group, entries in groups:
        for name, entry in entries.items():
            for index, proof in enumerate(entry.proofs):
                yield (group, name, "proofs", index, "verified"), proof


def _order_problems(context: _Context, ledger: LedgerFile) -> list[Problem]:
    """An explicit ``order`` must list every runner class exactly once, and nothing else."""
    if ledger.order is None:
        return []
    classes = list(ledger.runner_classes)
    problems = []
    for index, name in enumerate(ledger.order):
        loc: Loc = ("order", index)
        if ledger.order.index(name) < index:
            problems.append(context.problem(loc, f"{dotted(loc)}: '{name}' is listed twice"))
        elif name not in ledger.runner_classes:
            close = did_you_mean(name, classes)
            hint = f"; did you mean '{close}'?" if close else ""
            message = f"{dotted(loc)}: '{name}' is not a runner class{hint}"
            problems.append(context.problem(loc, message))
    missing = [name for name in classes if name not in ledger.order]
    if missing:
        message = f"order: runner classes missing from the order: {', '.join(missing)}"
        problems.append(context.problem(("order",), message))
    return problems


# Building records


def _build(context: _Context, ledger: LedgerFile) -> tuple[Record, Extraction]:
    order = ledger.order if ledger.order is not None else list(ledger.runner_classes)
    classes = sorted(
        (
            _runner_class(context, name, order.index(name), entry)
            for name, entry in ledger.runner_classes.items()
        ),
        key=lambda record: int(record["index"]),
    )
    forges = [
        _forge(context, name, index, entry)
        for index, (name, entry) in enumerate(ledger.forges.items())
    ]
    tranches = [_tranche(context, name, entry) for name, entry in ledger.tranches.items()]
    span = _node_position(context.path, context.root)
    record = _ledger_record(span, True, ledger, classes, forges, tranches)
    record["matrix"] = rendered(record, context.now)
    top = context.root.plain()
    record["keys"] = {str(key): _key_position(context, (key,)) for key in top}
    records = {"runner_classes": classes, "forges": forges, "tranches": tranches}
    return record, Extraction(records=records)


def _ledger_record(
    span: Record,
    present: bool,
    ledger: LedgerFile,
    classes: list[Record],
    forges: list[Record],
    tranches: list[Record],
) -> Record:
    return ledger_record(
        span,
        present,
        repo=ledger.repo,
        baseline=ledger.baseline,
        primary_forge=ledger.primary_forge,
        freshness_days=ledger.freshness_days,
        classes=classes,
        forges=forges,
        tranches=tranches,
        bootstrap_flakes=ledger.bootstrap_flakes,
        endpoints=ledger.endpoints.model_dump(),
    )


def _words(name: str, labels: list[str]) -> list[str]:
    """The words prose names an entry by: its name and labels, lower-cased, distinct."""
    return list(dict.fromkeys(word.lower() for word in (name, *labels)))


def _runner_class(context: _Context, name: str, index: int, entry: RunnerClassEntry) -> Record:
    loc: Loc = ("runner_classes", name)
    return {
        **_key_position(context, loc),
        "name": name,
        "index": index,
        "state": entry.state.value,
        "labels": list(entry.labels),
        "words": _words(name, entry.labels),
        "proofs": _proofs(context, loc, entry.proofs),
    }


def _forge(context: _Context, name: str, index: int, entry: ForgeEntry) -> Record:
    loc: Loc = ("forges", name)
    surfaces = [proof.surface for proof in entry.proofs if proof.surface]
    return {
        **_key_position(context, loc),
        "name": name,
        "index": index,
        "state": entry.state.value,
        "labels": list(entry.labels),
        "words": _words(name, entry.labels),
        "proofs": _proofs(context, loc, entry.proofs),
        "surfaces": list(dict.fromkeys(surfaces)),
    }


def _tranche(context: _Context, name: str, entry: TrancheEntry) -> Record:
    loc: Loc = ("tranches", name)
    return {**_key_position(context, loc), "name": name, "repos": list(entry.repos)}


def _proofs(context: _Context, owner: Loc, proofs: list[ProofEntry]) -> list[Record]:
    return [
        _proof(context, context.node((*owner, "proofs", index)), proof)
        for index, proof in enumerate(proofs)
    ]


def _proof(context: _Context, node: Node, proof: ProofEntry) -> Record:
    kind = _evidence_kind(proof.evidence)
    verified = proof.verified
    return {
        **_node_position(context.path, node),
        "surface": proof.surface,
        "evidence": proof.evidence,
        "evidence_kind": kind,
        "evidence_exists": _evidence_exists(kind, proof.evidence, context.repo_root),
        "verified": verified.isoformat() if verified else "",
        "age_days": (context.now - verified).days if verified else -1,
    }


# Evidence


def _evidence_kind(evidence: str) -> str:
    """``url`` (https only), ``path`` (inside the repo), ``missing`` or ``invalid``."""
    if not evidence:
        return "missing"
    if evidence.lower().startswith("https://"):
        return "url" if _has_host(evidence) else "invalid"
    if (
        _SCHEME.match(evidence)
        or evidence.startswith(("/", "~"))
        or not _UNSAFE.isdisjoint(evidence)
    ):
        return "invalid"  # another scheme, an absolute or home path, a Windows path
    normal = posixpath.normpath(evidence)
    return "invalid" if normal == ".." or normal.startswith("../") else "path"


def _has_host(url: str) -> bool:
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:
        return False


def _evidence_exists(kind: str, evidence: str, repo_root: Path) -> bool:
    if kind == "url":
        return True  # never fetched
    return kind == "path" and exists_inside(repo_root, evidence)


# Positions


def _node_position(path: str, node: Node) -> Record:
    return position(path, node.line, node.column, node.end_line, node.end_column)


def _key_position(context: _Context, loc: Loc) -> Record:
    """The span of the mapping key at the end of ``loc`` (quotes included)."""
    node = context.node(loc)
    line, column = node.key_line, node.key_column
    text = context.lines[line - 1][column - 1 :] if 0 < line <= len(context.lines) else ""
    key = str(loc[-1])
    width = next((len(w) for w in (key, f'"{key}"', f"'{key}'") if text.startswith(w)), 0)
    return position(context.path, line, column, line, column + width)


def _show(value: Any) -> str:
    """A short quotation of a YAML value for a message."""
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return str(value)
