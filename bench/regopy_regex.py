"""Is regopy's regex.match linear on catastrophic patterns? (It is not.)

Times ``regex.match`` on regopy (compiled bundle, input set beforehand, so
only the match is timed), on regorus when installed, and proofgate's own
Python matcher (the ``regex`` package with its per-match time limit) on
``"a" * n + "b"`` for growing n. A linear engine grows like n; a backtracking
one doubles (``(a+)+$``) or grows by the golden ratio (``^(a|aa)+$``) with
each added character. Each measurement runs in a forked child that is killed
after --limit seconds (shown as ``> limit``); larger sizes are then skipped.

Usage: python bench/regopy_regex.py [--sizes 8,12,16,20,24,28,10000] [--limit 10]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from engine.evaluate.bounded import Stopped, run_bounded

PATTERNS = ["(a+)+$", "^(a|aa)+$", "^(a|a?)+$"]


def regopy_matcher(pattern: str) -> Callable[[str], object]:
    import regopy

    interpreter = regopy.Interpreter()
    interpreter.log_level = regopy.LogLevel.NONE
    bundle = interpreter.build(f"r := regex.match({json.dumps(pattern)}, input.s)")

    def match(text: str) -> object:
        interpreter.set_input_term(json.dumps({"s": text}))
        started = time.perf_counter()
        interpreter.query_bundle(bundle)
        return time.perf_counter() - started

    return match


def regorus_matcher(pattern: str) -> Callable[[str], object]:
    import regorus

    engine = regorus.Engine()
    engine.add_policy("m.rego", f"package m\nr := regex.match({json.dumps(pattern)}, input.s)\n")

    def match(text: str) -> object:
        engine.set_input_json(json.dumps({"s": text}))
        started = time.perf_counter()
        engine.eval_rule_as_json("data.m.r")
        return time.perf_counter() - started

    return match


def python_matcher(pattern: str) -> Callable[[str], object]:
    from engine.dsl.regex import RegexTimeout, compile_regex

    compiled = compile_regex(pattern)

    def match(text: str) -> object:
        started = time.perf_counter()
        try:
            compiled.finditer(text)
        except RegexTimeout:
            return "timeout"
        return time.perf_counter() - started

    return match


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="8,12,16,20,24,28,10000")
    parser.add_argument("--limit", type=float, default=10.0)
    args = parser.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    engines = {"regopy": regopy_matcher, "regorus": regorus_matcher, "python": python_matcher}
    print("| engine | pattern | " + " | ".join(f"n={n}" for n in sizes) + " |")
    print("|---|---|" + "---|" * len(sizes))
    for name, make in engines.items():
        for pattern in PATTERNS:
            try:
                match = make(pattern)
            except ImportError:
                continue
            cells, stopped = [], False
            for n in sizes:
                if stopped:
                    cells.append("-")
                    continue
                try:
                    (seconds,) = run_bounded(match, ["a" * n + "b"], [args.limit])
                except Stopped:
                    seconds = f"> {args.limit:g} s"
                stopped = isinstance(seconds, str)
                cells.append(seconds if isinstance(seconds, str) else f"{seconds:.4f}")
            print(f"| {name} | `{pattern}` | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
