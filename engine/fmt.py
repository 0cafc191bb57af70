"""``proofgate fmt``: policy files in canonical form (``engine.dsl.format``).

The command prints the formatted text, rewrites files in place (``--write``,
only those that change) or lists the files that would change (``--check``),
as ``ruff format`` does. A file that does not parse, is not UTF-8, or holds a
comment the formatter cannot keep in place is an error and is never written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from engine.check import read_policy_file
from engine.dsl.format import format_source
from engine.errors import ProofgateError


@dataclass
class Formatted:
    path: Path
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


@dataclass
class FmtReport:
    files: list[Formatted] = field(default_factory=list)
    errors: list[ProofgateError] = field(default_factory=list)

    @property
    def changed(self) -> list[Formatted]:
        return [f for f in self.files if f.changed]


def policy_paths(targets: list[Path]) -> list[Path]:
    """Files as given; directories searched for ``*.policy`` (hidden folders skipped)."""
    found: list[Path] = []
    for target in targets:
        if target.is_dir():
            matches = sorted(
                p
                for p in target.rglob("*.policy")
                if not any(part.startswith(".") for part in p.relative_to(target).parts)
            )
            if not matches:
                raise ProofgateError(f"{target}: no .policy files in this directory")
            found.extend(matches)
        elif target.exists():
            found.append(target)
        else:
            raise ProofgateError(f"{target}: no such file or directory")
    return list(dict.fromkeys(found))


def format_files(targets: list[Path]) -> FmtReport:
    """Format every policy file under ``targets``; errors are collected, not raised."""
    report = FmtReport()
    for path in policy_paths(targets):
        try:
            text = read_policy_file(path)
            report.files.append(Formatted(path, text, format_source(text, str(path))))
        except ProofgateError as error:
            report.errors.append(error)
    return report


def write_changed(report: FmtReport) -> list[Path]:
    """Rewrite the files whose text changed (byte for byte as formatted)."""
    for formatted in report.changed:
        formatted.path.write_text(formatted.after, encoding="utf-8", newline="")
    return [f.path for f in report.changed]
