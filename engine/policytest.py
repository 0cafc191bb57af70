"""``proofgate test``: run the annotated fixture repos kept next to the policies.

A case is a folder ``<policy dir>/tests/<policy id>/<case>/`` checked as a repo
root. Comments in its files (``<!-- expect: RULE -->`` in Markdown,
``# expect: RULE`` in YAML, ``.bazelrc``, ``nix.conf``, ``flake.nix`` and TOML)
and its optional ``case.yaml`` say which findings of the case's policy must
appear (``expect``) and must not appear (``ok``) on which lines. See
``docs/policy-tests.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails, PydanticCustomError

from engine.config import Config
from engine.core.errors import ErrorGroup, ProofgateError
from engine.core.finding import Finding
from engine.core.jsontext import pretty
from engine.core.rules import PARSE_ERROR, names_rule
from engine.core.text import did_you_mean, iso_date, read_utf8, shown_path
from engine.extract.suppressions import block_end
from engine.extract.yamlsrc import Node, anchor, dotted, node_at
from engine.pack import Catalogue, Pack, read_pack
from engine.pipeline import Options, run

DEFAULT_NOW = dt.date(2026, 11, 26)
CASE_FILE = "case.yaml"
Kind = Literal["expect", "ok"]

_MARKDOWN = re.compile(r"^\s*<!--\s*(expect|ok)\s*:(.*?)-->\s*$")
_HASH = re.compile(r"^\s*#\s*(expect|ok)\s*:(.*)$")
_MARKDOWN_KINDS = {"markdown"}
_HASH_KINDS = {"yaml", "workflow", "action", "bazelrc", "nixconf", "flake", "toml"}
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# The rules a case may name


def _in_scope(policy: str, rule: str) -> bool:
    """Findings a case of ``policy`` compares with its expectations."""
    return rule == PARSE_ERROR.id or names_rule(policy, rule)


# Cases and their expectations


@dataclass(frozen=True)
class Expectation:
    """One rule that must (``expect``) or must not (``ok``) fire on a line."""

    kind: Kind
    path: str  # relative to the case root
    line: int
    last: int  # the last line it applies to: a Markdown annotation covers a block
    rule: str  # a rule id, a policy id or parse-error
    origin: str  # where it is written, "README.md:3" or "case.yaml:5"

    def matches(self, finding: Finding) -> bool:
        return (
            finding.path == self.path
            and self.line <= finding.line <= self.last
            and names_rule(self.rule, finding.rule)
        )

    @property
    def lines(self) -> str:
        return f"{self.line}-{self.last}" if self.last > self.line else str(self.line)


@dataclass(frozen=True)
class CaseDir:
    policy: str
    name: str
    root: Path

    @property
    def id(self) -> str:
        return f"{self.policy}/{self.name}"


@dataclass(frozen=True)
class Case:
    folder: CaseDir
    now: dt.date
    expectations: tuple[Expectation, ...]

    def count(self, kind: Kind) -> int:
        return sum(e.kind == kind for e in self.expectations)


def case_roots(dirs: list[Path]) -> list[Path]:
    """The ``tests`` folders of the policy directories (of a policy file: next to it)."""
    roots: list[Path] = []
    for directory in dirs:
        base = directory.parent if directory.is_file() else directory
        root = (base / "tests").resolve()
        if root.is_dir() and root not in roots:
            roots.append(root)
    return roots


def find_cases(dirs: list[Path], catalogue: Catalogue, pattern: str | None) -> list[CaseDir]:
    """Every case folder, checking that each policy folder names a loaded policy."""
    found: list[CaseDir] = []
    for root in case_roots(dirs):
        for policy_dir in _subdirs(root):
            _check_policy_folder(policy_dir, catalogue)
            for case_dir in _subdirs(policy_dir):
                found.append(CaseDir(policy_dir.name, case_dir.name, case_dir))
    return [c for c in found if pattern is None or pattern in c.id]


def _subdirs(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.is_dir() and not p.name.startswith("."))


def _check_policy_folder(folder: Path, catalogue: Catalogue) -> None:
    if folder.name in catalogue.rules:
        return
    close = did_you_mean(folder.name, catalogue.rules)
    hint = f"did you mean '{close}'?" if close else "name the folder after the policy it tests"
    message = f"no policy '{folder.name}' among the loaded policies"
    raise ProofgateError(message, shown_path(folder), hint=hint)


def load_case(folder: CaseDir, catalogue: Catalogue) -> Case:
    """Read a case's annotations and ``case.yaml``; raise on any error in them."""
    from engine.repo.discover import discover

    paths = [p for p in discover(folder.root, []).paths if p != CASE_FILE]
    errors: list[ProofgateError] = []
    expectations: list[Expectation] = []
    for rel in paths:
        try:
            expectations.extend(file_annotations(folder, rel, catalogue))
        except ProofgateError as error:
            errors.extend(_flatten(error))
    now = DEFAULT_NOW
    try:
        now, listed = read_case_file(folder, set(paths), catalogue)
        expectations.extend(listed)
    except ProofgateError as error:
        errors.extend(_flatten(error))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return Case(folder, now, tuple(expectations))


