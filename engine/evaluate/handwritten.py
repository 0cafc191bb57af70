"""Hand-written ``.rego`` policies, with conftest's conventions.

Each structured file (YAML, JSON, TOML, workflows, flake.lock) is the
``input`` of a query, as in conftest. Every package's ``deny``,
``violation`` (errors) and ``warn`` (warnings) rules are read: sets or arrays
of strings, or of objects carrying ``msg`` and optionally ``path``, ``line``
and ``column``. The rule id is the package name.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

from engine.errors import ProofgateError
from engine.evaluate.backends import make_backend
from engine.evaluate.run import Finding

STRUCTURED_KINDS = {"yaml", "json", "toml", "workflow", "action", "flake_lock"}
_PACKAGE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_.]*)", re.MULTILINE)
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
    from engine.extract import yamlsrc

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
    """Findings of hand-written modules over ``(path, kind, text)`` files."""
    names = packages(modules)
    query = "{" + ", ".join(f"{json.dumps(n)}: data.{n}" for n in names) + "}"
    engine = make_backend(backend)
    engine.load(modules, query)
    findings: list[Finding] = []
    for path, kind, text in files:
        if kind not in STRUCTURED_KINDS:
            continue
        data = parse_data(kind, text)
        if data is None:
            continue
        result = engine.query(json.dumps(data, ensure_ascii=False))
        for package, document in (result or {}).items():
            if isinstance(document, dict):
                findings.extend(_findings(package, document, path))
    return findings


def _findings(package: str, document: dict[str, Any], path: str) -> list[Finding]:
    out = []
    for rule, severity in _SEVERITY.items():
        values = document.get(rule)
        for value in values if isinstance(values, list) else []:
            item = value if isinstance(value, dict) else {"msg": value}
            line = int(item.get("line", 1) or 1)
            column = int(item.get("column", 1) or 1)
            out.append(
                Finding(
                    path=str(item.get("path", path)),
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


def read_modules(paths: list[Path]) -> dict[str, str]:
    """Hand-written ``.rego`` files (name -> text)."""
    modules: dict[str, str] = {}
    for path in paths:
        try:
            modules[path.as_posix()] = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProofgateError(f"cannot read Rego module: {exc}", path.as_posix()) from None
    return modules
