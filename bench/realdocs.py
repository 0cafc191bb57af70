"""The real-docs corpus: copies of a fetched GloriousFlywheel checkout's docs.

The generated corpus (bench/corpus.py) is the dense case: two findings a file,
every one a regopy query. Real docs are sparse and long, so their cost is the
Markdown front end. This corpus is built from a checkout given on the command
line (never committed: the project keeps no fetched files):

- its top-level Markdown files (README.md ...), ``docs/`` and ``.github/``,
  ``copies`` times: copy 0 where it is (so the 1x corpus is the checkout's own
  docs: 76 files for GloriousFlywheel at 7989276), copy K's top-level docs
  under ``part-KKK/``, its docs under ``docs/part-KKK/``, its workflows as
  ``.github/workflows/KKK-NAME`` and its actions as ``.github/actions/KKK-NAME/``
  (workflows are only read there). Only copy 0's README.md is the primary
  product surface.

The copies are byte-identical; only their paths differ.

Usage: python bench/realdocs.py CHECKOUT DEST --copies N [--git]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

# bench/ is not a package: corpus is imported from its own folder
sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpus

COPIED = ("docs", ".github")
# the doc of copy 0 the pre-commit runs append a sentence to, when the checkout has it
PRE_COMMIT_DOCS = ("docs/runners/runbook.md", "docs/index.md")


@dataclass
class Built:
    files: int = 0
    bytes: int = 0
    markdown_files: int = 0
    pre_commit_doc: str = ""

    def summary(self) -> str:
        return (
            f"{self.files} files, {self.bytes / 1024:.0f} KiB ({self.markdown_files} Markdown); "
            f"pre-commit doc {self.pre_commit_doc}"
        )


def _copied(checkout: Path) -> list[str]:
    """The checkout's files the corpus copies, as paths relative to it, sorted."""
    found = [p for p in checkout.iterdir() if p.is_file() and p.suffix.lower() == ".md"]
    for top in COPIED:
        folder = checkout / top
        if folder.is_dir():
            found += [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sorted(p.relative_to(checkout).as_posix() for p in found)


def _placed(rel: str, copy: int) -> str:
    """Where copy ``copy`` of the checkout's file ``rel`` goes in the corpus."""
    if copy == 0:
        return rel
    prefix = f"{copy:03d}"
    top, _, rest = rel.partition("/")
    if not rest:  # a top-level doc
        return f"part-{prefix}/{rel}"
    if top == "docs":
        return f"docs/part-{prefix}/{rest}"
    kind, _, name = rest.partition("/")
    if top == ".github" and kind in ("workflows", "actions"):
        return f".github/{kind}/{prefix}-{name}"
    return f".github/part-{prefix}/{rest}"


def build(checkout: Path, dest: Path, copies: int) -> Built:
    """Write the corpus into ``dest`` (absent or empty)."""
    if copies < 1:
        raise ValueError("copies must be at least 1")
    if not (checkout / "docs").is_dir():
        raise ValueError(f"{checkout}: no docs/ folder (a GloriousFlywheel checkout?)")
    if dest.exists() and any(dest.iterdir()):
        raise FileExistsError(f"{dest}: not empty")
    built = Built()
    files = _copied(checkout)
    for rel in files:
        data = (checkout / rel).read_bytes()
        for copy in range(copies):
            target = dest / _placed(rel, copy)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            built.files += 1
            built.bytes += len(data)
            built.markdown_files += rel.lower().endswith(".md")
    built.pre_commit_doc = next((d for d in PRE_COMMIT_DOCS if d in files), "")
    if not built.pre_commit_doc:
        built.pre_commit_doc = next(r for r in files if r.startswith("docs/") and r.endswith(".md"))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("checkout", type=Path)
    parser.add_argument("dest", type=Path)
    parser.add_argument("--copies", type=int, required=True)
    parser.add_argument("--git", action="store_true", help="git init and commit the corpus")
    args = parser.parse_args(argv)
    try:
        built = build(args.checkout, args.dest, args.copies)
    except (ValueError, FileExistsError) as exc:
        print(f"realdocs: {exc}", file=sys.stderr)
        return 2
    if args.git:
        corpus.git_commit(args.dest)
    print(f"{args.dest}: {built.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
