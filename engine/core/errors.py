"""Errors that stop a run (exit code 2): bad policies, bad ledgers, bad usage."""

from __future__ import annotations


class ProofgateError(Exception):
    """A user-facing error with a source position.

    ``render()`` gives ``file:line:col: message`` followed, when the source
    text is known, by the offending line and a caret under the column.
    """

    def __init__(
        self,
        message: str,
        path: str = "",
        line: int = 0,
        column: int = 0,
        source: str | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column
        self.source = source
        self.hint = hint

    def location(self) -> str:
        if not self.path:
            return ""
        if self.line <= 0:
            return self.path
        return (
            f"{self.path}:{self.line}:{self.column}" if self.column else f"{self.path}:{self.line}"
        )

    def render(self) -> str:
        where = self.location()
        lines = [f"{where}: {self.message}" if where else self.message]
        if self.source is not None and self.line > 0:
            source_lines = self.source.splitlines()
            if self.line <= len(source_lines):
                text = source_lines[self.line - 1].expandtabs(1)
                lines.append(f"    {text}")
                lines.append("    " + " " * max(self.column - 1, 0) + "^")
        if self.hint:
            lines.append(f"hint: {self.hint}")
        return "\n".join(lines)


class ErrorGroup(ProofgateError):
    """Several errors found in one pass (all are reported, not just the first)."""

    def __init__(self, errors: list[ProofgateError]) -> None:
        super().__init__(errors[0].message if errors else "errors")
        self.errors = errors

    def render(self) -> str:
        return "\n".join(error.render() for error in self.errors)
