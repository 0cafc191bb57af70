"""A finding: one crossing of a boundary, where it is and how to fix it.

Its own module, with no imports beyond the standard library, so that reports
and cached results load without the evaluator.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Edit:
    """One text edit in the finding's own file: replace the text from
    (``line``, ``column``) up to, not including, (``end_line``, ``end_column``)
    with ``text``. Lines and columns are 1-based, columns in code points, as a
    finding's are; an insertion has its start equal to its end, a deletion an
    empty ``text``."""

    line: int
    column: int
    end_line: int
    end_column: int
    text: str

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    column: int
    rule: str
    message: str
    severity: str = field(compare=False)
    end_line: int = field(compare=False)
    end_column: int = field(compare=False)
    rationale: str = field(compare=False, default="")
    fix: str = field(compare=False, default="")
    # The mechanical fix, when the policy declares one: edits that, applied
    # together, remove this finding.
    edits: tuple[Edit, ...] = field(compare=False, default=())
    # A hedged rewording of the words the finding points at, when the policy
    # suggests one: offered in the editor, never applied by --fix.
    suggestion: str = field(compare=False, default="")

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
            "message": self.message,
            "rationale": self.rationale,
            "fix": self.fix,
            # the mechanical fix, only on findings that carry one
            **({"edits": [edit.as_json() for edit in self.edits]} if self.edits else {}),
            **({"suggestion": self.suggestion} if self.suggestion else {}),
        }
