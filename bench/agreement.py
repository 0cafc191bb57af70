"""Label agreement: how often two labellers following docs/judgment.md agree, and
how the pack reads against each of them and against what they agree on.

For every ``bench/judgment/second/<owner>__<repo>@<commit>.yaml`` (a second
labeller's blind labels of a repo, in the format of bench/judgment/README.md)
whose first labeller's file is ``bench/judgment/<same name>.yaml`` and whose
checkout is under ``--repos DIR``, it compares, within the second file's
``scope``:

- the labellers: claims each, claims both, Cohen's kappa over the (sentence,
  boundary) pairs either labelled, and the second read as a judge of the first
  (precision = claims both / second's claims; recall = claims both / first's);
- the pack (the docs findings of ``proofgate check`` under the first file's
  ledger and surfaces, as bench/accuracy.py runs it) against the first
  labeller, the second, and the pairs they agree on (a pair they dispute is
  left out of the last).

A pair is (path, the line its sentence starts on, boundary); a pair one
labeller did not label is a mention for that labeller; a finding counts on the
sentence holding it. The disputed pairs are listed with both reasons, for
adjudication.

Usage: python bench/agreement.py --repos DIR [--labels DIR] [--second DIR]
                                 [--proofgate CMD] [--now YYYY-MM-DD] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import accuracy  # its label format, its way of running proofgate

Pair = tuple[str, int, str]
"""(path, the line the sentence starts on, boundary)."""


Ratio = accuracy.Counts
"""The claims of a judge read against the truth's: ``tp``, ``fp``, ``fn``."""


def cell(ratio: Ratio) -> str:
    return f"{accuracy._ratio(ratio.precision)} / {accuracy._ratio(ratio.recall)}"


def ratio(judge: Set[Pair], truth: Set[Pair], left_out: Set[Pair] = frozenset()) -> Ratio:
    """``judge``'s claims read against ``truth``'s, leaving out ``left_out``."""
    judged, true = judge - left_out, truth - left_out
    return Ratio(tp=len(judged & true), fp=len(judged - true), fn=len(true - judged))


def kappa(first: Mapping[Pair, str], second: Mapping[Pair, str]) -> float | None:
    """Cohen's kappa of claim vs mention over the pairs either labelled."""
    pairs = set(first) | set(second)
    if not pairs:
        return None
    a = [first.get(p, "mention") == "claim" for p in pairs]
    b = [second.get(p, "mention") == "claim" for p in pairs]
    n = len(pairs)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    chance = pa * pb + (1 - pa) * (1 - pb)
    return None if chance == 1 else (observed - chance) / (1 - chance)


@dataclass
class Compared:
    name: str
    first: dict[Pair, accuracy.Label]
    second: dict[Pair, accuracy.Label]
    pack: set[Pair]
    kappa: float | None = None
    rows: dict[str, Ratio] = field(default_factory=dict)

    def claims(self, labels: Mapping[Pair, accuracy.Label]) -> set[Pair]:
        return {p for p, label in labels.items() if label.verdict == "claim"}

    @property
    def disputed(self) -> set[Pair]:
        return self.claims(self.first) ^ self.claims(self.second)


def compare(
    name: str,
    first: Iterable[accuracy.Label],
    second: Iterable[accuracy.Label],
    pack: set[Pair],
) -> Compared:
    def keyed(labels: Iterable[accuracy.Label]) -> dict[Pair, accuracy.Label]:
        return {(label.path, label.line, label.boundary): label for label in labels}

    result = Compared(name, keyed(first), keyed(second), pack)
    a, b = result.claims(result.first), result.claims(result.second)
    result.kappa = kappa(
        {p: label.verdict for p, label in result.first.items()},
        {p: label.verdict for p, label in result.second.items()},
    )
    result.rows = {
        "second vs first": ratio(b, a),
        "pack vs first": ratio(pack, a),
        "pack vs second": ratio(pack, b),
        "pack vs agreed": ratio(pack, a & b, left_out=result.disputed),
    }
    return result


def pack_pairs(findings: Iterable[accuracy.Finding], root: Path) -> set[Pair]:
    """The pair of each docs finding: the sentence holding it (a table row: its line)."""
    pairs: set[Pair] = set()
    for finding in findings:
        text = accuracy.file_text(root, finding.path)
        spans = accuracy.each_sentence(finding.path, text) if text is not None else ()
        line = next((s.line for s in spans if s.holds(finding.line, finding.column)), finding.line)
        pairs.add((finding.path, line, finding.boundary))
    return pairs


