"""Baselines: adopt proofgate on a drifting repo by recording today's findings.

``proofgate baseline`` writes the fingerprint of every current finding to
``.proofgate-baseline.json``; ``proofgate check --baseline FILE`` then reports
only the findings that are not in it, and names the baselined findings that
are gone, so the baseline can shrink.

A fingerprint is the first 16 hex digits of the SHA-256 of:

- the rule id;
- the repo-relative path;
- the finding's source lines (``line`` through ``end_line``) and the text of
  its span within them, each with every run of whitespace collapsed to one
  space and the ends trimmed; when the source cannot be read (a file that is
  not UTF-8, a position past its end) the finding's message instead,
  normalized the same way.

No line or column number goes in, so code that moves keeps its fingerprint,
while editing the offending line makes it a new finding. A fingerprint that
the baseline records N times absorbs N findings, as ruff's and pylint's
baselines count them. SARIF's ``partialFingerprints`` use the same function.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails

from .core.errors import ErrorGroup, ProofgateError
from .core.finding import Finding
from .core.jsontext import pretty
from .core.result import BaselineReport, CheckResult, Entry
from .core.text import read_utf8

BASELINE_FILE = ".proofgate-baseline.json"
VERSION = 1
_WHITESPACE = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def normalize(text: str) -> str:
    """``text`` with every run of whitespace made one space, trimmed."""
    return _WHITESPACE.sub(" ", text).strip()


def fingerprint(finding: Finding, lines: list[str] | None) -> str:
    """The finding's fingerprint, given the lines of its file (None when unreadable)."""
    text = _source_text(finding, lines)
    key = "\0".join((finding.rule, finding.path, text or normalize(finding.message)))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _source_text(finding: Finding, lines: list[str] | None) -> str | None:
    """The normalized source lines of the finding and its span, or None."""
    if lines is None or not 1 <= finding.line <= len(lines):
        return None
    end_line = min(max(finding.end_line, finding.line), len(lines))
    source = lines[finding.line - 1 : end_line]
    text = "\n".join(source)
    start = max(finding.column - 1, 0)
    last_line_start = len(text) - len(source[-1])
    last_line = end_line == finding.end_line
    stop = last_line_start + max(finding.end_column - 1, 0) if last_line else len(text)
    return normalize(text) + "\0" + normalize(text[start:stop])


def fingerprints(root: Path | None, findings: list[Finding]) -> list[str]:
    """The fingerprint of each finding, reading each file under ``root`` once."""
    lines: dict[str, list[str] | None] = {}
    prints = []
    for finding in findings:
        if finding.path not in lines:
            lines[finding.path] = _file_lines(root, finding.path)
        prints.append(fingerprint(finding, lines[finding.path]))
    return prints


def _file_lines(root: Path | None, rel: str) -> list[str] | None:
    if root is None:
        return None
    from .repo.discover import read_text

    text = read_text(root, rel).text
    return None if text is None else _LINE_BREAK.split(text)


def entries(result: CheckResult) -> list[Entry]:
    """The baseline entries of a check's findings, in a stable order (no line numbers)."""
    prints = fingerprints(result.root, result.findings)
    return sorted(
        Entry(f.path, f.rule, fp, normalize(f.message))
        for f, fp in zip(result.findings, prints, strict=True)
    )


def render(baseline: list[Entry]) -> str:
    """The baseline file's text."""
    document = {"version": VERSION, "findings": [entry.as_json() for entry in baseline]}
    return pretty(document)


def write(path: Path, baseline: list[Entry]) -> None:
    """Write the baseline file (ProofgateError when it cannot be written)."""
    try:
        path.write_text(render(baseline), encoding="utf-8", newline="\n")
    except OSError as exc:
        raise ProofgateError(f"cannot write: {exc.strerror or exc}", str(path)) from None


class _EntryModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    fingerprint: str = Field(pattern=r"^[0-9a-f]{16}$")
    rule: str
    path: str
    message: str = ""


class _BaselineModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    version: Literal[1]
    findings: list[_EntryModel]


def load(path: Path, label: str) -> list[Entry]:
    """Read and validate a baseline file; errors carry ``label`` and the line."""
    if not path.is_file():
        raise ProofgateError(
            f"{label}: no such baseline file", hint="write one with 'proofgate baseline'"
        )
    text = read_utf8(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProofgateError(
            f"not valid JSON: {exc.msg}", label, exc.lineno, exc.colno, text
        ) from None
    try:
        model = _BaselineModel.model_validate(data)
    except ValidationError as invalid:
        errors = [_schema_error(label, text, e) for e in invalid.errors(include_url=False)]
        raise (ErrorGroup(errors) if len(errors) > 1 else errors[0]) from None
    return [Entry(e.path, e.rule, e.fingerprint, e.message) for e in model.findings]


def _schema_error(label: str, text: str, error: ErrorDetails) -> ProofgateError:
    from .extract import yamlsrc

    try:
        documents = yamlsrc.load(text)
    except yamlsrc.YamlError:
        documents = []
    where, line, column = yamlsrc.schema_error_at(documents[0] if documents else None, error)
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":
        message = f"{where or 'top level'}: unknown key '{loc[-1]}'"
    elif error["type"] == "missing":
        message = f"{where}: required key is missing"
    elif loc == ("version",):
        message = f"version: unsupported baseline version {error['input']!r} (expected {VERSION})"
    else:
        message = f"{where or 'top level'}: {error['msg']}"
    return ProofgateError(message, label, line, column, text)


def apply(result: CheckResult, baseline: list[Entry], label: str) -> CheckResult:
    """The check without the baselined findings, noting the baseline entries that are gone.

    An entry is gone when nothing matched it and its file was checked (or no
    longer exists): checking only some paths does not empty the baseline.
    """
    remaining = Counter(entry.fingerprint for entry in baseline)
    kept = []
    for finding, fp in zip(
        result.findings, fingerprints(result.root, result.findings), strict=True
    ):
        if remaining[fp] > 0:
            remaining[fp] -= 1
        else:
            kept.append(finding)
    vanished = []
    for entry in baseline:
        if remaining[entry.fingerprint] > 0 and _was_checked(result, entry.path):
            remaining[entry.fingerprint] -= 1
            vanished.append(entry)
    report = BaselineReport(label, len(result.findings) - len(kept), vanished)
    return replace(result, findings=kept, notes=result.notes + _notes(report), baseline=report)


def _was_checked(result: CheckResult, path: str) -> bool:
    if path in result.file_kinds or result.root is None:
        return True
    return not (result.root / path).exists()


def _notes(report: BaselineReport) -> list[str]:
    summary = f"baseline {report.file}: {report.baselined} baselined finding(s) not reported"
    if not report.vanished:
        return [summary]
    summary += (
        f", {len(report.vanished)} no longer found"
        " (rewrite it with 'proofgate baseline' to shrink it)"
    )
    gone = [f"no longer found: {e.path}: {e.rule}: {e.message}" for e in report.vanished]
    return [summary, *gone]
