"""The Python parse floor of a repo: parse every file a check reads, and judge nothing.

Lists the files as proofgate does (``git ls-files``: tracked and untracked, not
ignored), parses each Markdown file with markdown-it-py (CommonMark with GFM
tables and strikethrough), each YAML file with PyYAML (its libyaml loader when
built with it, as proofgate's YAML front end uses) and each JSON file with
``json``, and prints a JSON summary. ``bench/perf.py`` runs it beside proofgate
as the ``parse-floor`` mode: what a Python tool pays just to read the repo's
structure, with no rules.

markdown-it-py is a bench-only dependency (``pip install -e '.[bench]'``).

Usage: python bench/parse_floor.py ROOT
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml
from markdown_it import MarkdownIt

try:
    from yaml import CSafeLoader as Loader
except ImportError:  # PyYAML without libyaml
    from yaml import SafeLoader as Loader  # type: ignore[assignment]


def files(root: str) -> list[str]:
    listed = subprocess.run(
        ["git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout
    return sorted({name.decode() for name in listed.split(b"\0") if name})


def main(argv: list[str]) -> int:
    root = argv[0]
    markdown = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    parsed = {"markdown": 0, "yaml": 0, "json": 0, "errors": 0}
    listed = files(root)
    for rel in listed:
        lower = rel.lower()
        if not lower.endswith((".md", ".markdown", ".yml", ".yaml", ".json")):
            continue
        path = os.path.join(root, rel)
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
        try:
            if lower.endswith((".md", ".markdown")):
                markdown.parse(text)
                parsed["markdown"] += 1
            elif lower.endswith(".json"):
                json.loads(text)
                parsed["json"] += 1
            else:
                list(yaml.load_all(text, Loader=Loader))
                parsed["yaml"] += 1
        except (ValueError, yaml.YAMLError):
            parsed["errors"] += 1
    print(json.dumps({"files": len(listed), "parsed": parsed, "findings": []}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