def _flatten(error: ProofgateError) -> list[ProofgateError]:
    return list(error.errors) if isinstance(error, ErrorGroup) else [error]


def check_rule(
    name: str, folder: CaseDir, catalogue: Catalogue, where: tuple[str, int, int, str | None]
) -> None:
    """Raise unless ``name`` is parse-error or a rule or the id of the case's policy."""
    if name == PARSE_ERROR.id:
        return
    owner = catalogue.policy_of(name)
    if owner == folder.policy:
        return
    path, line, column, source = where
    if owner is not None:
        message = f"'{name}' belongs to policy '{owner}', but this case tests '{folder.policy}'"
        raise ProofgateError(message, path, line, column, source)
    own = [folder.policy, *catalogue.rules.get(folder.policy, [])]
    close = did_you_mean(name, own) or did_you_mean(name, catalogue.names())
    hint = f"did you mean '{close}'?" if close else f"rules of the policy: {', '.join(own)}"
    raise ProofgateError(f"unknown rule '{name}'", path, line, column, source, hint)


# Annotations in comments


def annotation_style(rel: str) -> re.Pattern[str] | None:
    """The annotation comment syntax of a case file (None: it cannot hold annotations)."""
    from engine.extract import kind_of

    kind = kind_of(rel)
    if kind in _MARKDOWN_KINDS:
        return _MARKDOWN
    return _HASH if kind in _HASH_KINDS else None


def file_annotations(folder: CaseDir, rel: str, catalogue: Catalogue) -> list[Expectation]:
    """The expectations written as comments in one file of a case (all errors at once)."""
    from engine.repo.discover import read_text

    style = annotation_style(rel)
    text = read_text(folder.root, rel).text if style else None
    if style is None or text is None:
        return []
    shown = shown_path(folder.root / rel)
    out: list[Expectation] = []
    errors: list[ProofgateError] = []
    for number, match, target, last in annotation_lines(text, style):
        where = (shown, number, match.start(2) + 1, text)
        names = list(_split_names(match.group(2), match.start(2)))
        if target is None or not names:
            why = "names no rule" if not names else "is at the end of the file: no line follows it"
            errors.append(ProofgateError(f"this annotation {why}", *where))
        for name, column in names:
            try:
                check_rule(name, folder, catalogue, (shown, number, column, text))
            except ProofgateError as error:
                errors.append(error)
                continue
            origin = f"{rel}:{number}"
            kind = _kind(match.group(1))
            out.append(Expectation(kind, rel, target or 0, last, name, origin))
    if errors:
        raise ErrorGroup(errors)
    return out


def annotation_lines(
    text: str, style: re.Pattern[str]
) -> list[tuple[int, re.Match[str], int | None, int]]:
    """Each annotation: its line, its match, and the first and last lines it applies to.

    The first is the next line that is not an annotation (None when none
    follows). A hash comment applies to that line only; a Markdown one to the
    block it opens, up to a blank line or the next annotation, since an HTML
    comment cannot stand inside a paragraph or a table without splitting it.
    """
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    block = style is _MARKDOWN
    found: list[tuple[int, re.Match[str], int | None, int]] = []
    pending: list[tuple[int, re.Match[str]]] = []
    for index, line in enumerate(lines):
        match = style.match(line)
        if match is not None:
            pending.append((index + 1, match))
            continue
        last = block_end(lines, index, style) if block else index + 1
        found += [(n, m, index + 1, last) for n, m in pending]
        pending = []
    return found + [(n, m, None, 0) for n, m in pending]


def _kind(word: str) -> Kind:
    return "expect" if word == "expect" else "ok"


