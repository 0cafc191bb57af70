"""Helpers shared by the test modules."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def readme_blocks(section: str, language: str) -> list[str]:
    """The fenced ``language`` code blocks under the README heading ``## section``."""
    text = (REPO / "README.md").read_text("utf-8")
    start = text.index(f"\n## {section}\n")
    end = text.find("\n## ", start + 1)
    body = text[start : end if end != -1 else len(text)]
    return re.findall(rf"^```{language}\n(.*?)^```$", body, re.MULTILINE | re.DOTALL)


def readme_block(section: str, language: str) -> str:
    """The first ``language`` code block under ``## section``."""
    blocks = readme_blocks(section, language)
    assert blocks, f"no {language} block under '## {section}'"
    return blocks[0]


def within(text: str, line: int, column: int) -> bool:
    """True when a 1-based (line, column) lies inside ``text`` (or just past a line's end)."""
    lines = text.split("\n")
    return 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]) + 1
