"""What a check produced: its findings, the rules it ran, what a baseline absorbed.

The leaf both the pipeline and every report import (as conftest's
``output/result.go``); it imports nothing of the engine but core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .finding import Finding
from .rules import Rule


@dataclass
class CheckResult:
    findings: list[Finding]
    files: int
    notes: list[str] = field(default_factory=list)
    ledger_present: bool = False
    rules: list[Rule] = field(default_factory=list)  # every rule loaded, found or not
    file_kinds: dict[str, str] = field(default_factory=dict)  # checked file -> input kind
    root: Path | None = None
    baseline: BaselineReport | None = None  # set by check --baseline
    suppressed: int = 0  # findings hidden by proofgate-ignore comments
    suppressions: list[Suppressed] = field(default_factory=list)  # those findings, with reasons
    fixed: int | None = None  # findings check --fix fixed (None: no --fix)

    def count(self, severity: str) -> int:
        """How many findings have ``severity``."""
        return sum(f.severity == severity for f in self.findings)

    def report_notes(self) -> list[str]:
        """The notes every report carries: files skipped, and a missing ledger."""
        notes = list(self.notes)
        if not self.ledger_present:
            notes.append(NO_LEDGER)
        return notes


NO_LEDGER = "no proof ledger found, so nothing counts as proved"


@dataclass(frozen=True)
class Suppressed:
    """A finding a ``proofgate-ignore`` comment hid, and the reason the comment gives."""

    finding: Finding
    reason: str


@dataclass(frozen=True, order=True)
class Entry:
    """One baselined finding: its fingerprint, and for people its rule, path and message."""

    path: str
    rule: str
    fingerprint: str
    message: str = ""

    def as_json(self) -> dict[str, str]:
        return {
            "fingerprint": self.fingerprint,
            "rule": self.rule,
            "path": self.path,
            "message": self.message,
        }


@dataclass
class BaselineReport:
    """What a baseline did to a check: how many findings it absorbed, which entries are gone."""

    file: str
    baselined: int
    vanished: list[Entry]

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "baselined": self.baselined,
            "vanished": [entry.as_json() for entry in self.vanished],
        }
