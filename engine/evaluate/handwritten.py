"""Hand-written ``.rego`` policies, with conftest's conventions.

Each structured file (YAML, JSON, TOML, workflows, flake.lock) is the
``input`` of a query, as in conftest. Every package's ``deny``,
``violation`` (errors) and ``warn`` (warnings) rules are read: sets or arrays
of strings, or of objects carrying ``msg`` and optionally ``path``, ``line``
and ``column``. The rule id is the package name.
"""

from __future__ import annotations

import json
import math
import posixpath
import re
import tomllib
from collections import Counter
from typing import Any

from ..core.errors import ProofgateError
from ..core.finding import Finding
from .backends import make_backend
from .bounded import Stopped, run_bounded

STRUCTURED_KINDS = {"yaml", "json", "toml", "workflow", "action", "flake_lock"}
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_.]*)", re.MULTILINE)
# A rule head at the start of a line (functions, which fail only when called, excluded).
_RULE = re.compile(
    r"^(?:default\s+)?(?!(?:package|import)\b)([A-Za-z_]\w*)\b(?!\s*\()", re.MULTILINE
)
QUERY_TIMEOUT = 10.0  # seconds for every hand-written module over one file
_SEVERITY = {"deny": "error", "violation": "error", "warn": "warning"}


def packages(modules: dict[str, str]) -> list[str]:
    """The package of each module (a module without one is an error)."""
    found = []
    for name, text in modules.items():
        match = _PACKAGE.search(text)
        if match is None:
            raise ProofgateError("Rego module has no package declaration", name)
        found.append(match.group(1))
    return sorted(set(found))


def parse_data(kind: str, text: str) -> Any:
    """The file's data as conftest would give it to Rego (None if unreadable)."""
    from ..extract import yamlsrc

    try:
        if kind in ("json", "flake_lock"):
            return json.loads(text)
        if kind == "toml":
            return tomllib.loads(text)
        documents = yamlsrc.load(text)
    except (ValueError, yamlsrc.YamlError):
        return None
    return documents[0].plain() if documents else None


def evaluate_files(
    modules: dict[str, str], files: list[tuple[str, str, str]], backend: str = "regopy"
) -> list[Finding]:
    """Findings of hand-written modules over ``(path, kind, text)`` files.

    Each file's query has a time limit (:data:`QUERY_TIMEOUT`, plus a second
    per 100 kB of input): regopy's regex builtins backtrack, so a module's
    ``regex.match`` can otherwise hang the run. A query that fails names the
    module, the rule and the file. Before anything is loaded, the modules are
    checked against the built-ins Rego from the checked repo may use
    (:mod:`engine.evaluate.capabilities`).
    """
    from .capabilities import check_modules

    check_modules(modules)
    names = packages(modules)
    query = "{" + ", ".join(f"{json.dumps(n)}: data.{n}" for n in names) + "}"
    engine = make_backend(backend)
    engine.load(modules, query)
    inputs = [
        (path, json.dumps(data, ensure_ascii=False))
        for path, kind, text in files
        if kind in STRUCTURED_KINDS and (data := parse_data(kind, text)) is not None
    ]

    def run(item: tuple[str, str]) -> list[Finding]:
        path, document = item
        try:
            result = engine.query(document)
        except ProofgateError as error:
            raise _located(error, modules, backend, item) from None
        found: list[Finding] = []
        for package, value in (result or {}).items():
            if isinstance(value, dict):
                found.extend(_findings(package, value, path))
        return found

    limits = [QUERY_TIMEOUT + len(document) / 100_000 for _, document in inputs]
    try:
        per_file = run_bounded(run, inputs, limits)
    except Stopped as stop:
        raise _stopped(stop, inputs[stop.index][0], limits[stop.index], sorted(modules)) from None
    return [finding for found in per_file for finding in found]


def _stopped(stop: Stopped, path: str, limit: float, names: list[str]) -> ProofgateError:
    if stop.error is not None:
        return stop.error
    if stop.exitcode is not None:
        return ProofgateError(
            f"the Rego engine stopped (exit code {stop.exitcode}) while hand-written "
            f"Rego ({', '.join(names)}) checked this file",
            path,
        )
    return ProofgateError(
        f"hand-written Rego ({', '.join(names)}) ran longer than {limit:.0f} s on this file",
        path,
        hint="regopy's regex builtins backtrack: a pattern with nested quantifiers such as "
        "(a+)+$ takes exponential time; write the regex in a .policy file, where "
        "matches are time-bounded",
    )


def _located(
    error: ProofgateError, modules: dict[str, str], backend: str, item: tuple[str, str]
) -> ProofgateError:
    """A failed query as an error at the rule that fails (regopy gives no position)."""
    path, document = item
    if error.path:  # regorus says where
        return ProofgateError(
            error.message,
            error.path,
            error.line,
            error.column,
            error.source,
            f"while checking {path}",
        )
    failing = _failing_rules(modules, backend, document)
    if not failing:
        return ProofgateError(error.message, hint=f"while checking {path}")
    twice = [rule for rule in failing if rule[3]]
    module, line, name, _ = (twice or failing)[0]
    others = ", ".join(f"{n} ({m}:{ln})" for m, ln, n, _ in failing if n != name)
    hint = f"while checking {path}" + (f"; rules that fail through it: {others}" if others else "")
    reason = error.message.removeprefix("Rego evaluation failed: ")
    message = f"Rego evaluation failed in rule '{name}': {reason}"
    return ProofgateError(message, module, line, 1, modules[module], hint)


def _failing_rules(
    modules: dict[str, str], backend: str, document: str
) -> list[tuple[str, int, str, bool]]:
    """(module, line, rule, defined more than once) of every rule that fails on this input."""
    failing = []
    for module, text in sorted(modules.items()):
        package = _PACKAGE.search(text)
        if package is None:
            continue
        heads = [(m.group(1), text.count("\n", 0, m.start()) + 1) for m in _RULE.finditer(text)]
        counts = Counter(name for name, _ in heads)
        first_line = dict(reversed(heads))
        for name in counts:
            engine = make_backend(backend)
            try:
                engine.load(modules, f"data.{package.group(1)}.{name}")
                engine.query(document)
            except ProofgateError:
                failing.append((module, first_line[name], name, counts[name] > 1))
    return failing


def _findings(package: str, document: dict[str, Any], path: str) -> list[Finding]:
    out = []
    for rule, severity in _SEVERITY.items():
        values = document.get(rule)
        for value in values if isinstance(values, list) else []:
            item = value if isinstance(value, dict) else {"msg": value}
            line, column = _position(item.get("line")), _position(item.get("column"))
            out.append(
                Finding(
                    path=_inside_repo(item.get("path"), path),
                    line=line,
                    column=column,
                    rule=package,
                    message=str(item.get("msg", "")),
                    severity=severity,
                    end_line=line,
                    end_column=column,
                )
            )
    return out


def _position(value: Any) -> int:
    """A line or column a module reported: a positive whole number, else 1."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return 1
    return max(1, int(value))


def _inside_repo(claimed: Any, checked: str) -> str:
    """The path a module reported, when it is a relative path inside the repo; else
    the checked file (a finding never points outside the repo root)."""
    if not isinstance(claimed, str) or not claimed or "\\" in claimed:
        return checked
    normal = posixpath.normpath(claimed)
    if normal.startswith("/") or normal == ".." or normal.startswith("../"):
        return checked
    return normal
