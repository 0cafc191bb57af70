"""How many candidate records to send per Rego query.

Runs the shipped pack's clauses over synthetic Markdown sentences with the
prefilter off (so every sentence is a candidate of every docs clause) and
times evaluation for several chunk sizes, medians of --repeat runs, side by
side in one process. Usage: python bench/chunking.py [--sentences N] [--repeat R]
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from engine.core.resources import shipped_policies
from engine.evaluate import run
from engine.extract.ledger_defaults import absent_ledger
from engine.pack import load_policies

TEXTS = [
    "GloriousFlywheel supports GitLab runners today.",
    "Runners pull their toolchain from FlakeHub at boot.",
    "The honey cluster remains the on-prem baseline for every job.",
    "Tagged releases are published to FlakeHub for discovery.",
    "A cross-forge pool is planned once GitHub user repos are proved.",
]


def sentences(n: int) -> list[dict[str, Any]]:
    return [
        {
            "path": f"docs/{i // 30}.md",
            "line": i % 30 + 1,
            "column": 1,
            "end_line": i % 30 + 1,
            "end_column": 40,
            "text": TEXTS[i % len(TEXTS)],
            "block": "paragraph",
            "heading": "",
            "headings": [],
            "table_header": "",
            "in_blockquote": False,
        }
        for i in range(n)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=6000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    policies = load_policies([shipped_policies()])
    default = run.CHUNK
    model = run.InputModel({"sentences": sentences(args.sentences)}, absent_ledger())
    candidates = sum(
        len(run.candidates(policies.program, c, model, prefilter=False))
        for c in policies.program.clauses
    )
    print(
        f"{args.sentences} sentences ({candidates} candidate records for the pack's clauses), "
        f"prefilter off, median of {args.repeat} runs"
    )
    print(f"{'chunk':>8} {'queries':>8} {'seconds':>9} {'findings':>9}")
    for chunk in (500, 2000, 8000, 10**9):
        run.CHUNK = chunk
        times, found = [], 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            found = len(run.evaluate(policies.program, policies.modules, model, prefilter=False))
            times.append(time.perf_counter() - start)
        queries = -(-candidates // chunk)
        print(f"{chunk:>8} {queries:>8} {statistics.median(times):>9.2f} {found:>9}")
    run.CHUNK = default
    start = time.perf_counter()
    found = len(run.evaluate(policies.program, policies.modules, model, prefilter=True))
    print(f"prefilter on, chunk {default}: {time.perf_counter() - start:.2f} s, {found} findings")


if __name__ == "__main__":
    main()