def _split_names(listed: str, offset: int) -> Iterator[tuple[str, int]]:
    position = 0
    for part in listed.split(","):
        name = part.strip()
        if name:
            yield name, offset + position + part.index(name) + 1
        position += len(part) + 1


# case.yaml


def _iso_date(value: Any) -> Any:
    """Only ``YYYY-MM-DD`` (a number is never read as a timestamp)."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and (date := iso_date(value)) is not None:
        return date
    raise PydanticCustomError("iso_date", "not a date in YYYY-MM-DD form")


_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CaseItem(BaseModel):
    """One expectation listed in ``case.yaml``."""

    model_config = _STRICT
    path: Annotated[str, Field(strict=True, min_length=1)]
    line: Annotated[int, Field(strict=True, gt=0)]
    rule: Annotated[str, Field(strict=True, min_length=1)]


class CaseFile(BaseModel):
    """The whole of ``case.yaml``."""

    model_config = _STRICT
    now: Annotated[dt.date, BeforeValidator(_iso_date)] = DEFAULT_NOW
    expect: list[CaseItem] = Field(default_factory=list)
    ok: list[CaseItem] = Field(default_factory=list)


def read_case_file(
    folder: CaseDir, paths: set[str], catalogue: Catalogue
) -> tuple[dt.date, list[Expectation]]:
    """The date and the expectations of a case's ``case.yaml`` (defaults when absent)."""
    full = folder.root / CASE_FILE
    if not full.is_file():
        return DEFAULT_NOW, []

    text = read_utf8(full)
    shown = shown_path(full)
    root = _case_tree(text, shown)
    try:
        parsed = CaseFile.model_validate(root.plain() if root else {})
    except ValidationError as invalid:
        raise ErrorGroup(
            [_schema_error(error, root, shown, text) for error in invalid.errors()]
        ) from None
    listed: list[Expectation] = []
    errors: list[ProofgateError] = []
    for kind, items in (("expect", parsed.expect), ("ok", parsed.ok)):
        for index, item in enumerate(items):
            node = node_at(root, (kind, index)) if root else None
            where = (shown, *(anchor(node) if node else (1, 1)), text)
            try:
                listed.extend(
                    _item_expectations(_kind(kind), item, folder, paths, catalogue, where)
                )
            except ProofgateError as error:
                errors.extend(_flatten(error))
    if errors:
        raise ErrorGroup(errors)
    return parsed.now, listed


def _case_tree(text: str, shown: str) -> Node | None:
    """The root mapping of ``case.yaml`` (None when the file is empty)."""
    from engine.extract import yamlsrc

    try:
        documents = [d for d in yamlsrc.load(text) if d.value is not None]
    except yamlsrc.YamlError as error:
        raise ProofgateError(error.message, shown, error.line, error.column, text) from None
    if not documents:
        return None
    if len(documents) > 1 or not documents[0].is_map:
        node = documents[-1]
        raise ProofgateError(
            "case.yaml must be one mapping of keys", shown, node.line, node.column, text
        )
    duplicates = yamlsrc.duplicate_keys(documents[0])
    if duplicates:
        key, line, column = duplicates[0]
        raise ProofgateError(f"duplicate key '{key}'", shown, line, column, text)
    return documents[0]


def _item_expectations(
    kind: Kind,
    item: CaseItem,
    folder: CaseDir,
    paths: set[str],
    catalogue: Catalogue,
    where: tuple[str, int, int, str],
) -> list[Expectation]:
    shown, line, column, text = where
    if item.path not in paths:
        message = f"{kind}: no file '{item.path}' in this case"
        raise ProofgateError(message, shown, line, column, text)
    origin = f"{CASE_FILE}:{line}"
    out = []
    for name, _ in _split_names(item.rule, 0):
        check_rule(name, folder, catalogue, where)
        out.append(Expectation(kind, item.path, item.line, item.line, name, origin))
    return out


def _schema_error(error: ErrorDetails, root: Node | None, shown: str, text: str) -> ProofgateError:
    loc = tuple(error["loc"])
    node = node_at(root, loc) if root else None
    line, column = anchor(node) if node else (1, 1)
    where = dotted(loc[:-1] if error["type"] == "extra_forbidden" else loc)
    message = _describe(error, loc)
    return ProofgateError(f"{where}: {message}" if where else message, shown, line, column, text)


