"""Snapshot proofgate's observable behaviour, to prove a refactoring changes none of it.

Runs the installed ``proofgate`` command (never the library, so any internal
layout can be compared with any other) over:

- every fixture repo under ``fixtures/repos/`` (``check --format json``, and the
  text, SARIF, GitHub and JUnit reports of the same check),
- the generated bench corpora at the sizes given (``bench/corpus.py``),
- the shipped pack's policy-test cases (``test --format json``),

with a fixed ``--now`` and no cache, and writes everything to one JSON file.
``--compare OLD`` prints what differs from an earlier snapshot and exits 1 when
anything does.

Usage:
    python bench/snapshot.py --out before.json [--sizes 1,10]
    python bench/snapshot.py --out after.json --compare before.json
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402

NOW = "2026-12-06"
FORMATS = ("json", "text", "sarif", "github", "junit")


def _run(args: list[str], cwd: Path) -> dict[str, object]:
    env = {**os.environ, "PROOFGATE_NO_CACHE": "1", "NO_COLOR": "1"}
    done = subprocess.run(
        ["proofgate", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    return {"exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}


def snapshot(sizes: list[int]) -> dict[str, dict[str, object]]:
    """Every observed output, keyed by a name that says what produced it."""
    seen: dict[str, dict[str, object]] = {}
    for repo in sorted((REPO / "fixtures" / "repos").iterdir()):
        for fmt in FORMATS:
            args = ["check", "--root", str(repo), "--now", NOW, "--format", fmt]
            seen[f"{repo.name} {fmt}"] = _run(args, REPO)
    seen["policy tests"] = _run(["test", "--format", "json"], REPO)
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            corpus.generate(Path(tmp), size)
            args = ["check", "--root", tmp, "--now", NOW, "--format", "json"]
            seen[f"corpus {size}x"] = _run(args, REPO)
    return seen


def compare(old: dict[str, dict[str, object]], new: dict[str, dict[str, object]]) -> list[str]:
    """Lines describing every difference (empty when the snapshots agree)."""
    lines: list[str] = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            lines.append(f"{name}: only in {'new' if name in new else 'old'}")
            continue
        for part in ("exit", "stdout", "stderr"):
            before, after = old[name][part], new[name][part]
            if before == after:
                continue
            lines.append(f"{name} {part} differs:")
            lines += difflib.unified_diff(
                str(before).splitlines(), str(after).splitlines(), "old", "new", lineterm="", n=1
            )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--sizes", default="1,10", help="bench corpus sizes (default 1,10)")
    parser.add_argument("--compare", type=Path, help="an earlier snapshot to compare with")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    new = snapshot(sizes)
    args.out.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.compare is None:
        print(f"{len(new)} outputs written to {args.out}")
        return 0
    differences = compare(json.loads(args.compare.read_text(encoding="utf-8")), new)
    print("\n".join(differences) or f"identical: {len(new)} outputs")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
