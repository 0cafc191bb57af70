"""Judgment accuracy: precision and recall of the docs rules on labelled sentences.

Runs the installed ``proofgate check --format json --no-cache --now DATE`` on

- every case of ``fixtures/judgment/`` (written by us: Markdown, the ledger
  ``proofs.yaml`` and ``labels.yaml``), and
- every ``bench/judgment/<owner>__<repo>@<commit>.yaml`` whose checkout it
  finds under ``--repos DIR`` as ``<owner>__<repo>@<commit>/`` (others are
  skipped with a note),

and scores the docs findings against the labels as ``bench/judgment/README.md``
says: a finding counts for a label when it is in the same file, of a rule of
that boundary's policy, and lies within the sentence (its characters when the
label carries ``text``, else its lines ``line`` .. ``end_line``). Per boundary
and overall: TP (a claim label with a finding), FN (a claim label without
one), FP (a mention label with a finding, or a docs finding on no label),
duplicates (more findings of one boundary on one sentence than one).

A checked repo is never written to: a case is copied to a temporary
directory, and a real checkout is copied too when the label file lists
``surfaces`` (they become ``primary-surface`` in a ``.proofgate.toml`` of the
copy); an inline ledger is written to a temporary file.

Usage: python bench/accuracy.py [--repos DIR] [--json FILE] [--now YYYY-MM-DD]
                                [--fixtures DIR] [--labels DIR] [--proofgate CMD]
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from engine.extract import kind_of, markdown  # noqa: E402  (the checkout's engine, for sentence spans)
from engine.extract.base import SourceFile  # noqa: E402
from engine.repo.discover import read_text  # noqa: E402

FIXTURES = REPO / "fixtures" / "judgment"
LABELS = REPO / "bench" / "judgment"
NOW = "2026-09-01"
"""The fixed date proof ages are measured from (findings do not move with the clock)."""

POLICIES: dict[str, str] = {
    "B1": "honey-is-baseline",
    "B2": "github-is-primary-forge",
    "B3": "caches-accelerate-never-gate",
    "B4": "flakehub-never-bootstrap",
    "B5": "runner-class-needs-proof",
    "B6": "runner-class-order",
    "B7": "forge-claims-need-proof",
    "B8": "surface-roles-stay-distinct",
    "B9": "bazel-dogfood-is-real",
    "B10": "no-fuzzy-product-claims",
}
"""Boundary → the policy whose rules judge it."""

BOUNDARY_OF = {policy: boundary for boundary, policy in POLICIES.items()}
DOCS_BOUNDARIES = ("B1", "B2", "B3", "B4", "B5", "B7", "B8", "B10")
NOT_JUDGED = frozenset({"runner-class-needs-proof.matrix"})
"""Rules that report on Markdown files but judge no sentence (the embedded matrix)."""

VERDICTS = ("claim", "mention")
LABEL_KEYS = frozenset({"path", "line", "end_line", "boundary", "verdict", "reason", "text"})
FILE_KEYS = frozenset({"version", "repo", "commit", "ledger", "surfaces", "scope", "labels"})
REAL_NAME = re.compile(r"^(?P<owner>[\w.-]+)__(?P<repo>[\w.-]+)@(?P<commit>[0-9a-f]{40})$")


class LabelError(ValueError):
    """A label file that does not follow bench/judgment/README.md."""


def is_docs_rule(rule: str, path: str) -> bool:
    """Whether a finding of ``rule`` (``policy.name``) at ``path`` judges a sentence:
    any rule of a boundary's policy reporting on a Markdown file (so a new docs
    clause is judged without being listed here)."""
    policy = rule.partition(".")[0]
    return policy in BOUNDARY_OF and kind_of(path) == "markdown" and rule not in NOT_JUDGED


# -- labels -------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where a sentence lies: 1-based lines, and 1-based code-point columns (inclusive)."""

    line: int
    column: int
    end_line: int
    end_column: int

    def holds(self, line: int, column: int) -> bool:
        return (self.line, self.column) <= (line, column) <= (self.end_line, self.end_column)


@dataclass(frozen=True)
class Label:
    path: str
    line: int
    boundary: str
    verdict: str
    reason: str
    text: str | None = None
    end_line: int | None = None
    span: Span | None = None
    """The sentence's characters, when ``text`` was found in the file."""

    def holds(self, line: int, column: int) -> bool:
        if self.span is not None:
            return self.span.holds(line, column)
        return self.line <= line <= (self.end_line or self.line)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass
class LabelFile:
    """One ``labels.yaml`` (a fixture case) or ``<owner>__<repo>@<commit>.yaml``."""

    source: Path
    ledger: str | dict[str, Any]
    labels: list[Label]
    surfaces: list[str] | None = None
    scope: list[str] | None = None  # gitignore-style: the files the labels cover
    repo: str | None = None
    commit: str | None = None


def _require(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise LabelError(f"{where}: {message}")


def load_labels(path: Path) -> LabelFile:
    """Read and validate a label file (schema only; see :func:`placed` for the text)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    where = str(path)
    _require(isinstance(data, dict), where, "not a mapping")
    _require(data.get("version") == 1, where, "version must be 1")
    unknown = set(data) - FILE_KEYS
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")
    ledger = data.get("ledger")
    _require(
        (isinstance(ledger, str) and ledger != "") or isinstance(ledger, dict),
        where,
        "ledger must be a file of the case or the ledger's content",
    )
    surfaces, scope = data.get("surfaces"), data.get("scope")
    for key, value in (("surfaces", surfaces), ("scope", scope)):
        _require(
            value is None
            or (isinstance(value, list) and all(isinstance(s, str) and s for s in value)),
            where,
            f"{key} must be a list of paths",
        )
    entries = data.get("labels")
    _require(isinstance(entries, list) and len(entries) > 0, where, "labels must be a list")
    labels = [_label(entry, f"{where}: labels[{index}]") for index, entry in enumerate(entries)]
    seen: set[tuple[str, int, str, str | None]] = set()
    for label in labels:
        key = (label.path, label.line, label.boundary, label.text)
        _require(key not in seen, where, f"{label.where} {label.boundary} is labelled twice")
        seen.add(key)
    return LabelFile(
        source=path,
        ledger=ledger,
        labels=labels,
        surfaces=list(surfaces) if surfaces is not None else None,
        scope=list(scope) if scope is not None else None,
        repo=data.get("repo"),
        commit=data.get("commit"),
    )


def _label(entry: Any, where: str) -> Label:
    _require(isinstance(entry, dict), where, "not a mapping")
    unknown = set(entry) - LABEL_KEYS
    _require(not unknown, where, f"unknown keys {sorted(unknown)}")
    for key in ("path", "boundary", "verdict", "reason"):
        _require(isinstance(entry.get(key), str) and entry[key].strip(), where, f"{key} missing")
    line = entry.get("line")
    _require(isinstance(line, int) and line >= 1, where, "line must be a positive integer")
    end_line = entry.get("end_line")
    _require(
        end_line is None or (isinstance(end_line, int) and end_line >= line),
        where,
        "end_line must be an integer >= line",
    )
    _require(
        entry["boundary"] in DOCS_BOUNDARIES, where, f"not a docs boundary: {entry['boundary']}"
    )
    _require(entry["verdict"] in VERDICTS, where, f"verdict must be one of {VERDICTS}")
    _require("\n" not in entry["reason"], where, "reason must be one line")
    text = entry.get("text")
    _require(text is None or (isinstance(text, str) and bool(text.strip())), where, "empty text")
    return Label(
        path=entry["path"],
        line=line,
        boundary=entry["boundary"],
        verdict=entry["verdict"],
        reason=entry["reason"],
        text=text,
        end_line=end_line,
    )


_QUOTE_PREFIX = re.compile(r"[ \t]*(?:>[ \t]?)+")


def _flattened(lines: Sequence[str], first: int) -> tuple[str, list[tuple[int, int]]]:
    """The text from line ``first`` on with whitespace runs as one space and the
    block-quote markers of continuation lines dropped, and each character's
    (line, column)."""
    chars: list[str] = []
    where: list[tuple[int, int]] = []
    for number in range(first, min(len(lines), first + 60) + 1):
        line = lines[number - 1]
        start = 0
        if number > first:
            quote = _QUOTE_PREFIX.match(line)
            start = quote.end() if quote else 0
        for index in range(start, len(line)):
            char = line[index]
            if char.isspace():
                if chars and chars[-1] != " ":
                    chars.append(" ")
                    where.append((number, index + 1))
                continue
            chars.append(char)
            where.append((number, index + 1))
        if chars and chars[-1] != " ":
            chars.append(" ")
            where.append((number, len(line) + 1))
    return "".join(chars), where


def find_text(lines: Sequence[str], line: int, text: str) -> Span | None:
    """Where ``text`` (whitespace runs compared as one space) starts on ``line``."""
    if not 1 <= line <= len(lines):
        return None
    flat, where = _flattened(lines, line)
    wanted = " ".join(text.split())
    start = flat.find(wanted)  # the first match starts on the earliest line it can
    if start == -1 or where[start][0] != line:
        return None
    end = where[start + len(wanted) - 1]
    return Span(line, where[start][1], end[0], end[1])


@functools.lru_cache(maxsize=64)
def file_text(root: Path, path: str) -> str | None:
    """A file of the judged repo as the engine reads it (UTF-8, or UTF-16 by its
    BOM; a BOM dropped), or None when it is missing or unreadable."""
    return read_text(root, path).text if (root / path).is_file() else None


@functools.lru_cache(maxsize=64)
def each_sentence(path: str, text: str) -> tuple[Span, ...]:
    """Where each sentence of a Markdown file lies, as the engine's extractor cuts it."""
    if kind_of(path) != "markdown":
        return ()
    records = markdown.extract(SourceFile(path, text, "markdown")).records["sentences"]
    return tuple(Span(r["line"], r["column"], r["end_line"], r["end_column"] - 1) for r in records)


def sentence_spans(path: str, text: str) -> dict[int, Span]:
    """Line -> the span of the sentences that start on it: where a label without
    ``text`` holds findings (a sentence starting on its line, to wherever it ends;
    two sentences of one line share it)."""
    spans: dict[int, Span] = {}
    for span in each_sentence(path, text):
        known = spans.get(span.line)
        if known is None:
            spans[span.line] = span
        else:
            end = max((known.end_line, known.end_column), (span.end_line, span.end_column))
            spans[span.line] = Span(known.line, known.column, *end)
    return spans


class Sentences:
    """Which of a file's sentences holds a position: two findings of one boundary
    in one sentence are a duplicate, two in two sentences of one line are not."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def of(self, path: str, line: int, column: int) -> tuple[int, int]:
        text = file_text(self.root, path)
        for index, span in enumerate(() if text is None else each_sentence(path, text)):
            if span.holds(line, column):
                return (index, 0)
        return (-1, line)  # not in a sentence (a table row's cells, a config file): its line


def placed(labels: LabelFile, root: Path) -> tuple[LabelFile, list[str]]:
    """The labels with the span of each ``text`` in its file, and the problems
    (a missing file, a ``text`` not found starting on its ``line``)."""
    problems: list[str] = []
    lines_of: dict[str, list[str] | None] = {}
    starts_of: dict[str, dict[int, Span]] = {}
    out: list[Label] = []
    for label in labels.labels:
        if label.path not in lines_of:
            text = file_text(root, label.path)
            lines_of[label.path] = None if text is None else text.splitlines()
            starts_of[label.path] = {} if text is None else sentence_spans(label.path, text)
        lines = lines_of[label.path]
        if lines is None:
            problems.append(f"{label.where}: no such file")
            out.append(label)
            continue
        if label.line > len(lines):
            problems.append(f"{label.where}: the file has {len(lines)} lines")
        if label.text is None:
            start = starts_of[label.path].get(label.line)
            if start is not None and label.end_line is None:
                label = Label(**{**label.__dict__, "span": start, "end_line": start.end_line})
            out.append(label)
            continue
        span = find_text(lines, label.line, label.text)
        if span is None:
            problems.append(f"{label.where}: text not found starting on this line: {label.text!r}")
            out.append(label)
            continue
        out.append(
            Label(**{**label.__dict__, "span": span, "end_line": label.end_line or span.end_line})
        )
    return LabelFile(**{**labels.__dict__, "labels": out}), problems


# -- running proofgate ----------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    rule: str
    path: str
    line: int
    column: int
    message: str

    @property
    def boundary(self) -> str:
        return BOUNDARY_OF[self.rule.partition(".")[0]]


def _ignore_git(directory: str, names: list[str]) -> list[str]:
    return [name for name in names if name in (".git", ".proofgate_cache")]


def _surface_globs(surfaces: Iterable[str]) -> list[str]:
    """Repo-relative paths (or globs) anchored at the root, as ``primary-surface`` wants."""
    return [s if s.startswith(("/", "**")) else "/" + s for s in surfaces]


def _with_surfaces(root: Path, surfaces: Sequence[str]) -> None:
    """Make ``surfaces`` the primary product surface of the copy at ``root``."""
    config = root / ".proofgate.toml"
    setting = "primary-surface = " + json.dumps(_surface_globs(surfaces)) + "\n"
    kept = ""
    if config.is_file():
        kept = "".join(
            line
            for line in config.read_text(encoding="utf-8").splitlines(keepends=True)
            if not line.lstrip().startswith("primary-surface")
        )
    config.write_text(setting + kept, encoding="utf-8")


def run_check(
    root: Path,
    labels: LabelFile,
    *,
    case_dir: Path | None,
    now: str = NOW,
    proofgate: Sequence[str] = ("proofgate",),
) -> list[Finding]:
    """The docs findings of ``proofgate check`` on ``root`` under the labels' ledger
    and surfaces. ``root`` itself is never written to."""
    with tempfile.TemporaryDirectory(prefix="proofgate-judgment-") as temp:
        work = Path(temp)
        checked = root
        if case_dir is not None or labels.surfaces is not None:
            checked = work / "repo"
            shutil.copytree(root, checked, ignore=_ignore_git, symlinks=True)
            if labels.surfaces is not None:
                _with_surfaces(checked, labels.surfaces)
        if isinstance(labels.ledger, dict):
            ledger = work / "ledger.yaml"
            ledger.write_text(yaml.safe_dump(labels.ledger, sort_keys=False), encoding="utf-8")
        else:
            ledger = checked / labels.ledger
        command = [
            *proofgate,
            "check",
            "--root",
            str(checked),
            "--ledger",
            str(ledger),
            "--format",
            "json",
            "--no-cache",
            "--now",
            now,
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
        except OSError as exc:  # not installed, not executable
            raise RuntimeError(f"cannot run {shlex.join(command[:1])}: {exc.strerror}") from exc
        if done.returncode not in (0, 1):
            raise RuntimeError(
                f"{shlex.join(command)} exited {done.returncode}:\n{done.stderr.strip()}"
            )
        try:
            report = json.loads(done.stdout)
        except json.JSONDecodeError:  # exit 1 of something else: `python -m engine` elsewhere
            raise RuntimeError(
                f"{shlex.join(command)} printed no JSON report (exit {done.returncode}):\n"
                f"{done.stderr.strip()}"
            ) from None
    return sorted(
        (
            Finding(f["rule"], f["path"], f["line"], f["column"], f["message"])
            for f in report["findings"]
            if is_docs_rule(f["rule"], f["path"])
        ),
        key=lambda f: (f.path, f.line, f.column, f.rule),
    )


# -- scoring ------------------------------------------------------------------


@dataclass
class Counts:
    claims: int = 0
    mentions: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    duplicates: int = 0
    unlabelled: int = 0

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def as_json(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in self.__dataclass_fields__},
            "precision": self.precision,
            "recall": self.recall,
        }


@dataclass(frozen=True)
class Disagreement:
    where: str
    boundary: str
    verdict: str  # claim (missed), mention (reported), unlabelled
    rule: str
    message: str


@dataclass
class Score:
    counts: dict[str, Counts] = field(
        default_factory=lambda: {boundary: Counts() for boundary in DOCS_BOUNDARIES}
    )
    disagreements: list[Disagreement] = field(default_factory=list)
    duplicates: list[Disagreement] = field(default_factory=list)

    def add(self, other: Score, prefix: str = "") -> None:
        for boundary, counts in other.counts.items():
            self.counts[boundary].add(counts)
        for mine, theirs in (
            (self.disagreements, other.disagreements),
            (self.duplicates, other.duplicates),
        ):
            mine.extend(
                Disagreement(prefix + d.where, d.boundary, d.verdict, d.rule, d.message)
                for d in theirs
            )

    @property
    def total(self) -> Counts:
        total = Counts()
        for counts in self.counts.values():
            total.add(counts)
        return total

    def as_json(self) -> dict[str, Any]:
        return {
            "boundaries": {b: c.as_json() for b, c in self.counts.items()},
            "all": self.total.as_json(),
            "disagreements": [d.__dict__ for d in self.disagreements],
            "duplicates": [d.__dict__ for d in self.duplicates],
        }


def score(
    labels: Iterable[Label], findings: Iterable[Finding], sentences: Sentences | None = None
) -> Score:
    """Score findings against labels (README: scoring); ``sentences`` tells the
    duplicates (without it, findings of one boundary on one label are)."""
    result = Score()
    by_key: dict[tuple[str, str], list[Label]] = {}
    for label in labels:
        by_key.setdefault((label.path, label.boundary), []).append(label)
        counts = result.counts[label.boundary]
        if label.verdict == "claim":
            counts.claims += 1
        else:
            counts.mentions += 1
    hits: dict[Label, list[Finding]] = {}
    loose: dict[tuple[str, int, str], list[Finding]] = {}
    for finding in findings:
        boundary = finding.boundary
        if boundary not in result.counts:
            continue
        candidates = [
            label
            for label in by_key.get((finding.path, boundary), [])
            if label.holds(finding.line, finding.column)
        ]
        # a label whose characters hold the finding beats one known by its lines only
        candidates.sort(key=lambda label: (label.span is None, -label.line))
        if candidates:
            hits.setdefault(candidates[0], []).append(finding)
        else:
            loose.setdefault((finding.path, finding.line, boundary), []).append(finding)
    for key_labels in by_key.values():
        for label in key_labels:
            counts = result.counts[label.boundary]
            found = hits.get(label, [])
            if label.verdict == "claim":
                if found:
                    counts.tp += 1
                else:
                    counts.fn += 1
                    result.disagreements.append(
                        Disagreement(label.where, label.boundary, "claim", "-", label.reason)
                    )
            elif found:
                counts.fp += 1
                first = found[0]
                result.disagreements.append(
                    Disagreement(label.where, label.boundary, "mention", first.rule, first.message)
                )
            _duplicates(result, label.where, label.boundary, found, sentences)
    for (path, line, boundary), found in sorted(loose.items()):
        counts = result.counts[boundary]
        counts.fp += 1
        counts.unlabelled += 1
        first = found[0]
        where = f"{path}:{line}"
        result.disagreements.append(
            Disagreement(where, boundary, "unlabelled", first.rule, first.message)
        )
        _duplicates(result, where, boundary, found, sentences)
    order = {boundary: index for index, boundary in enumerate(DOCS_BOUNDARIES)}

    def key(d: Disagreement) -> tuple[str, int, int, str]:
        path, _, line = d.where.rpartition(":")
        return (path, int(line), order[d.boundary], d.rule)

    result.disagreements.sort(key=key)
    result.duplicates.sort(key=key)
    return result


def _duplicates(
    result: Score,
    where: str,
    boundary: str,
    found: Sequence[Finding],
    sentences: Sentences | None,
) -> None:
    groups: dict[tuple[int, int], list[Finding]] = {}
    for finding in found:
        key = (
            (0, 0)
            if sentences is None
            else sentences.of(finding.path, finding.line, finding.column)
        )
        groups.setdefault(key, []).append(finding)
    for group in groups.values():
        if len(group) > 1:
            result.counts[boundary].duplicates += len(group) - 1
            rules = ", ".join(f"{f.rule}@{f.line}:{f.column}" for f in group)
            result.duplicates.append(
                Disagreement(where, boundary, "duplicate", rules, group[0].message)
            )


# -- sources ------------------------------------------------------------------


@dataclass
class Judged:
    name: str
    score: Score
    problems: list[str]


def judge_case(case: Path, *, now: str = NOW, proofgate: Sequence[str] = ("proofgate",)) -> Judged:
    """Score one fixture case (``fixtures/judgment/<case>/``)."""
    labels, problems = placed(load_labels(case / "labels.yaml"), case)
    findings = run_check(case, labels, case_dir=case, now=now, proofgate=proofgate)
    result = Score()
    result.add(score(labels.labels, findings, Sentences(case)), prefix=f"{case.name}/")
    return Judged(case.name, result, problems)


def judge_real(
    label_file: Path, checkout: Path, *, now: str = NOW, proofgate: Sequence[str] = ("proofgate",)
) -> Judged:
    """Score one labelled public repo at the commit of its checkout."""
    labels, problems = placed(load_labels(label_file), checkout)
    findings = run_check(checkout, labels, case_dir=None, now=now, proofgate=proofgate)
    judged = labels.labels
    if labels.scope is not None:  # what lies outside the files the labels cover is not judged
        covered = pathspec.GitIgnoreSpec.from_lines(labels.scope)
        findings = [f for f in findings if covered.match_file(f.path)]
        judged = []
        for label in labels.labels:
            if covered.match_file(label.path):
                judged.append(label)
            else:
                problems.append(f"{label.where}: outside the scope")
    return Judged(label_file.stem, score(judged, findings, Sentences(checkout)), problems)


def cases(fixtures: Path = FIXTURES) -> list[Path]:
    return sorted(p for p in fixtures.iterdir() if (p / "labels.yaml").is_file())


def real_label_files(labels: Path = LABELS) -> list[Path]:
    return sorted(p for p in labels.glob("*.yaml") if REAL_NAME.match(p.stem))


def judge_fixtures(
    fixtures: Path = FIXTURES, *, now: str = NOW, proofgate: Sequence[str] = ("proofgate",)
) -> Judged:
    """All cases of ``fixtures`` as one source."""
    total = Score()
    problems: list[str] = []
    for case in cases(fixtures):
        judged = judge_case(case, now=now, proofgate=proofgate)
        total.add(judged.score)
        problems.extend(f"{case.name}/{p}" for p in judged.problems)
    return Judged(f"{fixtures.name} (fixtures)", total, problems)


# -- report -------------------------------------------------------------------


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def table(score: Score) -> list[str]:
    """The Markdown table of one source: a row per docs boundary and one for all."""
    rows = [
        "| Boundary | Claims | Mentions | TP | FP | FN | Unlabelled | Duplicates "
        "| Precision | Recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, counts in [*score.counts.items(), ("all", score.total)]:
        rows.append(
            f"| {name} | {counts.claims} | {counts.mentions} | {counts.tp} | {counts.fp} "
            f"| {counts.fn} | {counts.unlabelled} | {counts.duplicates} "
            f"| {_ratio(counts.precision)} | {_ratio(counts.recall)} |"
        )
    return rows


def report(judged: Sequence[Judged]) -> Iterator[str]:
    for source in judged:
        yield f"## {source.name}"
        yield ""
        yield from table(source.score)
        yield ""
        for problem in source.problems:
            yield f"label problem: {problem}"
        if source.score.disagreements:
            yield f"Disagreements ({len(source.score.disagreements)}):"
            for d in source.score.disagreements:
                what = {"claim": "claim missed", "mention": "mention reported"}.get(
                    d.verdict, "unlabelled finding"
                )
                yield f"  {d.where} {d.boundary} {what} [{d.rule}] {d.message}"
        if source.score.duplicates:
            yield f"Duplicates ({len(source.score.duplicates)}):"
            for d in source.score.duplicates:
                yield f"  {d.where} {d.boundary} {d.rule}"
        yield ""


def as_json(judged: Sequence[Judged], now: str) -> dict[str, Any]:
    return {
        "version": 1,
        "now": now,
        "sources": {
            source.name: {**source.score.as_json(), "label_problems": source.problems}
            for source in judged
        },
    }


def floors(score: Score) -> dict[str, tuple[float, float]]:
    """Per boundary (precision, recall) rounded down to two decimals (``None`` as 0):
    the floor tests/test_judgment.py holds."""

    def down(value: float | None) -> float:
        return math.floor((value or 0.0) * 100 + 1e-9) / 100

    return {b: (down(c.precision), down(c.recall)) for b, c in score.counts.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=Path, help="checkouts as <owner>__<repo>@<commit>/")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    parser.add_argument("--now", default=NOW, help=f"proof ages are measured from (default {NOW})")
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--proofgate", default="proofgate", help="the command (default: proofgate)")
    parser.add_argument(
        "--floors",
        action="store_true",
        help="print only the fixtures' floors for tests/test_judgment.py (FLOORS, MAX_DUPLICATES)",
    )
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except (LabelError, yaml.YAMLError, RuntimeError, OSError) as exc:  # a label file that
        print(f"error: {exc}", file=sys.stderr)  # cannot be read, a proofgate that cannot run,
        # a directory that is not there
        return 2


def _run(args: argparse.Namespace) -> int:
    proofgate = shlex.split(args.proofgate)
    judged = [judge_fixtures(args.fixtures, now=args.now, proofgate=proofgate)]
    if args.floors:
        print("FLOORS: dict[str, tuple[float, float]] = {")
        for boundary, (precision, recall) in floors(judged[0].score).items():
            print(f'    "{boundary}": ({precision:.2f}, {recall:.2f}),')
        print("}")
        print(f"MAX_DUPLICATES = {judged[0].score.total.duplicates}")
        return 0
    for label_file in real_label_files(args.labels):
        checkout = args.repos / label_file.stem if args.repos else None
        if checkout is None or not checkout.is_dir():
            print(f"note: skipped {label_file.name}: no checkout {label_file.stem}/ under --repos")
            continue
        judged.append(judge_real(label_file, checkout, now=args.now, proofgate=proofgate))
    for line in report(judged):
        print(line)
    if args.json:
        args.json.write_text(json.dumps(as_json(judged, args.now), indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