def _describe(error: ErrorDetails, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = ", ".join(CaseItem.model_fields if len(loc) > 1 else CaseFile.model_fields)
        return f"unknown key '{loc[-1]}' (known keys: {known})"
    if kind == "missing":
        return "required key is missing"
    return f"{error['msg']} (got {error['input']!r})"


# Running cases


@dataclass(frozen=True)
class Unexpected:
    """A finding no expectation asked for; ``ok`` names the annotation it violates."""

    finding: Finding
    ok: Expectation | None = None


@dataclass(frozen=True)
class CaseResult:
    case: Case
    missing: tuple[Expectation, ...]
    unexpected: tuple[Unexpected, ...]
    exercised: frozenset[str]  # rules with an expected finding in this case

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unexpected


def run_case(pack: Pack, case: Case, backend: str = "regopy") -> CaseResult:
    """Check the case folder as a repo root and compare with its expectations."""
    try:
        result = run(pack, case.folder.root, Options(today=case.now, backend=backend))
    except ProofgateError as error:
        raise _located(error, case.folder.root) from None
    findings = [
        f for f in result.findings if f.path != CASE_FILE and _in_scope(case.folder.policy, f.rule)
    ]
    return compare(case, findings)


def _located(error: ProofgateError, root: Path) -> ProofgateError:
    """An error about a case file, with the path shown from the current directory."""
    if isinstance(error, ErrorGroup):
        return ErrorGroup([_located(e, root) for e in error.errors])
    if error.path and not Path(error.path).is_absolute():
        error.path = shown_path(root / error.path)
    return error


def compare(case: Case, findings: list[Finding]) -> CaseResult:
    """The verdict of a case: missing expected findings, unexpected ones, rules exercised."""
    expects = [e for e in case.expectations if e.kind == "expect"]
    oks = [e for e in case.expectations if e.kind == "ok"]
    missing = tuple(e for e in expects if not any(e.matches(f) for f in findings))
    unexpected: list[Unexpected] = []
    exercised: set[str] = set()
    for finding in findings:
        if any(e.matches(finding) for e in expects):
            exercised.add(finding.rule)
            continue
        violated = next((o for o in oks if o.matches(finding)), None)
        unexpected.append(Unexpected(finding, violated))
    return CaseResult(case, missing, tuple(unexpected), frozenset(exercised))


# The whole run


@dataclass(frozen=True)
class Coverage:
    """How many cases exercise each rule of a policy."""

    policy: str
    cases: int
    rules: dict[str, int]

    @property
    def unexercised(self) -> list[str]:
        return [rule for rule, count in self.rules.items() if count == 0]


@dataclass
class SuiteReport:
    results: list[CaseResult]
    coverage: list[Coverage]
    annotations: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results)


def run_suite(
    dirs: list[Path],
    pattern: str | None = None,
    backend: str = "regopy",
    config: Config | None = None,
) -> SuiteReport:
    """Load the policies once (with ``config`` applied, as ``check`` would), then
    read, run and judge every selected case."""
    pack = Pack(read_pack(dirs), config or Config(), use_cache=False)
    catalogue = pack.policies.catalogue
    folders = find_cases(dirs, catalogue, pattern)
    cases = load_cases(folders, catalogue)
    results = [run_case(pack, case, backend) for case in cases]
    return SuiteReport(results, coverage(catalogue, results), annotation_counts(cases))


def load_cases(folders: list[CaseDir], catalogue: Catalogue) -> list[Case]:
    """Every case, or one error listing every problem in their annotations."""
    cases: list[Case] = []
    errors: list[ProofgateError] = []
    for folder in folders:
        try:
            cases.append(load_case(folder, catalogue))
        except ProofgateError as error:
            errors.extend(_flatten(error))
    if errors:
        raise ErrorGroup(errors) if len(errors) > 1 else errors[0]
    return cases


def coverage(catalogue: Catalogue, results: list[CaseResult]) -> list[Coverage]:
    out = []
    for policy, rules in catalogue.rules.items():
        mine = [r for r in results if r.case.folder.policy == policy]
        counts = {rule: sum(rule in r.exercised for r in mine) for rule in rules}
        out.append(Coverage(policy, len(mine), counts))
    return out