def judge(
    second_file: Path, labels: Path, repos: Path, *, now: str, proofgate: Sequence[str]
) -> Compared | str:
    """Compare one repo's two labellers and the pack, or say why it was skipped."""
    first_file = labels / second_file.name
    checkout = repos / second_file.stem
    if not first_file.is_file():
        return f"skipped {second_file.name}: no first labeller's {first_file}"
    if not checkout.is_dir():
        return f"skipped {second_file.name}: no checkout {checkout.name}/ under --repos"
    first, second = accuracy.load_labels(first_file), accuracy.load_labels(second_file)
    scope = second.scope or first.scope
    covered = pathspec.GitIgnoreSpec.from_lines(scope) if scope else None

    def inside(path: str) -> bool:
        return covered is None or covered.match_file(path)

    findings = accuracy.run_check(checkout, first, case_dir=None, now=now, proofgate=proofgate)
    return compare(
        second_file.stem,
        (label for label in first.labels if inside(label.path)),
        (label for label in second.labels if inside(label.path)),
        pack_pairs((f for f in findings if inside(f.path)), checkout),
    )


HEADS = ("second vs first", "pack vs first", "pack vs second", "pack vs agreed")


def report(compared: Sequence[Compared]) -> Iterator[str]:
    yield (
        "| Repo | first's claims | second's claims | both | kappa | "
        + " | ".join(f"{h} P / R" for h in HEADS)
        + " | disputed |"
    )
    yield "|---|---:|---:|---:|---:|" + "---|" * len(HEADS) + "---:|"
    totals = {head: Ratio() for head in HEADS}
    counts = [0, 0, 0, 0]
    for c in compared:
        a, b = c.claims(c.first), c.claims(c.second)
        row = (len(a), len(b), len(a & b), len(c.disputed))
        counts = [x + y for x, y in zip(counts, row, strict=True)]
        for head in HEADS:
            totals[head].add(c.rows[head])
        yield (
            f"| {c.name.partition('@')[0]} | {row[0]} | {row[1]} | {row[2]} "
            f"| {accuracy._ratio(c.kappa)} | "
            + " | ".join(cell(c.rows[h]) for h in HEADS)
            + f" | {row[3]} |"
        )
    yield (
        f"| pooled | {counts[0]} | {counts[1]} | {counts[2]} | | "
        + " | ".join(cell(totals[h]) for h in HEADS)
        + f" | {counts[3]} |"
    )
    for c in compared:
        if not c.disputed:
            continue
        yield ""
        yield f"Disputed in {c.name} ({len(c.disputed)}):"
        for pair in sorted(c.disputed):
            path, line, boundary = pair
            one, two = c.first.get(pair), c.second.get(pair)
            pack = "reported" if pair in c.pack else "not reported"
            yield (
                f"  {path}:{line} {boundary} first {one.verdict if one else 'unlabelled'}, "
                f"second {two.verdict if two else 'unlabelled'}, pack {pack}"
            )
            for who, label in (("first", one), ("second", two)):
                if label is not None:
                    yield f"    {who}: {label.reason}"


def as_json(compared: Sequence[Compared]) -> dict[str, Any]:
    return {
        "version": 1,
        "repos": {
            c.name: {
                "kappa": c.kappa,
                **{
                    h: {
                        "tp": r.tp,
                        "fp": r.fp,
                        "fn": r.fn,
                        "precision": r.precision,
                        "recall": r.recall,
                    }
                    for h, r in c.rows.items()
                },
                "disputed": [f"{p}:{line} {b}" for p, line, b in sorted(c.disputed)],
            }
            for c in compared
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repos", type=Path, required=True, help="checkouts as <owner>__<repo>@<commit>/"
    )
    parser.add_argument(
        "--labels", type=Path, default=accuracy.LABELS, help="the first labellers' files"
    )
    parser.add_argument(
        "--second",
        type=Path,
        default=accuracy.LABELS / "second",
        help="the second labellers' files",
    )
    parser.add_argument("--proofgate", default="proofgate", help="the command (default: proofgate)")
    parser.add_argument("--now", default=accuracy.NOW)
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args(argv)
    compared: list[Compared] = []
    try:
        for second_file in accuracy.real_label_files(args.second):
            done = judge(
                second_file,
                args.labels,
                args.repos,
                now=args.now,
                proofgate=shlex.split(args.proofgate),
            )
            if isinstance(done, str):
                print(f"note: {done}")
            else:
                compared.append(done)
    except (accuracy.LabelError, yaml.YAMLError, RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for line in report(compared):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(as_json(compared), indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