def annotation_counts(cases: list[Case]) -> dict[str, dict[str, int]]:
    """Per policy with cases: how many ``expect`` and ``ok`` expectations they hold."""
    counts: dict[str, dict[str, int]] = {}
    for case in cases:
        entry = counts.setdefault(case.folder.policy, {"expect": 0, "ok": 0})
        entry["expect"] += case.count("expect")
        entry["ok"] += case.count("ok")
    return counts


# Reports


_GREEN, _RED, _BOLD, _DIM, _RESET = "\033[32m", "\033[31m", "\033[1m", "\033[2m", "\033[0m"


def render(report: SuiteReport, fmt: str = "text", color: bool = False) -> str:
    if fmt == "json":
        return pretty(as_json(report))
    return render_text(report, color)


def render_text(report: SuiteReport, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color else text

    lines: list[str] = []
    for result in report.results:
        verdict = paint("PASS", _GREEN) if result.passed else paint("FAIL", _RED)
        where = "" if result.passed else f"  ({shown_path(result.case.folder.root)})"
        lines.append(f"{verdict} {result.case.folder.id}{where}")
        lines.extend(f"    {line}" for line in diff_lines(result))
    if not report.results:
        lines.append("no cases found")
    lines += ["", paint("coverage (cases with an expected finding of each rule)", _BOLD)]
    lines += coverage_lines(report.coverage)
    lines += ["", paint(summary_line(report), _BOLD)]
    return "\n".join(lines) + "\n"


def diff_lines(result: CaseResult) -> list[str]:
    """``-`` expected but not reported, ``+`` reported but not expected."""
    entries: list[tuple[str, int, str, str, str]] = []
    for e in result.missing:
        entries.append((e.path, e.line, "-", e.lines, f"{e.rule}  (expected at {e.origin})"))
    for u in result.unexpected:
        f = u.finding
        why = f"ok at {u.ok.origin}: " if u.ok else ""
        entries.append((f.path, f.line, "+", str(f.line), f"{f.rule}  ({why}{f.message})"))
    return [f"{sign} {path}:{lines} {text}" for path, _, sign, lines, text in sorted(entries)]


def coverage_lines(table: list[Coverage]) -> list[str]:
    lines: list[str] = []
    for entry in table:
        lines.append(f"  {entry.policy}: {_plural(entry.cases, 'case')}")
        width = max((len(rule) for rule in entry.rules), default=0)
        for rule, count in entry.rules.items():
            mark = "  not exercised" if count == 0 else ""
            lines.append(f"    {rule.ljust(width)}  {count}{mark}")
    unexercised = sum(len(entry.unexercised) for entry in table)
    total = sum(len(entry.rules) for entry in table)
    lines.append(f"  {unexercised} of {_plural(total, 'rule')} not exercised by any case")
    return lines


def summary_line(report: SuiteReport) -> str:
    total = len(report.results)
    text = f"{_plural(total, 'case')}: {total - report.failed} passed, {report.failed} failed"
    per_policy = [
        f"{policy} {counts['expect']} expect, {counts['ok']} ok"
        for policy, counts in report.annotations.items()
    ]
    return text + (f" ({'; '.join(per_policy)})" if per_policy else "")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def as_json(report: SuiteReport) -> dict[str, Any]:
    return {
        "version": 1,
        "cases": [_case_json(r) for r in report.results],
        "coverage": [
            {
                "policy": c.policy,
                "cases": c.cases,
                "rules": c.rules,
                "unexercised": c.unexercised,
            }
            for c in report.coverage
        ],
        "summary": {
            "cases": len(report.results),
            "passed": len(report.results) - report.failed,
            "failed": report.failed,
            "annotations": report.annotations,
        },
    }


def _case_json(result: CaseResult) -> dict[str, Any]:
    case = result.case
    return {
        "case": case.folder.id,
        "policy": case.folder.policy,
        "name": case.folder.name,
        "path": shown_path(case.folder.root),
        "status": "pass" if result.passed else "fail",
        "expect": case.count("expect"),
        "ok": case.count("ok"),
        "missing": [
            {
                "path": e.path,
                "line": e.line,
                "end_line": e.last,
                "rule": e.rule,
                "origin": e.origin,
            }
            for e in result.missing
        ],
        "unexpected": [
            {
                "path": u.finding.path,
                "line": u.finding.line,
                "column": u.finding.column,
                "rule": u.finding.rule,
                "message": u.finding.message,
                "ok": u.ok.origin if u.ok else None,
            }
            for u in result.unexpected
        ],
        "exercised": sorted(result.exercised),
    }
